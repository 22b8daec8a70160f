"""What happened: one record's history, and the audit trail of every write."""

import datetime as dt
from functools import partial

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from prism_client import OBJECT_TYPES, PrismError

from . import changes, prism, visibility
from .fan_out import Outage, fan_out
from .lookups import read_record
from .models import AuditEntry
from .permissions import AUDIT, VIEW
from .routing import DashboardView, RecordTypeView


class RecordHistory(RecordTypeView):
    route = "records/<str:segment>/<record_id:record_id>/history/"
    url_name = "record-history"
    permission = VIEW
    template_name = "records/history.html"

    def get(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        schema = prism.schema(segment)
        entries = list(AuditEntry.objects.filter(segment=segment, record_id=record_id).select_related("user")[:200])
        # History shows only for a record the person can read now (asked with their key); the
        # titles of the records its changes refer to are read beside it: one round trip.
        record, *titles = fan_out(
            [partial(read_record, segment, record_id, list(schema.title_select())), *visibility.readable_calls(changes.references(entries))]
        )
        if isinstance(record, PrismError):
            raise record
        context = {
            "object_type": self.object_type,
            "record_id": record_id,
            "record_title": schema.title(record.default, record_id),
            "entries": changes.described(entries, visibility.collect(titles)),
        }
        return render(request, self.template_name, context)


AUDIT_FILTERS = ("user", "type", "since", "until", "outcome")


class AuditLog(DashboardView):
    route = "audit/"
    url_name = "audit"
    permission = AUDIT
    template_name = "audit.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        filters = {k: request.GET.get(k, "") for k in AUDIT_FILTERS}
        page = Paginator(self.entries(filters), 50).get_page(request.GET.get("page"))
        entries = list(page.object_list)
        # The trail is the dashboard's own: it stands when the API is down (names by slug and id then).
        outage = Outage()
        [schemas] = fan_out([prism.schemas], outage=outage)
        schemas = {} if isinstance(schemas, PrismError) else schemas
        # The records named by title: those without one kept (bulk changes), and references.
        found = visibility.readable(changes.references(entries, schemas), outage=outage, schemas=schemas)
        context = {
            "page": page,
            "entries": changes.described(entries, found, schemas),
            "filters": filters,
            "types": OBJECT_TYPES,
            "usernames": get_user_model().objects.order_by("username").values_list("username", flat=True),
            "outcomes": AuditEntry.Outcome.choices,
        }
        return render(request, self.template_name, context)

    def entries(self, filters: dict[str, str]):
        entries = AuditEntry.objects.select_related("user")
        if filters["user"]:
            entries = entries.filter(username=filters["user"])
        if filters["type"]:
            entries = entries.filter(segment=filters["type"])
        if filters["outcome"]:
            entries = entries.filter(outcome=filters["outcome"])
        for name, lookup in (("since", "created_at__date__gte"), ("until", "created_at__date__lte")):
            try:
                if filters[name]:
                    entries = entries.filter(**{lookup: dt.date.fromisoformat(filters[name])})
            except ValueError:
                messages.error(self.request, f"“{filters[name]}” is not a date (YYYY-MM-DD).")
        return entries

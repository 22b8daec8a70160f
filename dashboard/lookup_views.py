"""Finding records: reference autocomplete, and look-up by a property value (or create it)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from prism_client import OBJECT_TYPES, Conflict, NotFound, PrismError, Query, ValidationError

from . import audit, prism
from .errors import describe
from .lookups import titled
from .models import AuditEntry
from .permissions import CHANGE, VIEW
from .property_types import for_property
from .routing import DashboardView, RecordTypeView, object_type_or_404

OPTIONS = 10  # suggestions shown under a reference box


class ReferenceOptions(RecordTypeView):
    """Autocomplete suggestions: records of the type whose title contains q."""

    route = "records/<str:segment>/options/"
    url_name = "reference-options"
    permission = VIEW
    template_name = "partials/reference_options.html"

    def get(self, request: HttpRequest, segment: str) -> HttpResponse:
        # The search box sends itself under its own name (<field>__search).
        typed = request.GET.get("q") or next((v for k, v in request.GET.items() if k.endswith("__search")), "")
        text = typed.strip()[:100]
        rows = titled(segment, text, OPTIONS) if text else []
        return render(request, self.template_name, {"options": rows, "field": request.GET.get("field", ""), "text": text})


class Lookup(DashboardView):
    """Find a record by a property value; several → list them; none → offer to create it."""

    route = "lookup/"
    url_name = "lookup"
    permission = VIEW
    template_name = "records/lookup.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        segment = request.GET.get("type", "contact")
        object_type = object_type_or_404(segment)
        schema = prism.schema(segment)
        slug = request.GET.get("slug") or ("email" if schema.get("email") else schema.title_slug)
        value = request.GET.get("value", "").strip()
        context = {
            "types": OBJECT_TYPES,
            "object_type": object_type,
            "slug": slug,
            "value": value,
            "properties": [p for p in schema.user_properties if for_property(p).findable],
        }
        if value and schema.get(slug):
            service = prism.client().service(segment)
            try:
                record = service.find(slug, value)
                return redirect("record-detail", segment, record.id)
            except Conflict:
                page = service.query(Query(select=(*schema.title_select(), slug), limit=50).where(slug, "=", value))
                context["matches"] = [(r.id, schema.title(r.properties, r.id)) for r in page.rows]
            except NotFound:
                context["not_found"] = True
        elif value:
            context["error"] = "Choose a property to look up."
        return render(request, self.template_name, context)


class LookupCreate(DashboardView):
    """Nothing matched: create the record with that value (upsert, so a race can't duplicate it)."""

    route = "lookup/create/"
    url_name = "lookup-create"
    permission = CHANGE

    def post(self, request: HttpRequest) -> HttpResponse:
        segment = request.POST.get("type", "")
        object_type_or_404(segment, writable=True)
        slug, value = request.POST.get("slug", ""), request.POST.get("value", "").strip()
        if not (slug and value):
            messages.error(request, "Give a property and a value.")
            return redirect("lookup")
        try:
            result = prism.client().service(segment).upsert(slug, value, {})
        except ValidationError as exc:
            messages.error(request, "The record could not be created: " + "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items()))
            return redirect(f"{reverse('record-create', args=[segment])}?{urlencode({slug: value})}")
        except PrismError as exc:
            messages.error(request, describe(exc))
            return redirect("lookup")
        record = getattr(result, "record", result)
        audit.log(request.user, AuditEntry.Action.UPSERT, segment, record.id, record_repr=value, after={slug: value})
        messages.success(request, f"Created it with {slug} = {value}. Fill in the rest.")
        return redirect("record-edit", segment, record.id)

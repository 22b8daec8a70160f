"""Bulk actions from a record table: choose, confirm, run, report."""

import uuid
from dataclasses import dataclass, replace

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import strip_tags

from prism_client import Grant, PrismError

from . import list_state, prism, search, visibility
from .bulk import run_bulk_job, run_selected
from .grants import GrantInputError, editor_context, grant_from_form, summary
from .models import BulkJob
from .permissions import AUDIT, BULK, GRANTS, VIEW
from .property_types import for_property
from .roles import perm
from .routing import DashboardView, RecordTypeView, object_type_or_404

MAX_SELECTED = 2_000  # more than this: use "all matching", which runs in the background


def _selected_ids(post: QueryDict) -> list[str]:
    ids = []
    for raw in post.getlist("ids"):
        try:
            ids.append(str(uuid.UUID(raw)))
        except ValueError:
            continue
    return list(dict.fromkeys(ids))


class SearchTooBroad(Exception):
    """ "All matching" of a quick search beside filters that found more than it reads."""


def _table_query(segment: str, query_string: str):
    """The table's query, its quick search resolved to the ids it finds (search.py)."""
    schemas = prism.schemas()
    state = list_state.parse(QueryDict(query_string), schemas[segment], schemas)
    resolved = search.resolve(list_state.to_plan(state, schemas[segment], schemas), prism.client().service(segment))
    if resolved.cut:
        # The records past the first SEARCH_DEPTH are not all known: acting on some would be wrong.
        raise SearchTooBroad(f"{search.cut_notice(state.search)} A bulk action on all matching records needs the search narrowed first.")
    return resolved.query


def matching_count(segment: str, query_string: str) -> int | None:
    """How many records "all matching" would change now (one call: a total, one row), so the
    confirmation can state it; None when the API cannot say (the page says "every" then)."""
    try:
        page = prism.client().service(segment).query(replace(_table_query(segment, query_string), limit=1, include_total=True))
    except (PrismError, SearchTooBroad):  # too broad: refused, with its sentence, when confirmed
        return None
    return page.total


def editable_properties(segment: str):
    return [p for p in prism.schema(segment).user_properties if not p.read_only and for_property(p).editable]


def value_field(segment: str, slug: str) -> forms.Field | None:
    prop = prism.schema(segment).get(slug)
    if prop is None or prop.read_only or not for_property(prop).editable:
        return None
    field = for_property(prop).form_field()
    field.required = False
    return field


class ValueForm(forms.Form):
    def __init__(self, field: forms.Field, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"] = field


class BulkAction(RecordTypeView):
    """Choose → confirm → run: selected records at once, "all matching" as a background job."""

    route = "records/<str:segment>/bulk/"
    url_name = "bulk-action"
    permission = BULK
    template_name = "bulk/confirm.html"

    def post(self, request: HttpRequest, segment: str) -> HttpResponse:
        choice = BulkChoice.from_post(request.POST, segment)
        refusal = self.refusal(choice)
        if refusal:
            return HttpResponse(refusal, status=403)
        if not choice.all_matching and not choice.ids:
            messages.error(request, "Select some records first, or choose all records matching the filters.")
            return redirect(choice.back)
        if not choice.all_matching and len(choice.ids) > MAX_SELECTED:
            raise Http404("Too many selected records; choose all matching instead.")
        confirming = "confirm" in request.POST
        context = self.confirm_context(choice)
        params = self.parameters(choice, context)
        if params is None or not confirming:  # the confirm page: first shown, or again with what is wrong
            return render(request, self.template_name, context, status=422 if confirming else 200)
        try:
            job = start_job(request.user, choice, params)
        except SearchTooBroad as exc:
            messages.error(request, str(exc))
            return redirect(choice.back)
        return redirect("bulk-job", job.pk)

    def refusal(self, choice: "BulkChoice") -> str:
        """Why this person may not run this action on this type ("" when they may)."""
        if choice.action == BulkJob.Action.GRANT:
            return "" if self.request.user.has_perm(perm(GRANTS)) else "Only Admins change permissions."
        if choice.action != BulkJob.Action.RESTORE and not self.object_type.writable:
            return f"{self.object_type.plural_label} are read-only."
        return ""

    def confirm_context(self, choice: "BulkChoice") -> dict:
        return {
            "object_type": self.object_type,
            "action": choice.action,
            "action_label": BulkJob.Action(choice.action).label,
            "scope": choice.scope,
            "ids": choice.ids,
            "query_string": choice.query_string,
            "back": choice.back,
            "properties": editable_properties(choice.segment),
            "matching": matching_count(choice.segment, choice.query_string) if choice.all_matching else None,
        }

    def parameters(self, choice: "BulkChoice", context: dict) -> dict | None:
        """The job's parameters from the confirm page; None (and the context says why) until valid."""
        post = self.request.POST
        if choice.action == BulkJob.Action.SET:
            slug = post.get("slug", "")
            field = value_field(choice.segment, slug) if slug else None
            value_form = ValueForm(field, post) if field else None
            if "confirm" not in post or value_form is None or not value_form.is_valid():
                context.update({"slug": slug, "value_form": value_form})
                return None
            prop = prism.schema(choice.segment).get(slug)
            return {"slug": slug, "value": for_property(prop).normalize(value_form.cleaned_data["value"])}
        if choice.action == BulkJob.Action.GRANT:
            team_id = settings.MICRO_TEAM_ID
            try:
                grant = grant_from_form(post, team_id) if "confirm" in post else None
            except GrantInputError as exc:
                context["grant_error"] = str(exc)
                grant = None
            if grant is None:
                context.update(editor_context(Grant(), team_id))
                return None
            return {"grant": grant.to_wire(), "summary": summary(grant, team_id)}
        return {}


@dataclass(frozen=True)
class BulkChoice:
    """What the table's bulk form asked for: which action, on which records."""

    segment: str
    action: str
    scope: str  # "selected" | "all"
    ids: list[str]
    query_string: str

    @classmethod
    def from_post(cls, post: QueryDict, segment: str) -> "BulkChoice":
        action = post.get("action", "")
        if action not in BulkJob.Action.values:
            raise Http404("Unknown bulk action.")
        return cls(segment, action, post.get("scope", "selected"), _selected_ids(post), post.get("query_string", ""))

    @property
    def all_matching(self) -> bool:
        return self.scope == "all"

    @property
    def back(self) -> str:
        return f"{reverse('record-list', args=[self.segment])}?{self.query_string}"


def start_job(user, choice: BulkChoice, params: dict) -> BulkJob:
    """Record the job and run it: selected records now, all matching in the background."""
    job = BulkJob.objects.create(
        user=user,
        segment=choice.segment,
        action=choice.action,
        params=params,
        ids=[] if choice.all_matching else choice.ids,
        query=_table_query(choice.segment, choice.query_string).to_wire() if choice.all_matching else None,
        description=describe_job(choice.segment, choice.action, params, choice.scope, len(choice.ids)),
    )
    if choice.all_matching:
        run_bulk_job.enqueue(str(job.pk))
    else:
        run_selected(job)
    return job


def set_words(segment: str, slug: str, value: object) -> str:
    """ "Set Stage to “Won”": the property's label and the value as the table shows it."""
    prop = prism.schema(segment).get(slug)
    label = prop.name if prop is not None else slug
    if value is None or value == "" or value == []:
        return f"Clear {label}"
    shown = strip_tags(for_property(prop).render_normalized(value, prism.schemas())).strip()
    return f"Set {label} to “{shown}”"


def describe_job(segment: str, action: str, params: dict, scope: str, count: int) -> str:
    what = {
        BulkJob.Action.SET: set_words(segment, params.get("slug", ""), params.get("value")) if action == BulkJob.Action.SET else "",
        BulkJob.Action.DELETE: "Delete",
        BulkJob.Action.RESTORE: "Restore",
        BulkJob.Action.GRANT: f"Apply permissions ({params.get('summary', '')})",
    }[action]
    object_type = object_type_or_404(segment)
    name = object_type.label.lower() if count == 1 else object_type.plural_label.lower()
    whom = f"all {object_type.plural_label.lower()} matching the filters" if scope == "all" else f"{count} selected {name}"
    return f"{what} on {whom}"[:300]


class BulkValueField(RecordTypeView):
    """The value input for the chosen property (htmx, on the confirm page)."""

    route = "records/<str:segment>/bulk/value-field/"
    url_name = "bulk-value-field"
    permission = BULK
    template_name = "bulk/confirm.html#value_field"

    def get(self, request: HttpRequest, segment: str) -> HttpResponse:
        field = value_field(segment, request.GET.get("slug", ""))
        return render(request, self.template_name, {"value_form": ValueForm(field) if field else None})


REPORTED_FAILURES = 200


def failure_rows(segment: str, failures: list[dict]) -> list[dict]:
    """The failed records of a finished job by title (read at once), with the reason."""
    schema = prism.schema(segment)
    found = visibility.readable((segment, f["id"]) for f in failures)
    return [{"id": f["id"], "title": schema.title(found.get((segment, f["id"]), {}), f["id"]), "error": f["error"]} for f in failures]


class BulkJobPage(DashboardView):
    """A bulk job's progress, then its report (polled by htmx while it runs)."""

    route = "bulk/<uuid:pk>/"
    url_name = "bulk-job"
    permission = VIEW
    template_name = "bulk/job.html"

    def get(self, request: HttpRequest, pk) -> HttpResponse:
        job = get_object_or_404(BulkJob, pk=pk)
        if job.user_id != request.user.pk and not request.user.has_perm(perm(AUDIT)):
            raise Http404("No such bulk action.")
        failed_ids = [f["id"] for f in job.failures]
        reselect = None
        if failed_ids:
            reselect = f"{reverse('record-list', args=[job.segment])}?{list_state.IDS_VAR}={','.join(failed_ids[:500])}&select=page"
            if job.action == BulkJob.Action.RESTORE:
                reselect += "&trash=1"
        running = job.status in ("queued", "running")
        context = {
            "job": job,
            "object_type": object_type_or_404(job.segment),
            "reselect_url": reselect,
            "running": running,
            "failures": [] if running else failure_rows(job.segment, job.failures[:REPORTED_FAILURES]),
        }
        return render(request, f"{self.template_name}#progress" if request.htmx else self.template_name, context)

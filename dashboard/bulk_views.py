"""Bulk actions from a record table: choose, confirm, run, report."""

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from prism_client import Grant

from . import list_state, prism
from .access_views import grant_editor_context
from .bulk import run_bulk_job, run_selected
from .grants import GrantInputError, grant_from_form, summary
from .models import BulkJob
from .property_types import for_property
from .roles import perm
from .views import object_type_or_404

MAX_SELECTED = 2_000  # more than this: use "all matching", which runs in the background


def _selected_ids(request: HttpRequest) -> list[str]:
    ids = []
    for raw in request.POST.getlist("ids"):
        try:
            ids.append(str(uuid.UUID(raw)))
        except ValueError:
            continue
    return list(dict.fromkeys(ids))


def _table_query(segment: str, query_string: str):
    schemas = prism.schemas()
    state = list_state.parse(QueryDict(query_string), schemas[segment], schemas)
    return list_state.to_query(state, schemas[segment])


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


@require_POST
def bulk_action(request: HttpRequest, segment: str) -> HttpResponse:
    object_type = object_type_or_404(segment)
    action = request.POST.get("action", "")
    if action not in BulkJob.Action.values:
        raise Http404("Unknown bulk action.")
    if action == BulkJob.Action.GRANT and not request.user.has_perm(perm("manage_grants")):
        return HttpResponse("Only Admins change permissions.", status=403)
    if action != BulkJob.Action.RESTORE and not object_type.writable and action != BulkJob.Action.GRANT:
        return HttpResponse(f"{object_type.plural_label} are read-only.", status=403)
    scope = request.POST.get("scope", "selected")
    query_string = request.POST.get("query_string", "")
    ids = _selected_ids(request)
    query = _table_query(segment, query_string)
    back = f"{reverse('record-list', args=[segment])}?{query_string}"
    if scope != "all" and not ids:
        messages.error(request, "Select some records first, or choose all records matching the filters.")
        return redirect(back)
    if scope != "all" and len(ids) > MAX_SELECTED:
        raise Http404("Too many selected records; choose all matching instead.")
    context = {
        "object_type": object_type,
        "action": action,
        "action_label": BulkJob.Action(action).label,
        "scope": scope,
        "ids": ids,
        "query_string": query_string,
        "back": back,
        "properties": editable_properties(segment),
    }
    params: dict = {}
    if action == BulkJob.Action.SET:
        slug = request.POST.get("slug", "")
        field = value_field(segment, slug) if slug else None
        value_form = ValueForm(field, request.POST) if field else None
        if "confirm" not in request.POST or value_form is None or not value_form.is_valid():
            context.update({"slug": slug, "value_form": value_form})
            return render(request, "bulk/confirm.html", context, status=422 if "confirm" in request.POST else 200)
        prop = prism.schema(segment).get(slug)
        params = {"slug": slug, "value": for_property(prop).normalize(value_form.cleaned_data["value"])}
    elif action == BulkJob.Action.GRANT:
        grant = None
        if "confirm" in request.POST:
            try:
                grant = grant_from_form(request.POST, settings.MICRO_TEAM_ID)
            except GrantInputError as exc:
                context["grant_error"] = str(exc)
        if grant is None:
            context.update(grant_editor_context(Grant(), settings.MICRO_TEAM_ID))
            return render(request, "bulk/confirm.html", context, status=422 if "confirm" in request.POST else 200)
        params = {"grant": grant.to_wire(), "summary": summary(grant, settings.MICRO_TEAM_ID)}
    elif "confirm" not in request.POST:
        return render(request, "bulk/confirm.html", context)

    job = BulkJob.objects.create(
        user=request.user,
        object_type=segment,
        action=action,
        params=params,
        ids=ids if scope != "all" else [],
        query=query.to_wire() if scope == "all" else None,
        description=describe_job(action, params, scope, len(ids)),
    )
    if scope == "all":
        run_bulk_job.enqueue(str(job.pk))
    else:
        run_selected(job)
    return redirect("bulk-job", job.pk)


def describe_job(action: str, params: dict, scope: str, count: int) -> str:
    what = {
        BulkJob.Action.SET: f"Set {params.get('slug')} to {params.get('value')!r}",
        BulkJob.Action.DELETE: "Delete",
        BulkJob.Action.RESTORE: "Restore",
        BulkJob.Action.GRANT: f"Apply permissions ({params.get('summary', '')})",
    }[action]
    whom = "all records matching the filters" if scope == "all" else f"{count} selected record{'s' if count != 1 else ''}"
    return f"{what} on {whom}"[:300]


@require_safe
def bulk_value_field(request: HttpRequest, segment: str) -> HttpResponse:
    """The value input for the chosen property (htmx, on the confirm page)."""
    object_type_or_404(segment)
    field = value_field(segment, request.GET.get("slug", ""))
    return render(request, "bulk/confirm.html#value_field", {"value_form": ValueForm(field) if field else None})


@require_safe
def bulk_job(request: HttpRequest, pk) -> HttpResponse:
    job = get_object_or_404(BulkJob, pk=pk)
    if job.user_id != request.user.pk and not request.user.has_perm(perm("view_audit")):
        raise Http404("No such bulk action.")
    object_type = object_type_or_404(job.object_type)
    failed_ids = [f["id"] for f in job.failures]
    reselect = None
    if failed_ids:
        reselect = f"{reverse('record-list', args=[job.object_type])}?{list_state.IDS_VAR}={','.join(failed_ids[:500])}&select=page"
        if job.action == BulkJob.Action.RESTORE:
            reselect += "&trash=1"
    context = {"job": job, "object_type": object_type, "reselect_url": reselect, "running": job.status in ("queued", "running")}
    template = "bulk/job.html#progress" if request.htmx else "bulk/job.html"
    return render(request, template, context)

"""Home, record tables (with their filter rows and CSV export), saved views and the record page."""

from collections.abc import Iterator
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from . import acting, list_state, prism, related, search
from . import home as home_service
from .exporting import STOPPED, csv_line, start_export
from .fan_out import fan_out, raise_first
from .filter_builder import filter_rows_context
from .forms import SavedViewForm
from .grants import my_access, read_only_sentence
from .lookups import next_url, read_record, select_with_titles, table_came_from
from .models import SavedView
from .permissions import CHANGE, VIEW
from .property_types import for_property
from .record_table import RecordTable
from .roles import perm
from .routing import DashboardView, RecordTypeView

TABLE = "records/<str:segment>/"
RECORD = "records/<str:segment>/<record_id:record_id>/"


class Home(DashboardView):
    route = ""
    url_name = "home"
    permission = VIEW
    template_name = "home.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, home_service.overview(request.user))


class RecordList(RecordTypeView):
    route = TABLE
    url_name = "record-list"
    permission = VIEW
    template_name = "records/list.html"

    def get(self, request: HttpRequest, segment: str) -> HttpResponse:
        table = RecordTable(request, self.object_type)
        partial = request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
        # The board is the same URL state drawn as columns (board.py): layout=board.
        records = table.board_context() if table.state.layout == list_state.BOARD else table.context()
        view = current_view(request, segment)
        context = {
            **records,
            "current_view": view,
            "editable_view": view is not None and view.owner_id == request.user.pk,
            "partial": partial,
        }
        if partial:  # the filter rows stay in the page: their errors go in by the rows' own indexes
            context["filter_errors"] = filter_errors(request, table.state)
        template = f"{self.template_name}#results" if partial else self.template_name
        response = TemplateResponse(request, template, context)
        # One URL, two bodies (page or table fragment): without Vary, going back to the
        # table from another page can show the cached fragment alone.
        patch_vary_headers(response, ("HX-Request",))
        return response


def filter_errors(request: HttpRequest, state: list_state.ListState) -> list[tuple[int, str]]:
    """(index in the page, error or "") per filter row, for the out-of-band swap."""
    return [(i, row.error or "") for i, row in zip(list_state.row_indexes(request.GET), state.filter_rows, strict=False)]


def current_view(request: HttpRequest, segment: str) -> SavedView | None:
    """The saved view this table was opened from, if this person may see it (its name is the
    page's title; its owner also gets its controls)."""
    pk = request.GET.get("view", "")
    if not (pk.isascii() and pk.isdigit()) or len(pk) > 18:  # an id, not "²" or 5,000 digits
        return None
    return SavedView.objects.visible_to(request.user).filter(pk=int(pk), segment=segment).first()


class FilterRowPartial(RecordTypeView):
    """One filter row, re-rendered when its property or operator changes (htmx)."""

    route = TABLE + "filter-row/"
    url_name = "filter-row"
    permission = VIEW
    template_name = "records/list.html#filter_row"

    def get(self, request: HttpRequest, segment: str) -> HttpResponse:
        schema = prism.schema(segment)
        try:
            index = max(0, min(int(request.GET.get("i", "0")), list_state.MAX_ROW_INDEX))
        except ValueError:
            index = 0
        row = list_state.FilterRow(
            request.GET.get(f"f{index}", ""), request.GET.get(f"o{index}", ""), tuple(request.GET.getlist(f"v{index}"))
        )
        state = list_state.ListState(columns=(), filter_rows=(list_state.check_row(row, schema),))
        context = filter_rows_context(state, schema, first_index=index)
        return render(
            request,
            self.template_name,
            {"object_type": self.object_type, "item": context["filter_rows"][0], "filter_properties": context["filter_properties"]},
        )


class RecordExport(RecordTypeView):
    """The current view as CSV, every page followed through the cursor, streamed."""

    route = TABLE + "export.csv"
    url_name = "record-export"
    permission = VIEW

    def get(self, request: HttpRequest, segment: str) -> StreamingHttpResponse:
        table = RecordTable(request, self.object_type)
        resolved = table.resolve()
        total, lines = start_export(prism.client().service(segment), resolved.query, table.export_columns)
        if resolved.cut:  # only the first SEARCH_DEPTH rows are sure to be the right ones
            total, lines = search.SEARCH_DEPTH, cut_export(lines, search.cut_notice(table.state.search))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{segment}-export.csv"'
        if total is not None:
            response["X-Total-Count"] = str(total)  # the progress bar's denominator
        return response


def cut_export(lines: Iterator[str], why: str) -> Iterator[str]:
    """The header and the first SEARCH_DEPTH rows, then the line saying why the file ends there."""
    for count, line in enumerate(lines):
        if count > search.SEARCH_DEPTH:
            break
        yield line
    yield csv_line([f"{STOPPED} {search.SEARCH_DEPTH:,} rows: {why}"])


class RecordDetail(RecordTypeView):
    route = RECORD
    url_name = "record-detail"
    permission = VIEW
    template_name = "records/detail.html"

    def get(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        schemas = prism.schemas()
        schema = schemas[segment]
        # The record and (for grant types, per person) its grant: one round trip, not two.
        calls = [partial(read_record, segment, record_id, select_with_titles(segment))]
        if needs_grant(self.object_type):
            calls.append(partial(prism.client().service(segment).get_grant, record_id))
        record, *grant = raise_first(fan_out(calls))
        fields = [
            {"prop": p, "html": for_property(p).render(record.default.get(p.slug), schemas, full=True)} for p in schema.user_properties
        ]
        system = [
            {"prop": p, "html": for_property(p).render(record.default.get(p.slug), schemas, full=True)}
            for p in schema.properties
            if p.slug in prism.SYSTEM_SLUGS and record.default.get(p.slug)
        ]
        # Values under slugs the schema does not know: shown as sent, not dropped unseen.
        others = [
            {"slug": slug, "html": for_property(None).render(value, schemas, full=True)}
            for slug, value in record.default.items()
            if schema.get(slug) is None and slug not in prism.SYSTEM_SLUGS
        ]
        context = {
            "object_type": self.object_type,
            "record": record,
            "title": schema.title(record.default, record.id),
            "fields": fields,
            "system": system,
            "others": others,
            "etag": record.etag,
            "read_only": read_only_notice(self.object_type, grant[0], request.user) if grant else "",
            "has_related": bool(related.relations(schemas, segment)),
            "back_url": table_came_from(request, segment),
        }
        return render(request, self.template_name, context)


def needs_grant(object_type) -> bool:
    """Whether the record page reads the grant: to tell a person with read-only access so."""
    return object_type.has_grant and acting.per_person()


def read_only_notice(object_type, grant, user) -> str:
    """One sentence when the person's Prism access to this record is read-only (and the
    page then offers no change); empty when they may write or it cannot be known here."""
    access = my_access(grant, settings.MICRO_TEAM_ID, user)
    if access is None or access.level != "r":
        return ""  # may write, or the directory cannot say (the API's answer to a write will)
    return read_only_sentence(access, object_type.label.lower())


class RecordRelated(RecordTypeView):
    """The record page's related records (htmx, loaded after the page): every relation at once."""

    route = RECORD + "related/"
    url_name = "record-related"
    permission = VIEW
    template_name = "records/detail.html#related"

    def get(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        may_create = request.user.has_perm(perm(CHANGE))
        groups = related.related_groups(segment, record_id, may_create=may_create)
        return render(request, self.template_name, {"object_type": self.object_type, "groups": groups})


SHARE_REFUSED = "Only Editors and Admins can share a view with the team; it was not saved."


def may_share(user) -> bool:
    """Publishing a view to everyone is an Editor's or Admin's call."""
    return user.has_perm(perm("change_records"))


def view_url(view: SavedView) -> str:
    return f"{reverse('record-list', args=[view.segment])}?{view.query_string}&view={view.pk}"


def form_errors(form) -> str:
    return " ".join(e for errors in form.errors.values() for e in errors)


class SavedViewCreate(RecordTypeView):
    route = TABLE + "views/"
    url_name = "saved-view-create"
    permission = VIEW

    def post(self, request: HttpRequest, segment: str) -> HttpResponse:
        form = SavedViewForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_errors(form))
            return redirect(next_url(request, reverse("record-list", args=[segment])))
        if form.cleaned_data["shared"] and not may_share(request.user):
            messages.error(request, SHARE_REFUSED)
            return redirect(next_url(request, reverse("record-list", args=[segment])))
        view, created = SavedView.objects.update_or_create(
            owner=request.user,
            segment=segment,
            name=form.cleaned_data["name"],
            defaults={"query_string": form.cleaned_data["query_string"], "shared": form.cleaned_data["shared"]},
        )
        messages.success(request, f"Saved the view “{view.name}”." if created else f"Updated the view “{view.name}”.")
        return redirect(view_url(view))


class SavedViewOpen(DashboardView):
    route = "views/<int:pk>/"
    url_name = "saved-view"
    permission = VIEW

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        view = get_object_or_404(SavedView.objects.visible_to(request.user), pk=pk)
        return redirect(view_url(view))


class SavedViewEdit(DashboardView):
    """Rename, share, update to the table's current state, or delete one's own view."""

    route = "views/<int:pk>/edit/"
    url_name = "saved-view-edit"
    permission = VIEW

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        view = get_object_or_404(SavedView, pk=pk, owner=request.user)
        action = request.POST.get("action")
        if action == "delete":
            view.delete()
            messages.success(request, f"Deleted the view “{view.name}”.")
            return redirect("record-list", view.segment)
        form = SavedViewForm(request.POST, instance_name=view.name)
        if not form.is_valid():
            messages.error(request, form_errors(form))
            return redirect(view_url(view))
        if form.cleaned_data["shared"] and not view.shared and not may_share(request.user):
            messages.error(request, SHARE_REFUSED)
            return redirect(view_url(view))
        view.name = form.cleaned_data["name"]
        view.shared = form.cleaned_data["shared"]
        if action == "update":
            view.query_string = form.cleaned_data["query_string"]
        view.save()
        messages.success(request, f"Saved the view “{view.name}”.")
        return redirect(view_url(view))

"""Pages: parse the request, call a service, render. Logic lives in the modules beside this."""

import hashlib
import json
import shlex
from dataclasses import replace

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.http import require_POST, require_safe

from prism_client import (
    OBJECT_TYPES_BY_SEGMENT,
    BadRequest,
    NotFound,
    ObjectType,
    Page,
    Query,
    Record,
)

from . import acting, list_state, prism
from . import home as home_service
from .cells import column, table_rows, title_text
from .exporting import start_export
from .filter_builder import filter_rows_context
from .forms import SavedViewForm
from .grants import my_access, read_only_sentence
from .models import SavedView
from .property_types import for_property
from .roles import perm


def object_type_or_404(segment: str) -> ObjectType:
    try:
        return OBJECT_TYPES_BY_SEGMENT[segment]
    except KeyError:
        raise Http404(f"No object type {segment!r}.") from None


def next_url(request: HttpRequest, default: str) -> str:
    """Where a form asks to go next (its `next` field), if that is a page of this site; else `default`."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", home_service.overview(request.user))


PREVIOUS_VAR = "prev"  # on a "Next" link: the digest of the page it was followed from
PAGE_DIGEST_LENGTH = 12
SAME_PAGE = "The Prism API sent the same page again instead of the next one, so there is no next page to show."


def page_digest(page: Page) -> str:
    """A short fingerprint of a page's record ids ("" for an empty page)."""
    if not page.rows:
        return ""
    return hashlib.sha256("\n".join(row.id for row in page.rows).encode()).hexdigest()[:PAGE_DIGEST_LENGTH]


class RecordTable:
    """Everything one table page shows, from the URL state: one API call."""

    def __init__(self, request: HttpRequest, segment: str) -> None:
        self.object_type = object_type_or_404(segment)
        self.schemas = prism.schemas()
        self.schema = self.schemas[segment]
        self.state = list_state.parse(request.GET, self.schema, self.schemas)
        self.query = list_state.to_query(self.state, self.schema)
        self.columns = [column(c, segment, self.schemas) for c in self.state.columns]
        self.previous_digest = request.GET.get(PREVIOUS_VAR, "")[:PAGE_DIGEST_LENGTH] if self.state.cursor else ""

    def context(self) -> dict:
        service = prism.client().service(self.object_type.segment)
        try:
            page = service.query(self.query, cursor=self.state.cursor)
        except BadRequest:
            if not self.state.cursor:
                raise
            # A page link the API no longer takes (another query's, an old one): page 1,
            # as the admin does with a bad page number.
            notice = "That page link no longer works, so this is the first page."
            self.state = replace(self.state, cursor=None, trail=(), notices=(*self.state.notices, notice))
            page = service.query(self.query)
        next_url, notice = self.next_link(page)
        notices = [n for n in (notice, total_notice(page, self.state)) if n]
        if notices:
            self.state = replace(self.state, notices=(*self.state.notices, *notices))
        body = self.query.to_wire(self.state.cursor)
        return {
            "object_type": self.object_type,
            "schema": self.schema,
            "state": self.state,
            "columns": self.columns,
            "page": page,
            "rows": page.rows,
            "table_rows": table_rows(page.rows, self.columns, self.object_type.segment, self.schemas),
            "next_url": next_url,
            "previous_url": self.state.previous_page(),
            "request_body": json.dumps(body, indent=2),
            "curl": curl_command(self.object_type.segment, body),
            "page_sizes": list_state.PAGE_SIZES,
            "export_query": list_state.export_params(self.state),
            "column_choices": column_choices(self.object_type.segment, self.schemas, self.state.columns),
            "schemas": self.schemas,
            "add_row_url": self.add_row_url(),
            **filter_rows_context(self.state, self.schema),
        }

    def next_link(self, page: Page) -> tuple[str | None, str]:
        """The next page's URL, or None and, when the API's answer is at odds with itself, why."""
        digest = page_digest(page)
        if digest and digest == self.previous_digest:
            return None, SAME_PAGE  # the records of the page before, under a new cursor
        if not page.has_more:
            return None, ""
        if not page.rows or not page.next_cursor:
            return None, "The Prism API said more records follow but did not send them, so there is no next page to show."
        if page.next_cursor == self.state.cursor or page.next_cursor in self.state.trail:
            return None, SAME_PAGE  # its link leads back to a page shown already
        # The link carries this page's digest, so the next page can tell if it is this one again.
        return f"{self.state.next_page(page.next_cursor)}&{PREVIOUS_VAR}={digest}", ""

    def add_row_url(self) -> str:
        # Without JavaScript, "Add filter" is a link to the same table with one more row.
        index = max((int(k[1:]) for k, _ in self.state.params() if k[0] == "f" and k[1:].isdigit()), default=-1) + 1
        return f"{self.state.query_string()}&f{index}="


def total_notice(page: Page, state: list_state.ListState) -> str:
    """A sentence when the API's total cannot be right for the rows it sent."""
    if page.total is None:
        return ""
    only_page = state.page_number == 1 and not page.has_more
    if page.total < len(page.rows) or (only_page and page.total != len(page.rows)):
        rows = f"{len(page.rows)} record{'s' if len(page.rows) != 1 else ''}"
        return f"The Prism API counted {page.total:,} records in all but sent {rows} here, so that total may be wrong."
    return ""


def curl_command(segment: str, body: dict) -> str:
    url = f"{settings.MICRO_BASE_URL}/v2/prism/{settings.MICRO_TEAM_ID}/{segment}/query"
    return (
        f"curl -X POST {shlex.quote(url)} \\\n"
        f"  -H 'Content-Type: application/json' \\\n"
        f'  -H "x-api-key: $MICRO_API_KEY" \\\n'
        f"  -d {shlex.quote(json.dumps(body))}"
    )


def column_choices(segment: str, schemas: dict, current: tuple[str, ...]) -> list[dict]:
    """Properties of the type, and one hop into each reference (organization.name…)."""
    groups = [{"label": OBJECT_TYPES_BY_SEGMENT[segment].label, "items": [(p.slug, p.name) for p in schemas[segment].properties]}]
    for prop in schemas[segment].properties:
        if prop.type == "reference" and prop.target in schemas:
            items = [(f"{prop.slug}.{p.slug}", f"{prop.name} › {p.name}") for p in schemas[prop.target].properties]
            groups.append({"label": prop.name, "items": items})
    offered = {path for g in groups for path, _ in g["items"]}
    deeper = [(path, column(path, segment, schemas).label) for path in current if path not in offered]
    if deeper:  # two hops deep (attendee.contact.first_name): shown so they stay picked
        groups.append({"label": "Other columns", "items": deeper})
    return groups


class RecordListView(View):
    template_name = "records/list.html"

    def get(self, request: HttpRequest, segment: str) -> HttpResponse:
        table = RecordTable(request, segment)
        partial = request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
        context = {**table.context(), "current_view": current_view(request, segment)}
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
    return [(i, row.error or "") for i, row in zip(list_state.row_indexes(request.GET), state.rows, strict=False)]


def current_view(request: HttpRequest, segment: str) -> SavedView | None:
    """The saved view this table was opened from, if this person may edit it."""
    pk = request.GET.get("view", "")
    if not (pk.isascii() and pk.isdigit()) or len(pk) > 18:  # an id, not "²" or 5,000 digits
        return None
    return SavedView.objects.filter(pk=int(pk), owner=request.user, object_type=segment).first()


@require_safe
def filter_row(request: HttpRequest, segment: str) -> HttpResponse:
    """One filter row, re-rendered when its property or operator changes (htmx)."""
    object_type_or_404(segment)
    schema = prism.schema(segment)
    try:
        index = max(0, min(int(request.GET.get("i", "0")), list_state.MAX_ROW_INDEX))
    except ValueError:
        index = 0
    row = list_state.check_row(
        list_state.FilterRow(request.GET.get(f"f{index}", ""), request.GET.get(f"o{index}", ""), tuple(request.GET.getlist(f"v{index}"))),
        schema,
    )
    state = list_state.ListState(columns=(), rows=(row,))
    context = filter_rows_context(state, schema, first_index=index)
    return render(
        request,
        "records/list.html#filter_row",
        {"object_type": object_type_or_404(segment), "item": context["filter_rows"][0], "filter_properties": context["filter_properties"]},
    )


def read_record(segment: str, record_id: str, select: list[str]) -> Record:
    """A live record by id, or one in the trash (which only a query with deleted=true sees)."""
    service = prism.client().service(segment)
    try:
        return service.get(record_id, select=select)
    except NotFound:
        page = service.query(Query(select=tuple(select), ids=(record_id,), deleted=True, limit=1))
        if not page.rows:
            raise
        return Record(id=page.rows[0].id, default=page.rows[0].properties, etag=None)


@require_safe
def record_detail(request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
    object_type = object_type_or_404(segment)
    schemas = prism.schemas()
    schema = schemas[segment]
    select = [p.slug for p in schema.properties]
    select += [f"{p.slug}.{schemas[p.target].title_slug}" for p in schema.properties if p.type == "reference" and p.target in schemas]
    record = read_record(segment, record_id, select)
    fields = [{"prop": p, "html": for_property(p).render(record.default.get(p.slug), schemas, full=True)} for p in schema.user_properties]
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
    title = title_text(record.default.get(schema.title_slug), record.id)
    read_only = read_only_notice(object_type, record_id, request.user)
    return render(
        request,
        "records/detail.html",
        {
            "object_type": object_type,
            "record": record,
            "title": title,
            "fields": fields,
            "system": system,
            "others": others,
            "etag": record.etag,
            "read_only": read_only,
        },
    )


def read_only_notice(object_type, record_id: str, user) -> str:
    """One sentence when the person's Prism access to this record is read-only (and the
    page then offers no change); empty when they may write or it cannot be known here."""
    if not object_type.has_grant or not acting.per_person():
        return ""
    grant = prism.client().service(object_type.segment).get_grant(record_id)
    access = my_access(grant, settings.MICRO_TEAM_ID, user)
    if access is None or access.level != "r":
        return ""  # may write, or the directory cannot say (the API's answer to a write will)
    return read_only_sentence(access, object_type.label.lower())


@require_safe
def export_csv(request: HttpRequest, segment: str) -> StreamingHttpResponse:
    """The current view as CSV, every page followed through the cursor, streamed."""
    table = RecordTable(request, segment)
    total, lines = start_export(prism.client().service(segment), table.query, table.columns)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{segment}-export.csv"'
    if total is not None:
        response["X-Total-Count"] = str(total)  # the progress bar's denominator
    return response


@require_POST
def saved_view_create(request: HttpRequest, segment: str) -> HttpResponse:
    object_type_or_404(segment)
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(next_url(request, reverse("record-list", args=[segment])))
    if form.cleaned_data["shared"] and not may_share(request.user):
        messages.error(request, SHARE_REFUSED)
        return redirect(next_url(request, reverse("record-list", args=[segment])))
    view, created = SavedView.objects.update_or_create(
        owner=request.user,
        object_type=segment,
        name=form.cleaned_data["name"],
        defaults={"query_string": form.cleaned_data["query_string"], "shared": form.cleaned_data["shared"]},
    )
    messages.success(request, f"Saved the view “{view.name}”." if created else f"Updated the view “{view.name}”.")
    return redirect(view_url(view))


SHARE_REFUSED = "Only Editors and Admins can share a view with the team; it was not saved."


def may_share(user) -> bool:
    """Publishing a view to everyone is an Editor's or Admin's call."""
    return user.has_perm(perm("change_records"))


def view_url(view: SavedView) -> str:
    return f"{reverse('record-list', args=[view.object_type])}?{view.query_string}&view={view.pk}"


@require_safe
def saved_view_open(request: HttpRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView.objects.visible_to(request.user), pk=pk)
    return redirect(view_url(view))


@require_POST
def saved_view_edit(request: HttpRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    action = request.POST.get("action")
    if action == "delete":
        view.delete()
        messages.success(request, f"Deleted the view “{view.name}”.")
        return redirect("record-list", view.object_type)
    form = SavedViewForm(request.POST, instance_name=view.name)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
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

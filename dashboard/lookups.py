"""Lookups several views share: a safe place to go next, and records read by id."""

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from prism_client import NotFound, Query, Record

from . import prism


def next_url(request: HttpRequest, default: str) -> str:
    """Where a form asks to go next (its `next` field), if that is a page of this site; else `default`."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def table_came_from(request: HttpRequest, segment: str) -> str:
    """The table of this type the person opened this page from (its filters, sort, page), read
    from the Referer when it is that table on this site; else the table's first page. A record
    page's delete goes back there (a form's `next`, checked again by next_url)."""
    table = reverse("record-list", args=[segment])
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc == request.get_host() and referer.path == table:
        return f"{table}?{referer.query}" if referer.query else table
    return table


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


def select_with_titles(segment: str) -> list[str]:
    """Every property of the type, and each reference's target title (one read, names not ids)."""
    schemas = prism.schemas()
    properties = schemas[segment].properties
    return [p.slug for p in properties] + [
        f"{p.slug}.{schemas[p.target].title_slug}" for p in properties if p.type == "reference" and p.target in schemas
    ]


def find_by_title(target: str, text: str) -> str | None:
    """The one record of `target` whose title is `text` (for typed, unpicked references)."""
    schema = prism.schema(target)
    page = prism.client().service(target).query(Query(select=(schema.title_slug,), limit=2).where(schema.title_slug, "=", text))
    return page.rows[0].id if len(page.rows) == 1 else None


def title_of(schema: prism.TypeSchema, values: Mapping[str, object]) -> str:
    """A record's title from its values ("" when it has none)."""
    return str(values.get(schema.title_slug) or "")

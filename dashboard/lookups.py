"""Lookups several views share: a safe place to go next, records read by id or by title."""

from collections import Counter
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from prism_client import NotFound, Operator, Query, Record, Row

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
        path for p in properties if p.type == "reference" and p.target in schemas for path in schemas[p.target].title_select(f"{p.slug}.")
    ]


TITLE_CANDIDATES = 50  # one page (the API's limit): the records a typed title is matched among


def titled_rows(target: str, text: str, limit: int) -> list[Row]:
    """Records of `target` whose title holds every word of `text` (title and detail selected).

    A title is several properties ("first last") and the API has one flat combinator:
    one query asks for any title property containing any word (OR), and the words are
    then all required here, so "Ada Love" finds Ada Lovelace and not every Ada.
    """
    schema = prism.schema(target)
    words = text.split()[:4]
    if not words or not schema.title_slugs:
        return []
    detail = schema.detail_slug
    query = Query(select=(*schema.title_select(), *((detail,) if detail else ())), limit=TITLE_CANDIDATES, combinator="OR")
    for slug in schema.title_slugs:
        for word in words:
            query = query.where(slug, Operator.CONTAINS, word)
    query = query.order_by(schema.title_slug, "id")
    rows = prism.client().service(target).query(query).rows
    return [r for r in rows if all(w.casefold() in schema.title(r.properties).casefold() for w in words)][:limit]


def titled(target: str, text: str, limit: int) -> list[tuple[str, str]]:
    """(id, label) of the records whose title holds every word of `text`, each label shown
    once: two records of one title are told apart by their detail (an organization's
    domain, a contact's email) or else the start of their id."""
    schema = prism.schema(target)
    rows = titled_rows(target, text, limit)
    counts = Counter(schema.title(r.properties).casefold() for r in rows)
    out = []
    for row in rows:
        title = schema.title(row.properties, row.id)
        if counts[title.casefold()] > 1:
            detail = row.properties.get(schema.detail_slug) if schema.detail_slug else None
            title = f"{title} · {detail if isinstance(detail, str) and detail else row.id[:8]}"
        out.append((row.id, title))
    return out


def find_by_title(target: str, text: str) -> str | None:
    """The one record of `target` whose title is `text` (for typed, unpicked references)."""
    wanted = " ".join(text.split()).casefold()
    schema = prism.schema(target)
    matches = [r.id for r in titled_rows(target, text, TITLE_CANDIDATES) if schema.title(r.properties).casefold() == wanted]
    return matches[0] if len(matches) == 1 else None

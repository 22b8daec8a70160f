"""One service per object type, plus imports and the property schema.

A :class:`RecordService` is built from a row of the object-type table; operations
the type does not offer (writes on events, grants on contacts) raise
:class:`OperationNotSupported` before any request is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from .errors import CursorNotAdvancing, ImportNotFinished, OperationNotSupported, PrismError, TooManyPages
from .object_types import ObjectType
from .query import MAX_LIMIT, Query, Sort, sort_param, to_wire_string
from .records import (
    BatchResult,
    Grant,
    ImportJob,
    Page,
    PropertyDefinition,
    Record,
    RecordPatch,
    Row,
    UpsertResult,
    as_mapping,
)

if TYPE_CHECKING:
    from .client import Params, PrismClient

BATCH_LIMIT = 100
# The last bound on one walk over pages: 500,000 rows at 50 a page.
MAX_PAGES = 10_000

# GET /{type} parameters with a meaning of their own; any other parameter is an
# equality filter, so a filter on one of these slugs needs POST /query.
LIST_PARAMS = frozenset({"cursor", "deleted", "include_total", "limit", "list_id", "select", "sort"})

ProgressCallback = Callable[[ImportJob], None]


def quote_segment(value: str) -> str:
    """One path segment, with ``/`` and everything else reserved escaped."""
    if not value:
        # An empty id would silently address the collection instead.
        raise ValueError("expected a non-empty id, slug or value")
    return quote(value, safe="")


def chunked[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class RecordService:
    """Every endpoint of one object type, e.g. ``client.contacts``."""

    def __init__(self, client: PrismClient, object_type: ObjectType) -> None:
        self._client = client
        self.object_type = object_type

    def __repr__(self) -> str:
        return f"<RecordService {self.object_type.segment}>"

    def _path(self, *parts: str) -> str:
        return "/".join((self.object_type.segment, *(quote_segment(p) for p in parts)))

    def _require_writable(self, operation: str) -> None:
        if not self.object_type.writable:
            raise OperationNotSupported(f"{self.object_type.plural_label} are read-only: {operation} is not available")

    def _require_grants(self) -> None:
        if not self.object_type.has_grant:
            raise OperationNotSupported(f"{self.object_type.plural_label} have no grants")

    # --- single records -------------------------------------------------------

    def create(
        self,
        default: Mapping[str, object] | None = None,
        *,
        list_values: Mapping[str, Mapping[str, object]] | None = None,
        idempotency_key: str | None = None,
    ) -> Record:
        self._require_writable("create")
        reply = self._client.request(
            "POST",
            self._path(),
            json=_record_body(default, list_values),
            idempotency_key=idempotency_key,
        )
        return Record.from_wire(reply.data, reply.headers.get("etag"))

    def get(self, record_id: str, *, select: Sequence[str] = ()) -> Record:
        params: Params = {"select": ",".join(select)} if select else {}
        reply = self._client.request("GET", self._path(record_id), params=params)
        return Record.from_wire(reply.data, reply.headers.get("etag"))

    def update(
        self,
        record_id: str,
        default: Mapping[str, object] | None = None,
        *,
        list_values: Mapping[str, Mapping[str, object]] | None = None,
        if_match: str | None = None,
        idempotency_key: str | None = None,
    ) -> Record:
        """Patch: only the given slugs change; ``None`` clears a value."""
        self._require_writable("update")
        reply = self._client.request(
            "PATCH",
            self._path(record_id),
            json=_record_body(default, list_values),
            headers=_if_match(if_match),
            idempotency_key=idempotency_key,
        )
        return Record.from_wire(reply.data, reply.headers.get("etag"))

    def delete(self, record_id: str, *, if_match: str | None = None) -> None:
        """Soft delete; :meth:`restore` undoes it."""
        self._require_writable("delete")
        self._client.request("DELETE", self._path(record_id), headers=_if_match(if_match))

    def duplicate(self, record_id: str, *, idempotency_key: str | None = None) -> Record:
        self._require_writable("duplicate")
        reply = self._client.request("POST", self._path(record_id, "duplicate"), idempotency_key=idempotency_key)
        return Record.from_wire(reply.data, reply.headers.get("etag"))

    def restore(self, record_id: str, *, idempotency_key: str | None = None) -> Record:
        self._require_writable("restore")
        reply = self._client.request("POST", self._path(record_id, "restore"), idempotency_key=idempotency_key)
        return Record.from_wire(reply.data, reply.headers.get("etag"))

    def find(self, slug: str, value: str, *, list_id: str | None = None) -> Record:
        """The one record whose ``slug`` equals ``value``: NotFound if none, Conflict if several."""
        params: Params = {"list_id": list_id} if list_id else {}
        reply = self._client.request("GET", self._path("by", slug, value), params=params)
        return Record.from_wire(reply.data, reply.headers.get("etag"))

    def upsert(
        self,
        slug: str,
        value: str,
        default: Mapping[str, object] | None = None,
        *,
        list_values: Mapping[str, Mapping[str, object]] | None = None,
        idempotency_key: str | None = None,
    ) -> UpsertResult:
        """Patch the one record with ``slug == value``, or create it (Conflict if several)."""
        self._require_writable("upsert")
        reply = self._client.request(
            "PUT",
            self._path("by", slug, value),
            json=_record_body(default, list_values),
            idempotency_key=idempotency_key,
        )
        return UpsertResult(Record.from_wire(reply.data, reply.headers.get("etag")), created=reply.status == 201)

    # --- many records ---------------------------------------------------------

    def list(
        self,
        *,
        select: Sequence[str] = (),
        sort: Sequence[str | Sort] = (),
        limit: int | None = None,
        cursor: str | None = None,
        list_id: str | None = None,
        deleted: bool = False,
        include_total: bool = False,
        where: Mapping[str, object] | None = None,
    ) -> Page:
        """``GET /{type}``: equality filters as ``where={slug: value or [values]}``.

        The server caps ``limit`` at 50 silently; use :meth:`query` for anything
        beyond equality.
        """
        params = list_params(
            select=select,
            sort=sort,
            limit=limit,
            cursor=cursor,
            list_id=list_id,
            deleted=deleted,
            include_total=include_total,
            where=where or {},
        )
        reply = self._client.request("GET", self._path(), params=params)
        return Page.from_wire(reply.data)

    def query(self, query: Query | None = None, *, cursor: str | None = None) -> Page:
        """``POST /{type}/query``: one page of rows."""
        body = (query or Query()).to_wire(cursor)
        reply = self._client.request("POST", self._path("query"), json=body, read_only=True)
        return Page.from_wire(reply.data)

    def iter_pages(self, query: Query | None = None, *, first: Page | None = None, max_pages: int = MAX_PAGES) -> Iterator[Page]:
        """Every page of ``query``, following ``next_cursor`` to the end.

        ``first`` is page one when the caller has read it already (say with
        ``include_total``). The walk always ends: :class:`CursorNotAdvancing` when the
        API's pages stop moving on, :class:`TooManyPages` after ``max_pages`` pages.
        """
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        query = query or Query()
        if query.limit is None:
            query = query.with_limit(MAX_LIMIT)  # fewest round trips
        page = first if first is not None else self.query(query)
        sent: set[str] = set()  # every cursor followed so far, to catch cycles too
        previous: tuple[str, ...] = ()
        pages = 1
        while True:
            ids = tuple(row.id for row in page.rows)
            if ids and ids == previous:
                raise CursorNotAdvancing(
                    f"page {pages} repeats the records of page {pages - 1}: the cursor did not advance",
                    pages=pages,
                    reason="repeated_page",
                )
            yield page
            if not page.has_more:
                return
            cursor = page.next_cursor
            # has_more is exact (the API reads limit + 1 rows), so "more" beside an empty
            # page or without a cursor contradicts itself. Stopping quietly would pass a
            # cut-short export off as complete: it is an error the caller can report.
            if not ids:
                raise CursorNotAdvancing(f"page {pages} says has_more but holds no records", pages=pages, reason="empty_page")
            if not cursor:
                raise CursorNotAdvancing(f"page {pages} says has_more but gives no next_cursor", pages=pages, reason="no_cursor")
            if cursor in sent:
                raise CursorNotAdvancing(
                    f"page {pages} gives a cursor already followed: {cursor[:40]!r}", pages=pages, reason="same_cursor"
                )
            if pages >= max_pages:
                raise TooManyPages(f"stopped after {max_pages:,} pages, the most one walk follows", pages=pages)
            sent.add(cursor)
            previous = ids
            page = self.query(query, cursor=cursor)
            pages += 1

    def iter_all(self, query: Query | None = None) -> Iterator[Row]:
        """Every row of ``query``, page after page."""
        for page in self.iter_pages(query):
            yield from page.rows

    def count(self, *, list_id: str | None = None) -> int:
        """Live records the key can see; ignores filters (use ``include_total`` for those)."""
        params: Params = {"list_id": list_id} if list_id else {}
        reply = self._client.request("GET", self._path("count"), params=params)
        total = as_mapping(reply.data).get("total")
        return total if isinstance(total, int) else 0

    def import_(
        self,
        objects: Iterable[Mapping[str, object]],
        *,
        dedupe_by: str | None = None,
        case_insensitive: bool | None = None,
        list_id: str | None = None,
        idempotency_key: str | None = None,
        wait: bool = False,
        on_progress: ProgressCallback | None = None,
        wait_timeout: float = 600.0,
    ) -> ImportJob:
        """Create many records from property mappings (slug -> value).

        Small imports finish in the call; larger ones return a ``processing`` job,
        which ``wait=True`` (or ``client.imports.wait(job)``) polls to the end.
        """
        self._require_writable("import")
        options: dict[str, object] = {}
        if dedupe_by:
            options["dedupe_by"] = dedupe_by
        if case_insensitive is not None:
            options["caseInsensitive"] = case_insensitive
        if list_id:
            options["list_id"] = list_id
        body: dict[str, object] = {"objects": [{"default": dict(o)} for o in objects]}
        if options:
            body["options"] = options
        reply = self._client.request("POST", self._path("import"), json=body, idempotency_key=idempotency_key)
        job = ImportJob.from_wire(reply.data)
        if on_progress is not None:
            on_progress(job)
        if wait and not job.finished:
            return self._client.imports.wait(job, on_progress=on_progress, timeout=wait_timeout)
        return job

    def batch_update(self, items: Sequence[RecordPatch], *, idempotency_key: str | None = None) -> BatchResult:
        """Patch up to 100 records in one call; each item succeeds or fails alone."""
        self._require_writable("batch update")
        _check_batch_size(len(items), "batch_update_chunked")
        body = {"items": [item.to_wire() for item in items]}
        reply = self._client.request("POST", self._path("batch", "update"), json=body, idempotency_key=idempotency_key)
        return BatchResult.from_wire(reply.data)

    def batch_update_chunked(self, items: Sequence[RecordPatch], *, chunk_size: int = BATCH_LIMIT) -> BatchResult:
        """Any number of patches, sent ``chunk_size`` at a time; results in input order."""
        return BatchResult.merge(self.batch_update(chunk) for chunk in chunked(items, chunk_size))

    def batch_delete(self, ids: Sequence[str], *, idempotency_key: str | None = None) -> BatchResult:
        """Soft-delete up to 100 records in one call."""
        self._require_writable("batch delete")
        _check_batch_size(len(ids), "batch_delete_chunked")
        reply = self._client.request("POST", self._path("batch", "delete"), json={"ids": [*ids]}, idempotency_key=idempotency_key)
        return BatchResult.from_wire(reply.data)

    def batch_delete_chunked(self, ids: Sequence[str], *, chunk_size: int = BATCH_LIMIT) -> BatchResult:
        return BatchResult.merge(self.batch_delete(chunk) for chunk in chunked(ids, chunk_size))

    # --- grants and schema ----------------------------------------------------

    def get_grant(self, record_id: str) -> Grant:
        self._require_grants()
        reply = self._client.request("GET", self._path(record_id, "grant"))
        return Grant.from_wire(reply.data)

    def put_grant(self, record_id: str, grant: Grant, *, idempotency_key: str | None = None) -> Grant:
        """Replace the record's whole grant (needs ``a`` on it)."""
        self._require_grants()
        reply = self._client.request("PUT", self._path(record_id, "grant"), json=grant.to_wire(), idempotency_key=idempotency_key)
        return Grant.from_wire(reply.data)

    def properties(self, *, list_id: str | None = None) -> tuple[PropertyDefinition, ...]:
        """The type's property schema. NotFound where a server lacks the endpoint."""
        return self._client.properties.for_type(self.object_type.segment, list_id=list_id)


class ImportService:
    """``client.imports``: import job snapshots and waiting for them."""

    def __init__(self, client: PrismClient) -> None:
        self._client = client

    def get(self, job_id: str) -> ImportJob:
        reply = self._client.request("GET", f"imports/{quote_segment(job_id)}")
        return ImportJob.from_wire(reply.data)

    def wait(
        self,
        job: ImportJob,
        *,
        on_progress: ProgressCallback | None = None,
        timeout: float = 600.0,
        poll_interval: float = 0.25,
        max_poll_interval: float = 2.0,
    ) -> ImportJob:
        """Poll until ``job`` is complete or failed, calling ``on_progress`` per snapshot.

        Polls back off from ``poll_interval`` to ``max_poll_interval``; after
        ``timeout`` seconds :class:`ImportNotFinished` carries the last snapshot.
        """
        if job.finished:
            return job
        if job.job_id is None:
            raise PrismError("the import is still processing but has no job id to poll")
        deadline = self._client.clock() + timeout
        interval = poll_interval
        while True:
            if self._client.clock() >= deadline:
                raise ImportNotFinished(
                    f"import {job.job_id} still {job.status} after {timeout:g} s ({job.processed}/{job.total} rows)",
                    job,
                )
            self._client.sleep(interval)
            interval = min(interval * 2, max_poll_interval)
            job = self.get(job.job_id)
            if on_progress is not None:
                on_progress(job)
            if job.finished:
                return job


class PropertyService:
    """``client.properties``: the property schema (best effort on the real API)."""

    def __init__(self, client: PrismClient) -> None:
        self._client = client

    def for_type(self, segment: str, *, list_id: str | None = None) -> tuple[PropertyDefinition, ...]:
        params: Params = {"list_id": list_id} if list_id else {}
        reply = self._client.request("GET", f"{quote_segment(segment)}/properties", params=params)
        return PropertyDefinition.list_from_wire(reply.data)

    def list_all(self, *, list_id: str | None = None) -> dict[str, tuple[PropertyDefinition, ...]]:
        """Schema of every type: ``{segment: definitions}``."""
        params: Params = {"list_id": list_id} if list_id else {}
        reply = self._client.request("GET", "properties", params=params)
        data = as_mapping(reply.data)
        by_type = as_mapping(data.get("data", data))
        return {segment: PropertyDefinition.list_from_wire(items) for segment, items in by_type.items()}


def list_params(
    *,
    select: Sequence[str],
    sort: Sequence[str | Sort],
    limit: int | None,
    cursor: str | None,
    list_id: str | None,
    deleted: bool,
    include_total: bool,
    where: Mapping[str, object],
) -> dict[str, str | list[str]]:
    """Query-string parameters for ``GET /{type}``; a list value in ``where`` means ``in``."""
    params: dict[str, str | list[str]] = {}
    if select:
        params["select"] = ",".join(select)
    if sort:
        params["sort"] = sort_param(sort)
    if limit is not None:
        params["limit"] = str(limit)
    if cursor:
        params["cursor"] = cursor
    if list_id:
        params["list_id"] = list_id
    if deleted:
        params["deleted"] = "true"
    if include_total:
        params["include_total"] = "true"
    for slug, value in where.items():
        if slug in LIST_PARAMS:
            raise ValueError(f"cannot filter on {slug!r} with list(): it is a list parameter; use query()")
        what = f"where {slug!r}"
        if isinstance(value, (list, tuple, set, frozenset)):
            params[slug] = [to_wire_string(v, what) for v in value]
        else:
            params[slug] = to_wire_string(value, what)
    return params


def _record_body(default: Mapping[str, object] | None, list_values: Mapping[str, Mapping[str, object]] | None) -> dict[str, object]:
    body: dict[str, object] = {"default": dict(default or {})}
    if list_values is not None:
        body["list"] = {k: dict(v) for k, v in list_values.items()}
    return body


def _if_match(etag: str | None) -> dict[str, str]:
    return {"If-Match": etag} if etag else {}


def _check_batch_size(count: int, helper: str) -> None:
    if count > BATCH_LIMIT:
        raise ValueError(f"at most {BATCH_LIMIT} items per batch call; got {count}. Use {helper}() for more")

"""The values the API returns, as frozen dataclasses.

Parsing is tolerant on purpose: the real API documents most response fields as
optional, so a missing or oddly typed field becomes an empty value instead of an
exception deep inside a page render.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Access = Literal["r", "w", "a"]
ACCESS_LEVELS: tuple[Access, ...] = ("r", "w", "a")

ImportStatus = Literal["processing", "complete", "failed"]


def as_mapping(value: object) -> dict[str, object]:
    """``value`` if it is a JSON object, else an empty dict."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {}


def _as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _as_int(value: object, default: int = 0) -> int:
    # bool is an int subclass; a boolean count is a malformed body, not 1.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return default


def _as_bool(value: object) -> bool:
    return value is True


def _as_datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _as_str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """A per-item error inside a 200 response (batch results, import rows)."""

    code: str | None
    message: str | None

    @classmethod
    def from_wire(cls, data: object) -> ErrorInfo | None:
        if not isinstance(data, dict):
            return None
        return cls(code=_as_str(data.get("code")), message=_as_str(data.get("message")))


@dataclass(frozen=True, slots=True)
class Record:
    """One record as read by get/create/update/restore/find/upsert/duplicate.

    ``etag`` is the ``ETag`` response header, verbatim (quotes included) so it can
    be sent back as ``If-Match``; ``None`` when the server sends none.
    """

    id: str
    default: Mapping[str, object] = field(default_factory=dict)
    list: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    etag: str | None = None

    @classmethod
    def from_wire(cls, data: object, etag: str | None = None) -> Record:
        body = as_mapping(data)
        lists = {k: as_mapping(v) for k, v in as_mapping(body.get("list")).items()}
        return cls(
            id=str(body.get("id", "")),
            default=as_mapping(body.get("default")),
            list=lists,
            etag=etag,
        )


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a list or query page: only the selected properties."""

    id: str
    properties: Mapping[str, object] = field(default_factory=dict)
    is_user_object: bool | None = None
    source: tuple[str, ...] = ()

    @classmethod
    def from_wire(cls, data: object) -> Row:
        body = as_mapping(data)
        is_user_object = body.get("is_user_object")
        return cls(
            id=str(body.get("id", "")),
            properties=as_mapping(body.get("properties")),
            is_user_object=is_user_object if isinstance(is_user_object, bool) else None,
            source=_as_str_tuple(body.get("source")),
        )


@dataclass(frozen=True, slots=True)
class Page:
    """One page of rows. ``total`` is only set when the request asked for it."""

    rows: tuple[Row, ...]
    has_more: bool
    next_cursor: str | None = None
    total: int | None = None

    @classmethod
    def from_wire(cls, data: object) -> Page:
        body = as_mapping(data)
        rows = body.get("data")
        total = body.get("total")
        return cls(
            rows=tuple(Row.from_wire(r) for r in rows) if isinstance(rows, list) else (),
            has_more=_as_bool(body.get("has_more")),
            next_cursor=_as_str(body.get("next_cursor")),
            total=_as_int(total) if total is not None else None,
        )


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """An upsert's record and whether it was created (201) or patched (200)."""

    record: Record
    created: bool


@dataclass(frozen=True, slots=True)
class ImportRowResult:
    """The outcome of one input row, in input order."""

    id: str | None
    created: bool
    existing: bool
    error: ErrorInfo | None

    @classmethod
    def from_wire(cls, data: object) -> ImportRowResult:
        body = as_mapping(data)
        return cls(
            id=_as_str(body.get("id")),
            created=_as_bool(body.get("created")),
            existing=_as_bool(body.get("existing")),
            error=ErrorInfo.from_wire(body.get("error")),
        )


@dataclass(frozen=True, slots=True)
class ImportJob:
    """A snapshot of an import. Sync imports arrive ``complete`` with no ``job_id``."""

    job_id: str | None
    status: ImportStatus
    total: int
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    results: tuple[ImportRowResult, ...] = ()
    error: ErrorInfo | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status != "processing"

    @classmethod
    def from_wire(cls, data: object) -> ImportJob:
        body = as_mapping(data)
        status = body.get("status")
        results = body.get("results")
        return cls(
            job_id=_as_str(body.get("job_id")),
            # An unknown status is treated as still running: waiting is safe,
            # declaring an unfinished import done is not.
            status=status if status in ("complete", "failed") else "processing",
            total=_as_int(body.get("total")),
            processed=_as_int(body.get("processed")),
            succeeded=_as_int(body.get("succeeded")),
            failed=_as_int(body.get("failed")),
            results=tuple(ImportRowResult.from_wire(r) for r in results) if isinstance(results, list) else (),
            error=ErrorInfo.from_wire(body.get("error")),
            created_at=_as_datetime(body.get("created_at")),
            updated_at=_as_datetime(body.get("updated_at")),
            expires_at=_as_datetime(body.get("expires_at")),
        )


@dataclass(frozen=True, slots=True)
class BatchItemResult:
    """One item of a batch update/delete, in input order."""

    id: str | None
    ok: bool
    error: ErrorInfo | None = None
    record: Record | None = None

    @classmethod
    def from_wire(cls, data: object) -> BatchItemResult:
        body = as_mapping(data)
        record = body.get("record")
        return cls(
            id=_as_str(body.get("id")),
            ok=body.get("status") == "ok",
            error=ErrorInfo.from_wire(body.get("error")),
            record=Record.from_wire(record) if isinstance(record, dict) else None,
        )


@dataclass(frozen=True, slots=True)
class BatchSummary:
    total: int
    succeeded: int
    failed: int


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Per-item results plus the summary; the call succeeds even when items fail."""

    results: tuple[BatchItemResult, ...]
    summary: BatchSummary

    @property
    def failures(self) -> tuple[BatchItemResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    @classmethod
    def from_wire(cls, data: object) -> BatchResult:
        body = as_mapping(data)
        raw = body.get("results")
        results = tuple(BatchItemResult.from_wire(r) for r in raw) if isinstance(raw, list) else ()
        summary = as_mapping(body.get("summary"))
        succeeded = sum(r.ok for r in results)
        # Fall back to counting the items when a server omits the summary.
        return cls(
            results=results,
            summary=BatchSummary(
                total=_as_int(summary.get("total"), len(results)),
                succeeded=_as_int(summary.get("succeeded"), succeeded),
                failed=_as_int(summary.get("failed"), len(results) - succeeded),
            ),
        )

    @classmethod
    def merge(cls, parts: Iterable[BatchResult]) -> BatchResult:
        """One result for several chunked calls, items still in input order."""
        parts = tuple(parts)
        return cls(
            results=tuple(r for p in parts for r in p.results),
            summary=BatchSummary(
                total=sum(p.summary.total for p in parts),
                succeeded=sum(p.summary.succeeded for p in parts),
                failed=sum(p.summary.failed for p in parts),
            ),
        )


@dataclass(frozen=True, slots=True)
class RecordPatch:
    """One item of a batch update: the slugs to change on record ``id``."""

    id: str
    default: Mapping[str, object] = field(default_factory=dict)
    list: Mapping[str, Mapping[str, object]] | None = None

    def to_wire(self) -> dict[str, object]:
        item: dict[str, object] = {"id": self.id, "default": dict(self.default)}
        if self.list is not None:
            item["list"] = {k: dict(v) for k, v in self.list.items()}
        return item


def _check_access(value: object, where: str) -> Access:
    if value not in ACCESS_LEVELS:
        raise ValueError(f"grant {where}: access must be one of r, w, a; got {value!r}")
    return value


def _entries_from_wire(value: object) -> dict[str, Access]:
    # The wire form is a list of one-key objects; unknown letters are skipped
    # rather than failing the whole read.
    entries: dict[str, Access] = {}
    items: Sequence[object] = value if isinstance(value, list) else [value]
    for item in items:
        for key, access in as_mapping(item).items():
            if access in ACCESS_LEVELS:
                entries[key] = access
    return entries


@dataclass(frozen=True, slots=True)
class Grant:
    """Who may read (r), write (w) or administer (a) one record.

    Keys are team, user and team-group ids. A record with no grant at all is
    team-visible; a grant with no entries leaves it to team admins.
    """

    team: Mapping[str, Access] = field(default_factory=dict)
    users: Mapping[str, Access] = field(default_factory=dict)
    groups: Mapping[str, Access] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for where, entries in (("team", self.team), ("users", self.users), ("groups", self.groups)):
            for key, access in entries.items():
                if not key:
                    raise ValueError(f"grant {where}: empty id")
                _check_access(access, f"{where}[{key}]")

    @classmethod
    def from_wire(cls, data: object) -> Grant:
        body = as_mapping(data)
        return cls(
            team=_entries_from_wire(body.get("team_id", {})),
            users=_entries_from_wire(body.get("user_id", [])),
            groups=_entries_from_wire(body.get("team_group_id", [])),
        )

    def to_wire(self) -> dict[str, object]:
        return {
            "team_id": dict(self.team),
            "user_id": [{k: v} for k, v in self.users.items()],
            "team_group_id": [{k: v} for k, v in self.groups.items()],
        }


@dataclass(frozen=True, slots=True)
class PropertyOption:
    slug: str
    name: str
    id: str | None = None
    color: str | None = None

    @classmethod
    def from_wire(cls, data: object) -> PropertyOption | None:
        body = as_mapping(data)
        slug = _as_str(body.get("slug"))
        if slug is None:
            return None
        return cls(
            slug=slug,
            name=_as_str(body.get("name")) or slug,
            id=_as_str(body.get("id")),
            color=_as_str(body.get("color")),
        )


@dataclass(frozen=True, slots=True)
class PropertyDefinition:
    """One property of an object type's schema (best effort on the real API)."""

    slug: str
    name: str
    type: str
    options: tuple[PropertyOption, ...] = ()
    target: str | None = None
    multiple: bool = False
    required: bool = False
    read_only: bool = False

    @classmethod
    def from_wire(cls, data: object) -> PropertyDefinition | None:
        body = as_mapping(data)
        slug = _as_str(body.get("slug"))
        if slug is None:
            return None
        raw_options = body.get("options")
        options = (
            tuple(o for o in (PropertyOption.from_wire(x) for x in raw_options) if o is not None) if isinstance(raw_options, list) else ()
        )
        return cls(
            slug=slug,
            name=_as_str(body.get("name")) or slug,
            type=_as_str(body.get("type")) or "text",
            options=options,
            target=_as_str(body.get("target")),
            multiple=_as_bool(body.get("multiple")),
            required=_as_bool(body.get("required")),
            read_only=_as_bool(body.get("read_only")),
        )

    @classmethod
    def list_from_wire(cls, data: object) -> tuple[PropertyDefinition, ...]:
        """Definitions from ``{"data": [...]}`` or a bare list; others give ()."""
        items = as_mapping(data).get("data") if isinstance(data, dict) else data
        if not isinstance(items, list):
            return ()
        return tuple(p for p in (cls.from_wire(x) for x in items) if p is not None)

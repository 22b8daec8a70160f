"""Which records the current person can read now, asked of the API with their key.

The dashboard's own tables (audit entries) name records; before listing them to a
person, the API is asked which of those records that person's key can read.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial

from prism_client import OBJECT_TYPES, PrismError, Query
from prism_client.resources import chunked

from . import prism
from .fan_out import Outage, fan_out

CHUNK = 50  # the API's largest query page
KNOWN_TYPES = {t.segment for t in OBJECT_TYPES}


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError):
        return False
    return True


def _ids_found(segment: str, ids: tuple[str, ...]) -> list[tuple[str, str]]:
    # deleted=true includes soft-deleted records beside live ones (the reference: "Include
    # soft-deleted records"), so one call per chunk answers for both.
    page = prism.client().service(segment).query(Query(ids=ids, deleted=True, limit=CHUNK))
    return [(segment, row.id) for row in page.rows]


def readable_calls(pairs: Iterable[tuple[str, str]]) -> list[Callable[[], list[tuple[str, str]]]]:
    """The API calls that tell which of these (object type, record id) pairs the person can
    read, one per type and chunk, to go out with a page's other calls (fan_out.py)."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for segment, record_id in pairs:
        if segment in KNOWN_TYPES and is_uuid(record_id) and record_id not in by_type[segment]:
            by_type[segment].append(record_id)
    return [partial(_ids_found, segment, tuple(chunk)) for segment, ids in by_type.items() for chunk in chunked(ids, CHUNK)]


def found_in(results: Iterable[list[tuple[str, str]] | PrismError]) -> set[tuple[str, str]]:
    """The readable pairs the calls of readable_calls() answered. An API failure counts as
    "not readable": nothing is shown that was not confirmed."""
    found: set[tuple[str, str]] = set()
    for result in results:
        if not isinstance(result, PrismError):
            found.update(result)
    return found


def pairs_of(entries) -> list[tuple[str, str]]:
    return [(e.segment, e.record_id) for e in entries if e.record_id]


def keep_visible(entries, ok: set[tuple[str, str]], limit: int) -> list:
    """Audit entries the person may see: those about a readable record, and those about
    no single record (imports, bulk actions), newest first, at most `limit`."""
    return [e for e in entries if not e.record_id or (e.segment, e.record_id) in ok][:limit]


def visible_entries(entries, limit: int, *, outage: Outage | None = None) -> list:
    """keep_visible() with its readability checks asked now, all at once (fan_out.py)."""
    entries = list(entries)
    return keep_visible(entries, found_in(fan_out(readable_calls(pairs_of(entries)), outage=outage)), limit)

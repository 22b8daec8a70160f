"""Which records the current person can read now, asked of the API with their key.

The dashboard's own tables (audit entries) name records; before listing them to a
person, the API is asked which of those records that person's key can read.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
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


def _ids_found(segment: str, ids: tuple[str, ...], deleted: bool) -> list[tuple[str, str]]:
    page = prism.client().service(segment).query(Query(ids=ids, deleted=deleted, limit=CHUNK))
    return [(segment, row.id) for row in page.rows]


def readable(pairs: Iterable[tuple[str, str]], *, outage: Outage | None = None) -> set[tuple[str, str]]:
    """The (object type, record id) pairs the person can read, deleted ones included, asked
    all at once (fan_out.py). An API failure counts as "not readable": nothing is shown
    that was not confirmed."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for segment, record_id in pairs:
        if segment in KNOWN_TYPES and is_uuid(record_id) and record_id not in by_type[segment]:
            by_type[segment].append(record_id)
    calls = [
        partial(_ids_found, segment, tuple(chunk), deleted)
        for segment, ids in by_type.items()
        for chunk in chunked(ids, CHUNK)
        for deleted in (False, True)
    ]
    found: set[tuple[str, str]] = set()
    for result in fan_out(calls, outage=outage):
        if not isinstance(result, PrismError):
            found.update(result)
    return found


def visible_entries(entries, limit: int, *, outage: Outage | None = None) -> list:
    """Audit entries the person may see: those about a readable record, and those about
    no single record (imports, bulk actions), newest first, at most `limit`."""
    entries = list(entries)
    ok = readable(((e.segment, e.record_id) for e in entries if e.record_id), outage=outage)
    return [e for e in entries if not e.record_id or (e.segment, e.record_id) in ok][:limit]

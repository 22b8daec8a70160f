"""Which records the current person can read now, asked of the API with their key.

The dashboard's own tables (audit entries) name records; before listing them to a
person, the API is asked which of those records that person's key can read.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable

from prism_client import OBJECT_TYPES, PrismError, Query
from prism_client.resources import chunked

from . import prism

CHUNK = 50  # the API's largest query page
KNOWN_TYPES = {t.segment for t in OBJECT_TYPES}


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError):
        return False
    return True


def readable(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (object type, record id) pairs the person can read, deleted ones included.
    An API failure counts as "not readable": nothing is shown that was not confirmed."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for segment, record_id in pairs:
        if segment in KNOWN_TYPES and is_uuid(record_id) and record_id not in by_type[segment]:
            by_type[segment].append(record_id)
    found: set[tuple[str, str]] = set()
    for segment, ids in by_type.items():
        service = prism.client().service(segment)
        for chunk in chunked(ids, CHUNK):
            for deleted in (False, True):
                try:
                    page = service.query(Query(ids=tuple(chunk), deleted=deleted, limit=CHUNK))
                except PrismError:
                    continue
                found.update((segment, row.id) for row in page.rows)
    return found


def visible_entries(entries, limit: int) -> list:
    """Audit entries the person may see: those about a readable record, and those about
    no single record (imports, bulk actions), newest first, at most `limit`."""
    entries = list(entries)
    ok = readable((e.segment, e.record_id) for e in entries if e.record_id)
    return [e for e in entries if not e.record_id or (e.segment, e.record_id) in ok][:limit]

"""Which records the current person can read now, asked of the API with their key.

The dashboard's own tables (audit entries) name records; before listing them to a
person, the API is asked which of those records that person's key can read.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
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


def _ids_found(segment: str, ids: tuple[str, ...], select: tuple[str, ...]) -> list[tuple[tuple[str, str], dict]]:
    # deleted=true includes soft-deleted records beside live ones (the reference: "Include
    # soft-deleted records"), so one call per chunk answers for both.
    page = prism.client().service(segment).query(Query(select=select, ids=ids, deleted=True, limit=CHUNK))
    return [((segment, row.id), dict(row.properties)) for row in page.rows]


def readable_calls(pairs: Iterable[tuple[str, str]], schemas: dict | None = None) -> list[Callable[[], list]]:
    """The API calls that find which (object type, record id) pairs the person can read,
    deleted ones included, each record with its title's values: for fan_out, alone or
    beside a page's other calls (one round trip)."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for segment, record_id in pairs:
        if segment in KNOWN_TYPES and is_uuid(record_id) and record_id not in by_type[segment]:
            by_type[segment].append(record_id)
    schemas = prism.schemas() if schemas is None else schemas
    return [
        partial(_ids_found, segment, tuple(chunk), schemas[segment].title_select() if segment in schemas else ())
        for segment, ids in by_type.items()
        for chunk in chunked(ids, CHUNK)
    ]


def collect(results: Iterable) -> dict[tuple[str, str], dict]:
    """(object type, id) -> title values, from the results of readable_calls. An API
    failure counts as "not readable": nothing is shown that was not confirmed."""
    found: dict[tuple[str, str], dict] = {}
    for result in results:
        if not isinstance(result, PrismError):
            found.update(result)
    return found


def pairs_of(entries) -> list[tuple[str, str]]:
    return [(e.segment, e.record_id) for e in entries if e.record_id]


def keep_visible(entries, found: Mapping[tuple[str, str], object], limit: int) -> list:
    """Audit entries the person may see: those about a readable record (in `found`), and
    those about no single record (imports, bulk actions), newest first, at most `limit`."""
    return [e for e in entries if not e.record_id or (e.segment, e.record_id) in found][:limit]


def readable(pairs: Iterable[tuple[str, str]], *, outage: Outage | None = None, schemas: dict | None = None) -> dict[tuple[str, str], dict]:
    """The pairs the person can read, with their title values, asked all at once (fan_out.py)."""
    return collect(fan_out(readable_calls(pairs, schemas), outage=outage))


def visible_entries(
    entries, limit: int, *, outage: Outage | None = None, also: Iterable[tuple[str, str]] = (), schemas: dict | None = None
) -> tuple[list, dict]:
    """keep_visible() with its checks asked now, all at once; and what was found readable,
    `also` records (e.g. those the changes refer to) read in the same calls."""
    entries = list(entries)
    found = readable([*pairs_of(entries), *also], outage=outage, schemas=schemas)
    return keep_visible(entries, found, limit), found

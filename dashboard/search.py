"""Search: the text typed in a table's search box (quick search) or in the header's
(global search, every type at once), looked for in every searchable property of a type
(`PropertyType.searchable`: names, email, phone, domain, title…).

The API joins one flat list of filters with one combinator and cannot nest, so
"any searchable property contains the text" is one query only on its own
(`combinator: OR`). Beside filters it cannot be one query:

- with "all" filters, the records wanted are those of the queries "every filter AND
  property p contains the text", one per searchable property p;
- with "any" filters, those of "filter f AND property p contains the text", one per
  filter f and property p (the two ORs spread over the AND).

Those queries (`SearchPlan.parts`) go out at once (fan_out), each in the table's sort
order, and the ids they find restrict the table's own query (filters, sort, paging,
total): the API orders and pages the merged records itself, and a filter applies to
every row shown. Each part reads at most SEARCH_DEPTH matches. That is enough to be
exact for the first SEARCH_DEPTH rows of the table (a row among the table's first N is
among the first N of a part it matches); beyond them the table stops, and says so.
"""

from dataclasses import dataclass, replace
from functools import partial
from urllib.parse import urlencode

from django.urls import reverse

from prism_client import MAX_LIMIT, OBJECT_TYPES, Filter, ObjectType, Operator, PrismError, PropertyDefinition, Query

from . import prism
from .errors import describe
from .fan_out import fan_out, raise_first
from .prism import TypeSchema
from .property_types import for_property, record_url

# The most matches one search beside filters reads per part, and so the rows the table
# can show for it: one page of the API (so each part is one round trip, all at once).
# Every page size (list_state.PAGE_SIZES) divides it: pages end on it.
SEARCH_DEPTH = MAX_LIMIT
# The most parts a search beside "any" filters may take (filters × searchable properties).
MAX_PARTS = 16
# An id no record has: the table's query when the parts found nothing (an empty id
# list would mean "no restriction").
NO_RECORD = "00000000-0000-0000-0000-000000000000"


def searchable_properties(schema: TypeSchema) -> list[PropertyDefinition]:
    """The properties quick search looks in; the title first (what people type most)."""
    found = [p for p in schema.user_properties if for_property(p).searchable]
    return sorted(found, key=lambda p: p.slug != schema.title_slug)


def search_hint(schema: TypeSchema) -> str:
    """What the search box searches, in words: "First name, Last name, Email or Phone"."""
    names = [p.name for p in searchable_properties(schema)]
    if not names:
        return ""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def search_filters(schema: TypeSchema, text: str) -> list[Filter]:
    """One `contains` per searchable property (the title's when none is)."""
    slugs = [p.slug for p in searchable_properties(schema)] or [schema.title_slug]
    return [Filter(slug, Operator.CONTAINS, text) for slug in slugs]


@dataclass(frozen=True)
class SearchPlan:
    """The table's query, and when a search cannot be part of it, the queries (`parts`)
    whose matches restrict it to the records the search finds."""

    query: Query
    parts: tuple[Query, ...] = ()
    notice: str = ""

    @property
    def split(self) -> bool:
        return bool(self.parts)


def plan(query: Query, schema: TypeSchema, text: str, *, narrowed: bool = False) -> SearchPlan:
    """`query` (the table's filters, sort, page…) with the search for `text` added.

    `narrowed`: the caller adds filters of its own to the query (a board's columns), so
    even a search without filters cannot be the query's OR: it becomes parts too."""
    if not text:
        return SearchPlan(query)
    terms = search_filters(schema, text)
    if not query.filters and not narrowed:  # alone: one query, any property containing the text
        return SearchPlan(replace(query, filters=tuple(terms), combinator="OR" if len(terms) > 1 else "AND"))
    if query.combinator == "AND" or len(query.filters) == 1:
        if len(terms) == 1:  # one property: simply one more filter
            return SearchPlan(replace(query, filters=(*query.filters, terms[0]), combinator="AND"))
        groups = [(*query.filters, term) for term in terms]
    else:
        groups = [(f, term) for f in query.filters for term in terms]
        if len(groups) > MAX_PARTS:
            notice = (
                f"Quick search is not applied: beside “any” of {len(query.filters)} filters it would take "
                f"{len(groups)} queries (at most {MAX_PARTS}). Remove some filters or choose “all”."
            )
            return SearchPlan(query, notice=notice)
    # Only ids are needed from the parts; each is read in the table's own order.
    part = replace(query, select=schema.title_select(), limit=min(SEARCH_DEPTH, MAX_LIMIT), include_total=False, combinator="AND")
    return SearchPlan(query, parts=tuple(replace(part, filters=group) for group in groups))


@dataclass(frozen=True)
class Resolved:
    """The query that shows the table's rows; `cut` when a part found more than
    SEARCH_DEPTH matches (rows past that depth may be missing, so none are shown)."""

    query: Query
    cut: bool = False


def matching_ids(service, query: Query, depth: int = SEARCH_DEPTH) -> tuple[list[str], bool]:
    """The ids of the first `depth` records `query` finds, and whether more match."""
    ids: list[str] = []
    cursor = None
    while True:
        page = service.query(query, cursor=cursor)
        ids += [row.id for row in page.rows]
        if not page.has_more:
            return ids[:depth], len(ids) > depth
        if len(ids) >= depth or not page.next_cursor or page.next_cursor == cursor:
            return ids[:depth], True
        cursor = page.next_cursor


def resolve(search: SearchPlan, service) -> Resolved:
    """The table's query, with the parts' matches (read at once) as its id restriction."""
    if not search.split:
        return Resolved(search.query)
    found = raise_first(fan_out([partial(matching_ids, service, part) for part in search.parts]))
    ids = list(dict.fromkeys(i for part_ids, _ in found for i in part_ids))
    cut = any(more for _, more in found)
    return Resolved(replace(search.query, ids=tuple(ids) or (NO_RECORD,)), cut=cut)


def split_note(schema: TypeSchema, search: SearchPlan) -> str:
    """What the table says about a search beside filters (how it was run)."""
    if not search.split:
        return ""
    return (
        f"Searched {search_hint(schema)} with the filters: the API takes one way of joining filters per query, "
        f"so this ran {len(search.parts)} queries at once and merged their records in the table's order "
        f"(at most the first {SEARCH_DEPTH:,})."
    )


def cut_notice(text: str) -> str:
    return (
        f"More than {SEARCH_DEPTH:,} records match “{text}” with these filters: the table shows the first "
        f"{SEARCH_DEPTH:,}. Type more of the text, or add filters, to see the others."
    )


# --- the global search: every type at once ----------------------------------------------------

GLOBAL_ROWS = 5  # records shown per type; the type's table shows the rest
GLOBAL_MAX_TEXT = 200


@dataclass(frozen=True)
class TypeMatches:
    """One type's part of a global search: its first matches (title, URL), or why there are none."""

    object_type: ObjectType
    rows: tuple[tuple[str, str], ...] = ()
    more: bool = False
    table_url: str = ""
    error: str = ""


def global_search(text: str) -> list[TypeMatches]:
    """The first matches of `text` in every type, one query per type, sent at once (fan_out).

    A type whose query fails says so in its own group; the others still show."""
    text = text.strip()[:GLOBAL_MAX_TEXT]
    if not text:
        return []
    schemas = prism.schemas()
    client = prism.client()
    calls = []
    for object_type in OBJECT_TYPES:
        schema = schemas[object_type.segment]
        terms = search_filters(schema, text)
        query = Query(select=schema.title_select(), filters=tuple(terms), combinator="OR" if len(terms) > 1 else "AND", limit=GLOBAL_ROWS)
        calls.append(partial(client.service(object_type.segment).query, query))
    found = []
    for object_type, result in zip(OBJECT_TYPES, fan_out(calls), strict=True):
        table_url = f"{reverse('record-list', args=[object_type.segment])}?{urlencode({'q': text})}"
        if isinstance(result, PrismError):
            found.append(TypeMatches(object_type, table_url=table_url, error=describe(result)))
            continue
        schema = schemas[object_type.segment]
        rows = tuple((schema.title(r.properties, r.id), record_url(object_type.segment, r.id)) for r in result.rows)
        found.append(TypeMatches(object_type, rows=rows, more=result.has_more, table_url=table_url))
    return found

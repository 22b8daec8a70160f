"""A record table's state lives in its URL: parse it, check it, turn it into a Query.

Parameter names are constants. Bad values fall back to defaults (a wrong page
size, an unknown column or sort key) instead of failing the page; filter rows
with bad values are kept, flagged with a sentence, and left out of the query.
"""

import re
import uuid
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.http import QueryDict

from prism_client import Filter, Operator, Query, Sort

from . import search
from .prism import TypeSchema
from .property_types import BadValue, Input, for_property

COLUMNS_VAR = "cols"
COLUMN_VAR = "col"
SORT_VAR = "sort"
SIZE_VAR = "size"
CURSOR_VAR = "cursor"
TRAIL_VAR = "trail"
TOTAL_VAR = "total"
TRASH_VAR = "trash"
SEARCH_VAR = "q"
COMBINATOR_VAR = "combinator"  # the wire's word; AND or OR
LEGACY_COMBINATOR_VAR = "join"  # its name in bookmarks made before
IDS_VAR = "ids"  # only these records (e.g. the ones a bulk action failed on)
LAYOUT_VAR = "layout"  # "board": the same records as a board (board.py), one column per option
GROUP_VAR = "group"  # the board's select property
BOARD = "board"
MAX_IDS = 500
ROW_PROPERTY, ROW_OPERATOR, ROW_VALUE = "f", "o", "v"  # f0, o0, v0 (v repeats for several values)

PAGE_SIZES = (10, 25, 50)
DEFAULT_SIZE = 25
MAX_COLUMNS = 12
MAX_ROWS = 10
DEFAULT_COLUMN_COUNT = 5
TRUE = ("1", "true", "on", "yes")


@dataclass(frozen=True)
class FilterRow:
    slug: str
    op: str
    values: tuple[str, ...] = ()
    error: str | None = None

    @property
    def complete(self) -> bool:
        return bool(self.slug and self.op)


@dataclass(frozen=True)
class ListState:
    columns: tuple[str, ...]
    sort: tuple[str, ...] = ()
    size: int = DEFAULT_SIZE
    cursor: str | None = None
    trail: tuple[str, ...] = ()
    total: bool = False
    trash: bool = False
    search: str = ""
    combinator: str = "AND"
    filter_rows: tuple[FilterRow, ...] = ()
    ids: tuple[str, ...] = ()
    layout: str = ""  # "" the table, BOARD the board
    group: str = ""  # the board's select property ("" before one is chosen)
    notices: tuple[str, ...] = field(default=(), compare=False)

    # --- links -----------------------------------------------------------------------

    def params(self, *, with_position: bool = True) -> list[tuple[str, str]]:
        """The state as query parameters (cursor and trail only with_position)."""
        out: list[tuple[str, str]] = [(COLUMNS_VAR, ",".join(self.columns))]
        if self.sort:
            out.append((SORT_VAR, ",".join(self.sort)))
        if self.size != DEFAULT_SIZE:
            out.append((SIZE_VAR, str(self.size)))
        if self.total:
            out.append((TOTAL_VAR, "1"))
        if self.trash:
            out.append((TRASH_VAR, "1"))
        if self.search:
            out.append((SEARCH_VAR, self.search))
        if self.combinator == "OR":
            out.append((COMBINATOR_VAR, "OR"))
        if self.ids:
            out.append((IDS_VAR, ",".join(self.ids)))
        if self.layout:
            out.append((LAYOUT_VAR, self.layout))
        if self.group:
            out.append((GROUP_VAR, self.group))
        for i, row in enumerate(self.filter_rows):
            out += [(f"{ROW_PROPERTY}{i}", row.slug), (f"{ROW_OPERATOR}{i}", row.op)]
            out += [(f"{ROW_VALUE}{i}", v) for v in row.values]
        if with_position and self.cursor:
            out.append((CURSOR_VAR, self.cursor))
            out.append((TRAIL_VAR, ",".join(self.trail)))
        return out

    def query_string(self, **changes) -> str:
        """The URL query for this state with `changes`; any change but paging starts at page 1."""
        state = replace(self, **changes)
        if set(changes) - {CURSOR_VAR, TRAIL_VAR}:
            state = replace(state, cursor=None, trail=())
        return "?" + urlencode(state.params())

    def next_page(self, next_cursor: str) -> str:
        return self.query_string(cursor=next_cursor, trail=(*self.trail, self.cursor or ""))

    def previous_page(self) -> str | None:
        if not self.cursor:
            return None
        return self.query_string(cursor=self.trail[-1] if self.trail else None, trail=self.trail[:-1])

    def sort_link(self, slug: str, *, add: bool) -> str:
        """Click: sort by slug (again: flip it). Shift-click (add): add or flip it as another key."""
        current = {s.lstrip("-"): s for s in self.sort}
        flipped = slug if current.get(slug) == f"-{slug}" else (f"-{slug}" if slug in current else slug)
        if add:
            keys = [flipped if s.lstrip("-") == slug else s for s in self.sort]
            if slug not in current:
                keys.append(slug)
            return self.query_string(sort=tuple(keys))
        primary = self.sort[0].lstrip("-") if self.sort else None
        return self.query_string(sort=(flipped if primary == slug else slug,))

    def sort_direction(self, slug: str) -> tuple[str | None, int | None]:
        """('asc'|'desc'|None, position from 1) for a header."""
        for i, key in enumerate(self.sort):
            if key.lstrip("-") == slug:
                return ("desc" if key.startswith("-") else "asc"), i + 1
        return None, None

    @property
    def page_number(self) -> int:
        return len(self.trail) + 1 if self.cursor else 1


# --- parsing ----------------------------------------------------------------------------


def _columns_known(schemas: dict[str, TypeSchema], schema: TypeSchema, path: str) -> bool:
    parts = path.split(".")
    current = schema
    for i, part in enumerate(parts):
        prop = current.get(part)
        if prop is None or len(parts) > 3:
            return False
        if i < len(parts) - 1:
            if prop.type != "reference" or not prop.target or prop.target not in schemas:
                return False
            current = schemas[prop.target]
    return True


def groupable(schema: TypeSchema) -> tuple[str, ...]:
    """The properties a board can group by: the writable single selects."""
    return tuple(p.slug for p in schema.user_properties if p.type == "select" and not p.multiple and not p.read_only)


def default_columns(schema: TypeSchema) -> tuple[str, ...]:
    # The title has its own first column (the row's link): its parts are not repeated.
    props = [p.slug for p in schema.user_properties if for_property(p).default_column and p.slug not in schema.title_slugs]
    return tuple(props[:DEFAULT_COLUMN_COUNT]) or (schema.title_slug,)


def _column_paths(params: QueryDict) -> list[str]:
    """The columns asked for, in order. The picker's checkboxes (col=…, sent by the table
    form) say which; the compact cols=a,b (the table's own, sent beside them) keeps their
    order, and a column newly picked goes last: a change elsewhere in the form must not
    reorder the table (the checkboxes are in the schema's order)."""
    compact = [c.strip() for c in params.get(COLUMNS_VAR, "").split(",") if c.strip()]
    picked = [c.strip() for c in params.getlist(COLUMN_VAR) if c.strip()]
    if not picked:
        return compact
    return [c for c in compact if c in picked] + [c for c in picked if c not in compact]


def parse(params: QueryDict, schema: TypeSchema, schemas: dict[str, TypeSchema]) -> ListState:
    notices: list[str] = []
    raw_cols = _column_paths(params)
    columns = tuple(dict.fromkeys(c for c in raw_cols if _columns_known(schemas, schema, c)))[:MAX_COLUMNS]
    if len(columns) < len(raw_cols):
        notices.append("Some columns are not part of this table and were left out.")
    columns = columns or default_columns(schema)

    sort = []
    for key in params.get(SORT_VAR, "").split(","):
        slug = key.strip().lstrip("-")
        # Bad sort entries are skipped, as in Django's admin; references can't sort.
        if slug and (schema.get(slug) or slug == "id") and "." not in slug and slug not in [s.lstrip("-") for s in sort]:
            sort.append(f"-{slug}" if key.strip().startswith("-") else slug)  # "--x" is "-x"
    try:
        size = int(params.get(SIZE_VAR, DEFAULT_SIZE))
    except ValueError:
        size = DEFAULT_SIZE
    if size not in PAGE_SIZES:
        size = DEFAULT_SIZE
    cursor = params.get(CURSOR_VAR) or None
    trail = tuple(params.get(TRAIL_VAR, "").split(",")) if cursor and params.get(TRAIL_VAR) is not None else ()
    filter_rows = parse_filter_rows(params, schema)
    combinator = "OR" if params.get(COMBINATOR_VAR, params.get(LEGACY_COMBINATOR_VAR, "")).upper() == "OR" else "AND"
    search = params.get(SEARCH_VAR, "").strip()[:200]
    trash = params.get(TRASH_VAR, "").lower() in TRUE
    if trash and combinator == "OR" and filter_rows:
        notices.append("In the trash, filters are joined by “all”.")
    ids = []
    for raw in params.get(IDS_VAR, "").split(",")[:MAX_IDS]:
        try:
            ids.append(str(uuid.UUID(raw.strip())))
        except ValueError:
            continue
    group = params.get(GROUP_VAR, "")
    if group and group not in groupable(schema):
        notices.append("A board groups its cards by a select property; that one is not, so the first one is used.")
        group = ""
    return ListState(
        ids=tuple(ids),
        layout=BOARD if params.get(LAYOUT_VAR) == BOARD else "",
        group=group,
        columns=columns,
        sort=tuple(sort),
        size=size,
        cursor=cursor,
        trail=trail,
        total=params.get(TOTAL_VAR, "").lower() in TRUE,
        trash=trash,
        search=search,
        combinator=combinator,
        filter_rows=filter_rows,
        notices=tuple(notices),
    )


ROW_KEY_RE = re.compile(rf"{ROW_PROPERTY}(\d{{1,4}})")
MAX_ROW_INDEX = 9999


def row_indexes(params: QueryDict) -> list[int]:
    """The filter rows' indexes in the URL (f0, f4, f12…), in order, at most MAX_ROWS.

    The builder numbers new rows on from the last one and never renumbers, so after
    rows are added and removed the indexes have gaps and can pass MAX_ROWS.
    """
    return sorted({int(m[1]) for key in params if (m := ROW_KEY_RE.fullmatch(key))})[:MAX_ROWS]


def parse_filter_rows(params: QueryDict, schema: TypeSchema) -> tuple[FilterRow, ...]:
    rows = []
    for i in row_indexes(params):
        slug = params.get(f"{ROW_PROPERTY}{i}", "")
        op = params.get(f"{ROW_OPERATOR}{i}", "")
        values = tuple(v for v in params.getlist(f"{ROW_VALUE}{i}"))
        rows.append(check_row(FilterRow(slug, op, values), schema))
    return tuple(rows)


# --- checking values by type ------------------------------------------------------------------


SPLIT_RE = re.compile(r"[\n,]")


def check_row(row: FilterRow, schema: TypeSchema) -> FilterRow:
    """The row with its values in wire form, or with an error sentence."""
    if not row.slug:
        return row
    prop = schema.get(row.slug)
    if prop is None:
        return replace(row, error="Choose a property.")
    kind = for_property(prop)
    spec = kind.operator(row.op)
    if spec is None:
        return replace(row, op="", error=None)  # incomplete: pick an operator
    values = tuple(v for v in row.values if v.strip())
    try:
        if spec.input is Input.NONE:
            return replace(row, values=())
        if spec.input is Input.MANY and len(values) == 1 and not kind.filter_choices():
            # Several values typed in one box (picked from a menu, they come one by one).
            values = tuple(v.strip() for v in SPLIT_RE.split(values[0]) if v.strip())
        if not values:
            return replace(row, values=(), error=None)  # incomplete: waiting for a value
        if spec.input is Input.TWO and len(values) != 2:
            raise BadValue("Give both ends of the range.")
        if spec.input is Input.ONE:
            values = values[:1]
        return replace(row, values=tuple(kind.filter_value(v) for v in values), error=None)
    except BadValue as exc:
        return replace(row, error=str(exc))


def row_filter(row: FilterRow, schema: TypeSchema) -> Filter | None:
    """The API filter for a complete, valid row (None while incomplete)."""
    if not row.complete or row.error:
        return None
    prop = schema.get(row.slug)
    kind = for_property(prop) if prop else None
    spec = kind.operator(row.op) if kind else None
    if kind is None or spec is None:
        return None
    if spec.input is Input.NONE:
        return Filter(row.slug, spec.op, True)
    if not row.values:
        return None
    if spec.input is Input.ONE:
        return Filter(row.slug, spec.op, kind.filter_operand(row.values[0]))
    return Filter(row.slug, spec.op, list(row.values))


def table_select(columns: tuple[str, ...], schema: TypeSchema, schemas: dict[str, TypeSchema] | None) -> tuple[str, ...]:
    """What a table reads: its columns, the row's title, and for each reference column its
    target's title (dot-select: `organization.name`), so references show names, not ids,
    from the same single query."""
    select = [*columns, *schema.title_select()]
    for path in columns if schemas else ():
        parts = path.split(".")
        current, prop = schema, None
        for part in parts:
            prop = current.get(part) if current else None
            current = schemas.get(prop.target) if prop is not None and prop.target else None
        # The API dot-selects at most two references deep (`a.b.name`).
        if prop is not None and prop.type == "reference" and current is not None and len(parts) < 3:
            select.extend(current.title_select(f"{path}."))
    return tuple(dict.fromkeys(select))


def to_query(state: ListState, schema: TypeSchema, schemas: dict[str, TypeSchema] | None = None) -> Query:
    """The table's query without its quick search (`to_plan` adds that)."""
    filters = [f for f in (row_filter(r, schema) for r in state.filter_rows) if f is not None]
    # One flat filter list with one combinator: the trash narrows the results, so it
    # only combines with "all" (parse() tells the person).
    combinator = "OR" if state.combinator == "OR" and not state.trash else "AND"
    if state.trash:
        filters.append(Filter("deleted_at", Operator.IS_NOT_NULL, True))
    return Query(
        select=table_select(state.columns, schema, schemas),
        filters=tuple(filters),
        combinator=combinator if len(filters) > 1 else "AND",
        sort=tuple(Sort.parse(s) for s in state.sort),
        limit=state.size,
        include_total=state.total,
        deleted=state.trash,
        ids=state.ids,
    )


def to_plan(state: ListState, schema: TypeSchema, schemas: dict[str, TypeSchema] | None = None) -> search.SearchPlan:
    """The table's query with its quick search (search.py: one query, or several to merge)."""
    return search.plan(to_query(state, schema, schemas), schema, state.search)


def export_params(state: ListState) -> str:
    return urlencode(state.params(with_position=False))

"""Compiling Prism query bodies into ORM querysets, with keyset cursors.

Filters compare by the property's type (numbers as numbers, dates and datetimes
as instants, text case-insensitively). Every order is made total by appending
`created_at` and `id`, and pages continue from the last row's sort values
(keyset), so they do not drift when records are inserted meanwhile.

A query body is parsed once into a ParsedQuery that carries its compiled filter
condition and sort keys: checking a body and running it share one compilation.
"""

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Lower
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    IEndsWith,
    IsNull,
    IStartsWith,
    LessThan,
    LessThanOrEqual,
)

from .errors import bad_request
from .expressions import NUMBER_KINDS, SLUG_RE, TEXT_KINDS, JsonArrayHas, PropValue
from .schemas import Property, TypeSchema
from .values import InvalidValue, comparison_value, millisecond_of, parse_datetime

OPERATORS = frozenset(
    {
        "=",
        "!=",
        "<",
        ">",
        "<=",
        ">=",
        "contains",
        "begins_with",
        "ends_with",
        "not_contains",
        "exists",
        "not_exists",
        "is_null",
        "is_not_null",
        "between",
        "in",
        "not_in",
    }
)
RANGE_OPS = {"<": LessThan, ">": GreaterThan, "<=": LessThanOrEqual, ">=": GreaterThanOrEqual}
PRESENCE_OPS = {"exists": True, "is_not_null": True, "not_exists": False, "is_null": False}
TEXT_MATCH_OPS = {"contains": IContains, "begins_with": IStartsWith, "ends_with": IEndsWith}
ORDERABLE = TEXT_KINDS | NUMBER_KINDS | {"date", "datetime"}
CURSOR_SALT = "prism-sandbox.cursor"
MAX_PAGE = 2**31 - 1


def _limits() -> tuple[int, int]:
    cfg = settings.PRISM_SANDBOX
    return cfg["DEFAULT_QUERY_LIMIT"], cfg["MAX_QUERY_LIMIT"]


@dataclass(frozen=True)
class SortKey:
    name: str  # annotation name or column
    expression: Any
    descending: bool
    nullable: bool
    kind: str  # "datetime-column", "uuid", "number", "text"


@dataclass
class ParsedQuery:
    segment: str = ""
    select: list[str] | None = None
    filters: list[tuple[str, str, Any]] = field(default_factory=list)
    combinator: str = "AND"
    sort: list[tuple[str, str]] = field(default_factory=list)
    limit: int = 25
    page: int | None = None
    cursor: str | None = None
    ids: list[str] | None = None
    sources: list[str] | None = None
    deleted: bool = False
    include_total: bool = False
    list_id: str | None = None
    #: the filters compiled into one condition, and the total order they are read in
    #: (set by `compile_query` as the last step of parsing; running uses only these)
    condition: Q = field(default_factory=Q)
    keys: list[SortKey] = field(default_factory=list)

    def fingerprint(self) -> str:
        """What a cursor is bound to: the same filters, sort and scope."""
        data = [self.segment, self.filters, self.combinator, self.sort, self.ids, self.sources, self.deleted, self.list_id]
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:20]


# --- parsing -----------------------------------------------------------------


def _as_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise bad_request(f"`{name}` must be a boolean.", field=name)


def _as_limit(value: Any, *, cap_silently: bool) -> int:
    _, cap = _limits()
    if isinstance(value, bool):
        raise bad_request("`limit` must be a whole number.", field="limit")
    try:
        limit = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: 1e400 parses as infinity
        raise bad_request("`limit` must be a whole number.", field="limit") from None
    if isinstance(value, float) and not value.is_integer():
        raise bad_request("`limit` must be a whole number.", field="limit")
    if limit < 1:
        raise bad_request("`limit` must be at least 1.", field="limit")
    if limit > cap:
        if cap_silently:
            return cap
        raise bad_request(f"`limit` may be at most {cap}.", field="limit", max=cap)
    return limit


def _as_str_list(value: Any, name: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise bad_request(f"`{name}` must be a string or a list of strings.", field=name)
    return items


def _as_uuid(value: Any, name: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise bad_request(f"`{name}` must be a UUID.", field=name) from None


def parse_select(schemas: dict[str, TypeSchema], segment: str, select: Any) -> list[str] | None:
    if select is None or select == [] or select == "":
        return None
    items = [s.strip() for s in select.split(",") if s.strip()] if isinstance(select, str) else select
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise bad_request("`select` must be a list of property slugs.", field="select")
    for path in items:
        parts = path.split(".")
        if len(parts) > 3:
            raise bad_request(f"`{path}`: select reaches at most two references deep.", field="select")
        current = schemas[segment]
        for i, part in enumerate(parts):
            if part == "id" and i == len(parts) - 1:
                break
            prop = current.get(part)
            if prop is None:
                raise bad_request(f"Unknown property `{path}` on {current.segment}.", field="select")
            if i < len(parts) - 1:
                if prop.type != "reference":
                    raise bad_request(f"`{path}`: `{part}` is not a reference.", field="select")
                current = schemas[prop.target]
    return list(dict.fromkeys(items))


def _filter_items(raw: Any) -> list[tuple[str, str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise bad_request("`filter` must be a list of {slug: {operator: value}} objects.", field="filter")
    out = []
    for item in raw:
        if not isinstance(item, dict) or len(item) != 1:
            raise bad_request("Each filter must be an object with exactly one property slug.", field="filter")
        ((slug, ops),) = item.items()
        if not isinstance(ops, dict) or not ops:
            raise bad_request(f"Filter on `{slug}` must be an object {{operator: value}}.", field="filter")
        for op, value in ops.items():
            out.append((slug, op, value))
    return out


def parse_query_body(schemas: dict[str, TypeSchema], segment: str, body: dict) -> ParsedQuery:
    query = body.get("query", {})
    if query is None:
        query = {}
    if not isinstance(query, dict):
        raise bad_request("`query` must be an object.", field="query")
    default_limit, _ = _limits()
    pq = ParsedQuery(segment=segment, limit=default_limit)
    pq.select = parse_select(schemas, segment, query.get("select"))
    pq.filters = _filter_items(query.get("filter"))
    combinator = query.get("combinator", "AND")
    if not isinstance(combinator, str) or combinator.upper() not in ("AND", "OR"):
        raise bad_request("`combinator` must be AND or OR.", field="combinator")
    pq.combinator = combinator.upper()
    pq.sort = _parse_sort_items(query.get("sort"))
    cursor = query.get("cursor") or body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise bad_request("`cursor` must be a string.", field="cursor")
    pq.cursor = cursor or None
    if not pq.cursor:  # with a cursor, limit and page come from it and are ignored here
        _parse_page(query, pq)
    if query.get("list_id") is not None:
        pq.list_id = _as_uuid(query["list_id"], "list_id")
    if body.get("id") is not None:
        pq.ids = [_as_uuid(i, "id") for i in _as_str_list(body["id"], "id")]
    if body.get("sources") is not None:
        pq.sources = _as_str_list(body["sources"], "sources")
    if body.get("boxes") is not None:
        _as_str_list(body["boxes"], "boxes")  # accepted and ignored
    if body.get("deleted") is not None:
        pq.deleted = _as_bool(body["deleted"], "deleted")
    if body.get("include_total") is not None:
        pq.include_total = _as_bool(body["include_total"], "include_total")
    return compile_query(schemas[segment], pq)


def _parse_page(query: dict, pq: ParsedQuery) -> None:
    if query.get("limit") is not None:
        pq.limit = _as_limit(query["limit"], cap_silently=False)
    if query.get("page") is not None:
        page = query["page"]
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise bad_request("`page` must be a whole number ≥ 1.", field="page")
        if page > MAX_PAGE:
            # The database's OFFSET is a 64-bit integer; no team has this many pages.
            raise bad_request(f"`page` may be at most {MAX_PAGE}.", field="page")
        pq.page = page


LIST_PARAMS = frozenset({"cursor", "deleted", "include_total", "limit", "list_id", "select", "sort"})


def parse_list_params(schemas: dict[str, TypeSchema], segment: str, params) -> ParsedQuery:
    """GET list: the query-string sugar over the query endpoint."""
    default_limit, _ = _limits()
    pq = ParsedQuery(segment=segment, limit=default_limit)
    if params.get("limit"):
        pq.limit = _as_limit(params["limit"], cap_silently=True)
    pq.cursor = params.get("cursor") or None
    if params.get("deleted"):
        pq.deleted = _as_bool(params["deleted"], "deleted")
    if params.get("include_total"):
        pq.include_total = _as_bool(params["include_total"], "include_total")
    if params.get("list_id"):
        pq.list_id = _as_uuid(params["list_id"], "list_id")
    pq.select = parse_select(schemas, segment, params.get("select"))
    if params.get("sort"):
        pq.sort = [
            (s[1:], "desc") if s.startswith("-") else (s.lstrip("+"), "asc") for s in (p.strip() for p in params["sort"].split(",")) if s
        ]
    for name in params:
        if name in LIST_PARAMS:
            continue
        values = params.getlist(name)
        pq.filters.append((name, "=", values[0]) if len(values) == 1 else (name, "in", values))
    return compile_query(schemas[segment], pq)


def _parse_sort_items(raw: Any) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = [{k: v} for k, v in raw.items()]
    if not isinstance(raw, list):
        raise bad_request("`sort` must be a list of {slug: 'asc'|'desc'} objects.", field="sort")
    out = []
    for item in raw:
        if not isinstance(item, dict) or len(item) != 1:
            raise bad_request("Each sort entry must be an object with one slug.", field="sort")
        ((slug, direction),) = item.items()
        if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
            raise bad_request(f"Sort direction for `{slug}` must be asc or desc.", field="sort")
        out.append((slug, direction.lower()))
    return out


def compile_query(schema: TypeSchema, pq: ParsedQuery) -> ParsedQuery:
    """Compile the filters and the sort once, raising 400 on any problem in either."""
    pq.condition = _combined(schema, pq.filters, pq.combinator)
    pq.keys = sort_keys(schema, pq.sort)
    return pq


def _combined(schema: TypeSchema, filters: list[tuple[str, str, Any]], combinator: str) -> Q:
    q = Q()
    for slug, op, raw in filters:
        cond = _condition(schema, slug, op, raw)
        q = (q | cond) if combinator == "OR" and q else (q & cond)
    return q


# --- filters -------------------------------------------------------------------


def _prop(schema: TypeSchema, slug: str) -> Property:
    if slug == "id":
        return Property(slug="id", name="ID", type="reference", system=False)
    if not isinstance(slug, str) or "." in slug:
        raise bad_request(f"Filtering through references (`{slug}`) is not supported; filter on the reference id.")
    prop = schema.get(slug)
    if prop is None or not SLUG_RE.match(slug):
        raise bad_request(f"Unknown property `{slug}` on {schema.segment}.", field=slug)
    return prop


def sort_expression(prop: Property):
    if prop.slug == "id":
        return F("id")
    if prop.system:
        return F(prop.slug)
    if prop.type in TEXT_KINDS:
        return Lower(PropValue(prop.slug))
    if prop.type == "boolean":
        return _boolean_as_number(prop.slug)
    return PropValue(prop.slug, numeric=prop.type in NUMBER_KINDS)


def _boolean_as_number(slug: str) -> Case:
    # The raw JSON value is an integer on SQLite but 'true'/'false' text on
    # PostgreSQL, and neither compares with a cursor's value through a text field;
    # 0/1 (NULL when absent) orders and compares the same everywhere.
    return Case(
        When(Q(**{f"properties__{slug}": True}), then=Value(1)),
        When(Q(**{f"properties__{slug}": False}), then=Value(0)),
        default=None,
        output_field=IntegerField(),
    )


def operand(prop: Property, raw: Any, op: str):
    try:
        if prop.slug == "id":
            return uuid.UUID(str(raw))
        return comparison_value(prop, raw)
    except (InvalidValue, ValueError) as exc:
        raise bad_request(f"Filter `{prop.slug}` {op}: {exc}", field=prop.slug) from None


def _system_range(prop: Property, op: str, value: dt.datetime) -> Q:
    # created_at/updated_at are stored to the microsecond but read to the
    # millisecond: a value the API returned names that whole millisecond.
    low, high = millisecond_of(value)
    column = prop.slug
    bounds = {"<": ("lt", low), "<=": ("lt", high), ">": ("gte", high), ">=": ("gte", low)}
    lookup, bound = bounds[op]
    return Q(**{f"{column}__{lookup}": bound})


def equals(prop: Property, value: Any) -> Q:
    if prop.slug == "id":
        return Q(id=value)
    if prop.system:
        return _system_range(prop, ">=", value) & _system_range(prop, "<=", value)
    if prop.type == "boolean":
        return Q(**{f"properties__{prop.slug}": value})
    if prop.type == "multiselect" or (prop.type == "reference" and prop.multiple):
        return Q(JsonArrayHas(prop.slug, value))
    if prop.type in TEXT_KINDS:
        return Q(Exact(Lower(PropValue(prop.slug)), Lower(Value(value))))
    return Q(Exact(PropValue(prop.slug, numeric=prop.type in NUMBER_KINDS), value))


def _is_null(prop: Property) -> Q:
    if prop.slug == "deleted_at":
        return Q(deleted_at__isnull=True)
    if prop.system or prop.slug == "id":
        return Q(pk__isnull=True)  # never null
    return Q(IsNull(PropValue(prop.slug), True))


def _condition(schema: TypeSchema, slug: str, op: str, raw: Any) -> Q:
    if op not in OPERATORS:
        raise bad_request(f"Unknown operator `{op}`. Use one of: {', '.join(sorted(OPERATORS))}.", field=slug)
    prop = _prop(schema, slug)
    t = prop.type

    if op in PRESENCE_OPS:
        wanted = PRESENCE_OPS[op]
        if raw is False or (isinstance(raw, str) and raw.lower() == "false"):
            wanted = not wanted
        return ~_is_null(prop) if wanted else _is_null(prop)

    if op in ("=", "!="):
        cond = equals(prop, operand(prop, raw, op))
        return cond if op == "=" else (~cond | _is_null(prop))

    if op in ("in", "not_in"):
        if not isinstance(raw, list) or not raw:
            raise bad_request(f"`{op}` on `{slug}` needs a non-empty list.", field=slug)
        cond = Q()
        for item in raw:
            cond |= equals(prop, operand(prop, item, op))
        return cond if op == "in" else (~cond | _is_null(prop))

    if op in RANGE_OPS or op == "between":
        if not (prop.system or t in ORDERABLE):
            raise bad_request(f"`{op}` does not apply to {t} property `{slug}`.", field=slug)
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                raise bad_request(f"`between` on `{slug}` needs [low, high].", field=slug)
            return _range(prop, ">=", raw[0]) & _range(prop, "<=", raw[1])
        return _range(prop, op, raw)

    # contains, not_contains, begins_with, ends_with
    if t == "multiselect" or (t == "reference" and prop.multiple):
        if op not in ("contains", "not_contains"):
            raise bad_request(f"`{op}` does not apply to {t} property `{slug}`.", field=slug)
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            raise bad_request(f"`{op}` on `{slug}` needs at least one value.", field=slug)
        cond = Q()
        for item in items:
            cond &= Q(JsonArrayHas(slug, operand(prop, item, op)))
        return cond if op == "contains" else (~cond | _is_null(prop))
    if t not in TEXT_KINDS:
        raise bad_request(f"`{op}` does not apply to {t} property `{slug}`.", field=slug)
    if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
        raise bad_request(f"`{op}` on `{slug}` needs a string.", field=slug)
    text = operand(prop, raw, op)
    if op == "not_contains":
        return ~Q(IContains(PropValue(slug), text)) | _is_null(prop)
    return Q(TEXT_MATCH_OPS[op](PropValue(slug), text))


def _range(prop: Property, op: str, raw: Any) -> Q:
    value = operand(prop, raw, op)
    if prop.system:
        return _system_range(prop, op, value)
    return Q(RANGE_OPS[op](sort_expression(prop), _text_cmp(prop, value)))


def _text_cmp(prop: Property, value: Any) -> Any:
    # Text orders case-insensitively, like it filters: compare with LOWER(value).
    return Lower(Value(value)) if prop.type in TEXT_KINDS and not prop.system else value


# --- ordering and keyset cursors ------------------------------------------------------


def sort_keys(schema: TypeSchema, sort: list[tuple[str, str]]) -> list[SortKey]:
    """The sort as keys, made total; raises 400 on a sort it cannot run."""
    keys: list[SortKey] = []
    names = set()
    for i, (slug, direction) in enumerate(sort):
        prop = _sort_prop(schema, slug, names)
        desc = direction == "desc"
        if slug == "id":
            keys.append(SortKey("id", F("id"), desc, False, "uuid"))
        elif prop.system:
            keys.append(SortKey(slug, F(slug), desc, slug == "deleted_at", "datetime-column"))
        else:
            kind = "number" if prop.type in NUMBER_KINDS or prop.type == "boolean" else "text"
            keys.append(SortKey(f"_k{i}", sort_expression(prop), desc, True, kind))
        names.add(slug)
    # Ties break on created_at then id, in the first key's direction, which keeps
    # the order total and lets one index serve filter, sort and tie-break.
    tie_desc = keys[0].descending if keys else True
    if "id" not in names:
        if "created_at" not in names:
            keys.append(SortKey("created_at", F("created_at"), tie_desc, False, "datetime-column"))
        keys.append(SortKey("id", F("id"), tie_desc, False, "uuid"))
    return keys


def _sort_prop(schema: TypeSchema, slug: str, seen: set[str]) -> Property:
    if slug in seen:
        raise bad_request(f"`{slug}` appears twice in sort.", field="sort")
    if "." in slug:
        raise bad_request(f"Sorting through references (`{slug}`) is not supported.", field="sort")
    if slug != "id" and schema.get(slug) is None:
        raise bad_request(f"Unknown property `{slug}` in sort.", field="sort")
    return _prop(schema, slug)


def order_by(keys: list[SortKey]) -> list:
    postgres = connection.vendor == "postgresql"
    out = []
    for k in keys:
        expr = F(k.name) if k.name.startswith("_k") else k.expression
        if postgres and k.nullable:
            # SQLite sorts NULL as the smallest value; make PostgreSQL agree.
            out.append(expr.desc(nulls_last=True) if k.descending else expr.asc(nulls_first=True))
        else:
            out.append(expr.desc() if k.descending else expr.asc())
    return out


def _after(k: SortKey, value: Any) -> Q:
    """Rows after `value` in k's order (NULL is the smallest value)."""
    expr = k.expression
    if value is None:
        return Q(IsNull(expr, False)) if not k.descending else Q(pk__in=[])
    if k.descending:
        cond = Q(LessThan(expr, value))
        return cond | Q(IsNull(expr, True)) if k.nullable else cond
    return Q(GreaterThan(expr, value))


def _same(k: SortKey, value: Any) -> Q:
    if value is None:
        return Q(IsNull(k.expression, True))
    return Q(Exact(k.expression, value))


def keyset_q(keys: list[SortKey], values: list[Any]) -> Q:
    q = Q(pk__in=[])
    prefix = Q()
    for k, v in zip(keys, values, strict=False):
        q |= prefix & _after(k, v)
        prefix &= _same(k, v)
    first, v0 = keys[0], values[0]
    # A range on the first key lets the planner seek in the index instead of
    # scanning from the start.
    if v0 is not None and not (first.descending and first.nullable):
        q &= Q(LessThanOrEqual(first.expression, v0) if first.descending else GreaterThanOrEqual(first.expression, v0))
    return q


def _encode_value(k: SortKey, value: Any) -> Any:
    if value is None:
        return None
    if k.kind == "datetime-column":
        return value.isoformat()
    if k.kind == "uuid":
        return str(value)
    return value


def _decode_value(k: SortKey, value: Any) -> Any:
    if value is None:
        return None
    if k.kind == "datetime-column":
        return parse_datetime(value)
    if k.kind == "uuid":
        return uuid.UUID(value)
    if k.kind == "number" and not isinstance(value, (int, float)):
        raise ValueError("bad number in cursor")
    return value


def make_cursor(pq: ParsedQuery, keys: list[SortKey], last) -> str:
    values = [_encode_value(k, getattr(last, k.name)) for k in keys]
    return signing.dumps({"f": pq.fingerprint(), "l": pq.limit, "v": values}, salt=CURSOR_SALT, compress=True)


def read_cursor(pq: ParsedQuery, keys: list[SortKey]) -> list[Any]:
    try:
        data = signing.loads(pq.cursor, salt=CURSOR_SALT)
        if data["f"] != pq.fingerprint():
            raise bad_request("This cursor belongs to another query.", field="cursor")
        values = [_decode_value(k, v) for k, v in zip(keys, data["v"], strict=True)]
        limit = int(data["l"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError, UnicodeDecodeError):
        raise bad_request("Invalid cursor.", field="cursor") from None
    pq.limit = limit
    return values


# --- running -------------------------------------------------------------------


def page_of(base_qs, pq: ParsedQuery) -> tuple[list, bool, str | None, int | None]:
    """Records for one page: (records, has_more, next_cursor, total), by the query's compiled condition and keys."""
    qs = base_qs
    if not pq.deleted:
        qs = qs.filter(deleted_at__isnull=True)
    if pq.ids is not None:
        qs = qs.filter(id__in=pq.ids)
    if pq.sources is not None:
        qs = qs.filter(source__in=pq.sources)
    qs = qs.filter(pq.condition)
    total = qs.count() if pq.include_total else None

    keys = pq.keys
    qs = qs.annotate(**{k.name: k.expression for k in keys if k.name.startswith("_k")})
    offset = 0
    if pq.cursor:
        qs = qs.filter(keyset_q(keys, read_cursor(pq, keys)))
    elif pq.page:
        offset = (pq.page - 1) * pq.limit
    rows = list(qs.order_by(*order_by(keys))[offset : offset + pq.limit + 1])
    has_more = len(rows) > pq.limit
    rows = rows[: pq.limit]
    next_cursor = make_cursor(pq, keys, rows[-1]) if has_more else None
    return rows, has_more, next_cursor, total

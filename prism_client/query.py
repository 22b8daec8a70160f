"""The query value object and its wire format for ``POST /{type}/query``.

Everything is validated when built, so a bad filter fails in the caller's code with
a clear :class:`InvalidQuery` instead of as a 400 from the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from .errors import InvalidQuery

MAX_LIMIT = 50

Combinator = Literal["AND", "OR"]
Direction = Literal["asc", "desc"]
Scalar = str | int | float | bool | Decimal | date
WireValue = str | bool | list[str]


class Operator(StrEnum):
    """Filter operators; the values are the wire keys."""

    EQ = "="
    NE = "!="
    LT = "<"
    GT = ">"
    LTE = "<="
    GTE = ">="
    CONTAINS = "contains"
    BEGINS_WITH = "begins_with"
    ENDS_WITH = "ends_with"
    NOT_CONTAINS = "not_contains"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    IS_NULL = "is_null"
    IS_NOT_NULL = "is_not_null"
    BETWEEN = "between"
    IN = "in"
    NOT_IN = "not_in"


# Value shape per operator: what the caller must pass.
EQUALITY_OPERATORS = frozenset({Operator.EQ, Operator.NE})
COMPARISON_OPERATORS = frozenset({Operator.LT, Operator.GT, Operator.LTE, Operator.GTE})
TEXT_OPERATORS = frozenset({Operator.BEGINS_WITH, Operator.ENDS_WITH, Operator.NOT_CONTAINS})
PRESENCE_OPERATORS = frozenset({Operator.EXISTS, Operator.NOT_EXISTS, Operator.IS_NULL, Operator.IS_NOT_NULL})
LIST_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})


def to_wire_string(value: object, what: str) -> str:
    """A scalar as the string the API compares by the property's type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (date, datetime)):  # datetime is a date; isoformat keeps the time
        return value.isoformat()
    raise InvalidQuery(f"{what}: expected a string, number, boolean or date; got {type(value).__name__}")


def _as_list(value: object, what: str) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidQuery(f"{what}: expected a list of values; got {type(value).__name__}")
    return [to_wire_string(v, what) for v in value]


def wire_value(op: Operator, value: object, slug: str) -> WireValue:
    """The operator's value in wire form, or InvalidQuery if its shape is wrong."""
    what = f"filter {slug!r} {op.value}"
    if op in PRESENCE_OPERATORS:
        if not isinstance(value, bool):
            raise InvalidQuery(f"{what}: expected true or false; got {value!r}")
        return value
    if op in EQUALITY_OPERATORS:
        # Booleans stay JSON booleans here, as the SDK types them.
        return value if isinstance(value, bool) else to_wire_string(value, what)
    if op in COMPARISON_OPERATORS:
        if isinstance(value, bool):
            raise InvalidQuery(f"{what}: booleans cannot be ordered; use = or !=")
        return to_wire_string(value, what)
    if op in TEXT_OPERATORS:
        if not isinstance(value, str):
            raise InvalidQuery(f"{what}: expected text; got {type(value).__name__}")
        return value
    if op is Operator.CONTAINS:
        # Text: substring. Multiselect: a list of options that must all be held.
        return value if isinstance(value, str) else _as_list(value, what)
    if op is Operator.BETWEEN:
        bounds = _as_list(value, what)
        if len(bounds) != 2:
            raise InvalidQuery(f"{what}: expected exactly 2 values [low, high]; got {len(bounds)}")
        return bounds
    values = _as_list(value, what)  # in / not_in
    if not values:
        raise InvalidQuery(f"{what}: expected at least one value")
    return values


def parse_operator(op: Operator | str) -> Operator:
    try:
        return Operator(op)
    except ValueError:
        known = ", ".join(o.value for o in Operator)
        raise InvalidQuery(f"unknown operator {op!r}; known: {known}") from None


def _check_slug(slug: object, what: str) -> str:
    if not isinstance(slug, str) or not slug.strip():
        raise InvalidQuery(f"{what}: expected a property slug; got {slug!r}")
    return slug


@dataclass(frozen=True, slots=True)
class Filter:
    """``slug op value``; ``value`` is normalised to its wire form on creation."""

    slug: str
    op: Operator
    value: WireValue

    def __init__(self, slug: str, op: Operator | str, value: object) -> None:
        operator = parse_operator(op)
        object.__setattr__(self, "slug", _check_slug(slug, "filter"))
        object.__setattr__(self, "op", operator)
        object.__setattr__(self, "value", wire_value(operator, value, slug))

    def to_wire(self) -> dict[str, dict[str, WireValue]]:
        return {self.slug: {self.op.value: self.value}}


@dataclass(frozen=True, slots=True)
class Sort:
    slug: str
    direction: Direction = "asc"

    def __post_init__(self) -> None:
        _check_slug(self.slug, "sort")
        if self.direction not in ("asc", "desc"):
            raise InvalidQuery(f"sort {self.slug!r}: direction must be asc or desc; got {self.direction!r}")

    @classmethod
    def parse(cls, text: str) -> Sort:
        """``"-updated_at"`` -> descending, ``"name"`` -> ascending."""
        if text.startswith("-"):
            return cls(text[1:], "desc")
        return cls(text, "asc")

    def to_wire(self) -> dict[str, Direction]:
        return {self.slug: self.direction}

    def to_param(self) -> str:
        return f"-{self.slug}" if self.direction == "desc" else self.slug


@dataclass(frozen=True, slots=True)
class Query:
    """What to fetch: selected slugs, flat filters, sort, page size and scope.

    Build it directly or with the chainable helpers, which return new queries::

        Query(select=("first_name", "email")).where("status", "=", "lead").order_by("-updated_at")
    """

    select: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    combinator: Combinator = "AND"
    sort: tuple[Sort, ...] = ()
    limit: int | None = None
    # A page number (from 1), for a one-shot export that reads pages side by side: the
    # API's page numbers drift under concurrent writes, so browsing follows the cursor.
    page: int | None = None
    list_id: str | None = None
    include_total: bool = False
    deleted: bool = False
    ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept lists from callers but store tuples, so queries stay hashable.
        for name in ("select", "filters", "sort", "ids", "sources"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise InvalidQuery(f"{name}: expected a sequence, not a single string")
            object.__setattr__(self, name, tuple(value))
        for slug in self.select:
            _check_slug(slug, "select")
        for item in self.filters:
            if not isinstance(item, Filter):
                raise InvalidQuery(f"filters: expected Filter values; got {type(item).__name__}")
        for sort in self.sort:
            if not isinstance(sort, Sort):
                raise InvalidQuery(f"sort: expected Sort values; got {type(sort).__name__}")
        if self.combinator not in ("AND", "OR"):
            raise InvalidQuery(f"combinator must be AND or OR; got {self.combinator!r}")
        if self.limit is not None and (isinstance(self.limit, bool) or not isinstance(self.limit, int) or not 1 <= self.limit <= MAX_LIMIT):
            raise InvalidQuery(f"limit must be an integer from 1 to {MAX_LIMIT}; got {self.limit!r}")
        if self.page is not None and (isinstance(self.page, bool) or not isinstance(self.page, int) or self.page < 1):
            raise InvalidQuery(f"page must be a whole number from 1; got {self.page!r}")

    def where(self, slug: str, op: Operator | str, value: object) -> Query:
        return replace(self, filters=(*self.filters, Filter(slug, op, value)))

    def order_by(self, *sorts: str | Sort) -> Query:
        """Replace the sort; strings use the ``-slug`` convention for descending."""
        return replace(self, sort=tuple(s if isinstance(s, Sort) else Sort.parse(s) for s in sorts))

    def only(self, *slugs: str) -> Query:
        """Replace the selected slugs (dot notation reaches into references)."""
        return replace(self, select=slugs)

    def with_limit(self, limit: int | None) -> Query:
        return replace(self, limit=limit)

    def at_page(self, page: int | None) -> Query:
        return replace(self, page=page)

    def with_combinator(self, combinator: Combinator) -> Query:
        return replace(self, combinator=combinator)

    def to_wire(self, cursor: str | None = None) -> dict[str, object]:
        """The request body for ``POST /{type}/query``."""
        query: dict[str, object] = {
            # The SDK marks select as required; an empty list means all properties.
            "select": list(self.select),
            "filter": [f.to_wire() for f in self.filters],
            "combinator": self.combinator,
        }
        if self.sort:
            query["sort"] = [s.to_wire() for s in self.sort]
        if self.limit is not None:
            query["limit"] = self.limit
        if self.page is not None and cursor is None:  # with a cursor, the cursor says where
            query["page"] = self.page
        if self.list_id is not None:
            query["list_id"] = self.list_id
        body: dict[str, object] = {
            "query": query,
            "include_total": self.include_total,
            "deleted": self.deleted,
        }
        if cursor is not None:
            body["cursor"] = cursor
        if self.ids:
            body["id"] = list(self.ids)
        if self.sources:
            body["sources"] = list(self.sources)
        return body


def sort_param(sorts: Sequence[str | Sort]) -> str:
    """The comma list used by ``GET /{type}``'s ``sort`` parameter."""
    return ",".join((s if isinstance(s, Sort) else Sort.parse(s)).to_param() for s in sorts)

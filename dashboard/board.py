"""A board: the records of a table's URL state, one column per option of a select property.

The board is another rendering of the table's state (list_state: `layout=board&group=stage`
beside the filters, search and columns), so filters, search and saved views apply as they
are. Each column is the table's query narrowed to one option, with its own count and
cursor; the columns' queries go out at once (fan_out), so the page waits for one round trip.

Moving a card is one PATCH with If-Match. Query rows carry no version (no ETag), so each
card carries its row's `updated_at` (selected in the column's query) and the move reads the
record first (GET: its ETag and updated_at): an updated_at other than the card's means
someone changed the record since the board was drawn, and the card goes back; otherwise the
PATCH goes out with that ETag, and a change landing between the read and the write is a 412.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString

from prism_client import (
    Filter,
    ObjectType,
    Operator,
    Page,
    PreconditionFailed,
    PrismError,
    PropertyDefinition,
    Query,
    Record,
    RecordService,
)

from . import audit, list_state, prism
from .cells import Column, table_rows
from .errors import describe, status_for
from .fan_out import fan_out, raise_first
from .models import AuditEntry
from .prism import TypeSchema

Action, Outcome = AuditEntry.Action, AuditEntry.Outcome

CARD_PROPERTIES = 3  # shown on a card below its title: the table's first columns
NO_VALUE = ""  # the column of records without a value
UPDATED_AT = "updated_at"
BOARD_SIZE = 10  # cards per column and per "Load more"


@dataclass(frozen=True)
class BoardColumn:
    value: str  # option slug, NO_VALUE for the records without one
    label: str
    color: str
    cards: list["Card"]
    total: int | None
    next_cursor: str | None


def group_property(state: list_state.ListState, schema: TypeSchema) -> PropertyDefinition | None:
    """The property the board groups by: the state's, else the type's first single select."""
    slugs = list_state.groupable(schema)
    slug = state.group if state.group in slugs else (slugs[0] if slugs else None)
    return schema.get(slug) if slug else None


def column_values(prop: PropertyDefinition) -> list[tuple[str, str, str]]:
    """(value, label, color) per column: the options in their order, then "No <property>"."""
    return [(o.slug, o.name, o.color or "gray") for o in prop.options] + [(NO_VALUE, f"No {prop.name.lower()}", "gray")]


def board_query(query: Query, prop: PropertyDefinition) -> tuple[Query, str]:
    """The table's query as the board's base (every column narrows it), and a sentence when
    the table's query had to change for it."""
    notice = ""
    if query.combinator == "OR":
        # The API takes one flat list of filters under one combinator: "any of these, and in
        # this column" cannot be asked, so the board joins the table's filters by "all".
        notice = "A board joins its filters by “all” (each column adds its own), so “any” is not applied here."
    select = tuple(dict.fromkeys((*query.select, prop.slug, UPDATED_AT)))
    return replace(query, combinator="AND", select=select, limit=BOARD_SIZE, include_total=True), notice


def column_query(base: Query, prop: PropertyDefinition, value: str) -> Query:
    narrowed = Filter(prop.slug, Operator.IS_NULL, True) if value == NO_VALUE else Filter(prop.slug, Operator.EQ, value)
    return replace(base, filters=(*base.filters, narrowed))


def card_columns(schema: TypeSchema, columns: list[Column], prop: PropertyDefinition) -> list[Column]:
    """The properties a card shows below its title: the table's first columns but the title and the group."""
    return [c for c in columns if c.path not in (*schema.title_slugs, prop.slug)][:CARD_PROPERTIES]


@dataclass(frozen=True)
class Board:
    """Everything one board shows; `load` makes its one round trip."""

    segment: str
    prop: PropertyDefinition
    base: Query
    card_columns: list[Column]
    notice: str

    @classmethod
    def of(
        cls, state: list_state.ListState, query: Query, schema: TypeSchema, schemas: dict[str, TypeSchema], columns: list[Column]
    ) -> "Board | None":
        """The board of a table's state and query; None for a type with nothing to group by."""
        prop = group_property(state, schema)
        if prop is None:
            return None
        shown = card_columns(schema, columns, prop)
        base, notice = board_query(query, prop)
        # A card names the records its references point to (one read: dot-select), not their ids.
        titles = [
            entry
            for c in shown
            if c.prop and c.prop.type == "reference" and c.prop.target in schemas
            for entry in schemas[c.prop.target].title_select(f"{c.path}.")
        ]
        base = replace(base, select=tuple(dict.fromkeys((*base.select, *titles))))
        return cls(schema.segment, prop, base, shown, notice)

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.card_columns]

    def load(self, service: RecordService, schemas: dict[str, TypeSchema]) -> list[BoardColumn]:
        """Every column's first cards and count: the queries go out together."""
        values = column_values(self.prop)
        pages = raise_first(fan_out([partial(service.query, column_query(self.base, self.prop, v)) for v, _, _ in values]))
        return [self.column(value, label, color, page, schemas) for (value, label, color), page in zip(values, pages, strict=True)]

    def more(self, service: RecordService, schemas: dict[str, TypeSchema], value: str, cursor: str) -> BoardColumn:
        """One column's next cards, through its own cursor."""
        label, color = next(((lb, c) for v, lb, c in column_values(self.prop) if v == value), (value, "gray"))
        page = service.query(column_query(self.base, self.prop, value), cursor=cursor)
        return self.column(value, label, color, page, schemas)

    def column(self, value: str, label: str, color: str, page: Page, schemas: dict[str, TypeSchema]) -> BoardColumn:
        cards = [
            Card(row.id, row.title, row.url, str(raw.properties.get(UPDATED_AT) or ""), tuple(zip(self.labels, row.cells, strict=True)))
            for row, raw in zip(table_rows(page.rows, self.card_columns, self.segment, schemas), page.rows, strict=True)
        ]
        return BoardColumn(value, label, color, cards, page.total, page.next_cursor if page.has_more else None)


@dataclass(frozen=True)
class Card:
    """One card: its record's title and link, version, and a few properties (label, HTML)."""

    id: str
    title: str
    url: str
    updated_at: str  # the record's version as the card knows it (see the module's docstring)
    props: tuple[tuple[str, SafeString], ...]


# --- moving a card ------------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    record: Record  # as the PATCH answered
    before: Mapping[str, object]  # as the read before it found it


@dataclass(frozen=True)
class ChangedMeanwhile:
    """The record changed after the card was drawn: nothing was written."""

    current: Record


def move(
    service: RecordService, record_id: str, slug: str, to: str, seen_updated_at: str, *, title: tuple[str, ...]
) -> Moved | ChangedMeanwhile:
    """Set one record's `slug` to `to` (NO_VALUE clears it), if the record is still the version
    the card showed: one read for its ETag, then one PATCH with If-Match."""
    select = (slug, UPDATED_AT, *title)
    current = service.get(record_id, select=select)
    # An API that sends no updated_at leaves only the read's ETag to guard the write.
    if seen_updated_at and str(current.default.get(UPDATED_AT) or "") != seen_updated_at:
        return ChangedMeanwhile(current)
    try:
        return Moved(service.update(record_id, {slug: to or None}, if_match=current.etag), current.default)
    except PreconditionFailed as exc:
        # Changed between the read and the write; the 412 carries the record as it is now.
        now = exc.current if isinstance(exc.current, Record) else service.get(record_id, select=select)
        return ChangedMeanwhile(now)


@dataclass(frozen=True)
class MoveOutcome:
    """What the person is told, with the HTTP status; the card's new version when it moved."""

    status: int
    message: str
    updated_at: str = ""


def move_card(
    user, object_type: ObjectType, schema: TypeSchema, record_id: str, *, group: str, to: str, seen_updated_at: str
) -> MoveOutcome:
    """Move one card for a person: check the column, move (see move()), audit it like a form save."""
    prop = schema.get(group) if group in list_state.groupable(schema) else None
    if prop is None or (to and to not in {o.slug for o in prop.options}):
        return MoveOutcome(422, "That is not a column of this board; nothing was changed.")
    segment, label, after = object_type.segment, object_type.label.lower(), {prop.slug: to or None}
    try:
        result = move(prism.client().service(segment), record_id, prop.slug, to, seen_updated_at, title=schema.title_select())
    except PrismError as exc:
        audit.log(user, Action.UPDATE, segment, record_id, after=after, outcome=Outcome.FAILED, error=exc)
        return MoveOutcome(status_for(exc), f"{describe(exc)} The card was not moved.")
    if isinstance(result, ChangedMeanwhile):
        title = schema.title(result.current.default)
        message = "Changed meanwhile by someone else: not moved on the board."
        audit.log(user, Action.UPDATE, segment, record_id, record_repr=title, after=after, outcome=Outcome.CONFLICT, message=message)
        who = audit.last_change_by_others(segment, record_id, user, seen_since(seen_updated_at))
        return MoveOutcome(409, changed_meanwhile_sentence(label, prop, result.current, who))
    values = {**result.before, **result.record.default}
    title = schema.title(values)
    audit.log(user, Action.UPDATE, segment, record_id, record_repr=title, before={prop.slug: result.before.get(prop.slug)}, after=after)
    where = next((o.name for o in prop.options if o.slug == to), f"no {prop.name.lower()}")
    return MoveOutcome(200, f"Moved “{title or 'the ' + label}” to {where}.", str(values.get(UPDATED_AT) or ""))


def changed_meanwhile_sentence(segment_label: str, prop: PropertyDefinition, current: Record, who: AuditEntry | None) -> str:
    """Who changed the record since the board was drawn, and where it stands now."""
    value = current.default.get(prop.slug)
    where = next((o.name for o in prop.options if o.slug == value), value) if value else f"no {prop.name.lower()}"
    if who is not None:
        at = timezone.localtime(who.created_at).strftime("%H:%M:%S %Z")  # in the person's zone
        lead = format_html("{} changed this {} at {}", who.username, segment_label, at)
    else:
        lead = format_html("Someone changed this {} after the board was shown", segment_label)
    return format_html("{}, so it was not moved. Its {} is now “{}”; reload the board to see the change.", lead, prop.name.lower(), where)


def seen_since(updated_at: str) -> datetime:
    """The moment the card's version was made: changes by others after it are the ones to name."""
    parsed = parse_datetime(updated_at) if updated_at else None
    if parsed is None:
        return timezone.now() - timedelta(days=1)
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)

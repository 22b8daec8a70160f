"""The base property type: what every type does, and the defaults a type refines.

An instance wraps one property (`PropertyDefinition`) of the schema. Its methods are
every place the dashboard treats a value by its type: a filter value typed in the
URL, the filter row's input, the form field, the table cell and detail value, a CSV
cell, and the canonical form edits are compared and merged in.
"""

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from prism_client import Operator, PropertyDefinition

from .operators import ANY_OF, EQUALITY, PRESENCE, OperatorChoice, choices

if TYPE_CHECKING:
    from ..prism import TypeSchema

    Schemas = Mapping[str, TypeSchema]
else:
    Schemas = Mapping

CLIP_AT = 80
MAX_TEXT = 10_000
CSV_LIST_SEPARATOR = ";"  # between the items of one CSV cell (a multiselect's options, a multiple reference's ids)
ODD_TITLE = "The Prism API sent this value in a shape its property does not have; it is shown as sent."
# aria-label on a plain span is ignored by screen readers: hide the dash, say "empty".
EMPTY = mark_safe('<span class="empty"><span aria-hidden="true">—</span><span class="visually-hidden">empty</span></span>')

TEXT_OPERATORS = (
    *EQUALITY,
    *choices(Operator.CONTAINS, Operator.NOT_CONTAINS, Operator.BEGINS_WITH, Operator.ENDS_WITH),
    *ANY_OF,
    *PRESENCE,
)


class BadValue(ValueError):
    """A value that does not fit its property (typed in a filter, or a CSV cell); the message says why."""


def is_empty(value: object) -> bool:
    return value is None or value == "" or value == []


def as_texts(values: Sequence[object]) -> list[str]:
    return [str(v) for v in values]


def csv_items(text: str) -> list[str]:
    """The items of a CSV cell holding several, blanks dropped."""
    return [p.strip() for p in text.split(CSV_LIST_SEPARATOR) if p.strip()]


def quote(text: str) -> str:
    """Text quoted in a message, shortened when long."""
    return f"“{text if len(text) <= 60 else text[:57] + '…'}”"


def odd_value(value: object) -> SafeString:
    """A value of a shape its property does not have (an object where text was expected),
    shown as the API sent it, in JSON, and said to be so."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return format_html('<code class="odd-value" title="{}">{}</code>', ODD_TITLE, text if len(text) <= 300 else text[:299] + "…")


def text_html(value: object, *, full: bool) -> SafeString:
    """Text as HTML: clipped in a table (`full` False), whole on a detail page."""
    text = value if isinstance(value, str) else str(value)
    if not full and (len(text) > CLIP_AT or "\n" in text):
        # Clipped in the table; the whole text shows on hover (title) and on focus.
        return format_html('<span class="clip" tabindex="0" title="{}">{}</span>', text, text)
    if full and "\n" in text:
        return format_html('<span class="multiline">{}</span>', text)
    return format_html("{}", text)


def limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise BadValue(f"The text is {len(text):,} characters long; at most {limit:,} fit.")
    return text


class PropertyType:
    """One property seen through its type. Subclasses set `wire_type` (the API's name for
    the type) and override what differs; the defaults treat values as plain text."""

    wire_type: ClassVar[str] = ""
    operators: ClassVar[tuple[OperatorChoice, ...]] = TEXT_OPERATORS
    filter_input_type: ClassVar[str] = "text"  # the <input type> of a filter value
    holds_lists: ClassVar[bool] = False  # a value is a list of items (multiselect)
    editable: ClassVar[bool] = True  # the dashboard writes values of it (forms, bulk set, import)
    inline_editable: ClassVar[bool] = True  # and in a table cell, in place (inline_editing.py)
    dedupe: ClassVar[bool] = False  # import rows can be matched to existing records by it
    findable: ClassVar[bool] = True  # offered on the lookup page (find a record by one value)
    default_column: ClassVar[bool] = True  # among a table's first columns when none are chosen
    # The table's quick search and the global search look for the typed text in it
    # (`contains`): short text a person would type part of (names, email, phone, domain).
    searchable: ClassVar[bool] = False

    def __init__(self, prop: PropertyDefinition) -> None:
        self.prop = prop

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.prop.slug!r})"

    @classmethod
    def claims(cls, prop: PropertyDefinition) -> bool:
        """Whether this class handles `prop` (of its wire type). A refinement registered for
        an existing wire type narrows this; the first class that claims a property wins."""
        return True

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        """(wire type, multiple) when sampled values look like this type; for schemas
        inferred from records where the properties endpoint is missing."""
        return None

    # --- filters -------------------------------------------------------------------------

    def operator(self, wire: str) -> OperatorChoice | None:
        return next((o for o in self.operators if o.wire == wire), None)

    def filter_value(self, text: str) -> str:
        """One filter value typed in the URL, in wire form; BadValue with a sentence."""
        return text

    def filter_operand(self, value: str) -> object:
        """A single checked filter value as the client's Filter takes it."""
        return value

    def filter_choices(self) -> list[tuple[str, str]]:
        """(value, label) for a filter value picked from a menu; empty: typed in."""
        return []

    def filter_input_value(self, value: str) -> str:
        """A filter value as its input shows it."""
        return value

    # --- forms ---------------------------------------------------------------------------

    def field_options(self) -> dict[str, Any]:
        return {"label": self.prop.name, "required": self.prop.required, "disabled": self.prop.read_only}

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        """The create/edit form's field. `lookup` and `labels` serve references."""
        return forms.CharField(max_length=MAX_TEXT, **self.field_options())

    def form_initial(self, value: Any) -> Any:
        """A normalized value as the form field's initial data."""
        return value

    # --- display -------------------------------------------------------------------------

    def render(self, value: object, schemas: Schemas, *, full: bool = False) -> SafeString:
        """A value as HTML: a table cell, or with `full` a detail page's value (long text not
        clipped). A value of another shape than the type promises is shown as sent, never
        dropped or a crash."""
        if is_empty(value):
            return EMPTY
        if isinstance(value, list) and not self.holds_lists:
            # Several values where the type holds one: each shown as one would be.
            return format_html_join(", ", "{}", ((self.render(v, schemas, full=full),) for v in value))
        if isinstance(value, Mapping):
            return odd_value(value)
        return self.render_one(value, schemas, full=full)

    def render_one(self, value: object, schemas: Schemas, *, full: bool) -> SafeString:
        """One present value (not a list, unless holds_lists; not an object) as HTML."""
        return text_html(value, full=full)

    def render_normalized(self, value: Any, schemas: Schemas) -> SafeString:
        """A normalized value (as edits hold it: the conflict screen) as HTML."""
        return self.render(value, schemas, full=True)

    # --- CSV import ------------------------------------------------------------------------

    def from_csv(self, cell: str) -> Any:
        """A CSV cell as the API's value; None for an empty cell; BadValue if it does not fit."""
        text = cell.strip()
        return self.csv_value(text) if text else None

    def csv_value(self, text: str) -> Any:
        """A non-empty, stripped CSV cell as the API's value."""
        return limited(text, MAX_TEXT)

    # --- edits -------------------------------------------------------------------------------

    def normalize(self, value: Any) -> Any:
        """One canonical form per value, so that equal things compare equal; it is also
        the form the API takes on write."""
        return None if is_empty(value) else self.normalize_present(value)

    def normalize_present(self, value: Any) -> Any:
        return value

    def fits(self, value: Any) -> bool:
        """Whether the form field can show `value` as it is, so that saving the form
        untouched writes nothing. A server can send shapes the schema does not promise (a
        list where text was expected, an option it does not list); those cannot be edited."""
        return is_empty(value) or self.fits_present(value)

    def fits_present(self, value: Any) -> bool:
        return isinstance(value, str)


class UnknownType(PropertyType):
    """A type this dashboard does not know (the API may add types): its values are shown
    as sent (objects as JSON), filtered as text, and never written from here."""

    editable = False

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        help_text = (
            f"This dashboard does not know properties of type “{self.prop.type}”: the value is shown as sent and cannot be changed here."
        )
        return forms.CharField(**{**self.field_options(), "required": False, "disabled": True}, help_text=help_text)

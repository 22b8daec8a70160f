"""Inline cell editing: one property of one record, changed in its table cell.

A row's version: the table's query answers rows, which carry no ETag, so the version is
read when the edit starts. The GET that renders the cell editor reads the record (one
API call, which sends its ETag) and puts the value the edit starts from and that ETag in
the editor's signed state (a hidden field). Saving is then one PATCH with If-Match: that
ETag, through editing.save_changes, the record form's own path: on a 412 the API's
current record (in the 412's details) is merged three ways. A change someone made to
another property merges and the save is retried with the newer ETag; a change to this
same property is handed back, both values are shown in the cell with who made theirs,
and nothing is written until the person chooses (keep mine / take theirs).
"""

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from prism_client import PropertyDefinition, Record, RecordService

from . import prism
from .cells import ANY_ID, Column
from .editing import EditResult, Values, save_changes
from .prism import TypeSchema
from .property_types import for_property
from .record_forms import RecordForm, initial_from

STATE_SALT = "dashboard.cell-edit"
STATE_MAX_AGE = 60 * 60 * 12
KEYS_HINT = "Enter saves, Escape cancels, Tab saves and moves to the next cell."


def editable_property(prop: PropertyDefinition | None) -> bool:
    """Whether a property's values can be changed in a table cell."""
    if prop is None or prop.read_only or prop.slug in prism.SYSTEM_SLUGS:
        return False
    kind = for_property(prop)
    return kind.editable and kind.inline_editable


def editable_column(col: Column) -> bool:
    """Only a column of the table's own type (no dot path) holds a value of the row's record."""
    return "." not in col.path and editable_property(col.prop)


def cell_url_pattern(segment: str, slug: str) -> str:
    """A column's cell-editor URL with ANY_ID where each row puts its id (one reverse a column, not one a cell)."""
    return reverse("cell-edit", args=[segment, ANY_ID, slug])


def cell_url(segment: str, record_id: str, slug: str) -> str:
    return reverse("cell-edit", args=[segment, record_id, slug])


@dataclass(frozen=True)
class CellState:
    """What the cell editor carries between its GET and its POST (signed): the value and
    version (ETag) the edit started from, the record's title for the audit trail, when
    the edit started (to name who changed it meanwhile), and on a conflict my value."""

    base: Any
    etag: str | None
    title: str
    opened: str
    mine: Any = None
    conflict: bool = False

    def sign(self) -> str:
        return signing.dumps(self.__dict__, salt=STATE_SALT, compress=True)

    @classmethod
    def read(cls, signed: str) -> "CellState | None":
        try:
            data = signing.loads(signed, salt=STATE_SALT, max_age=STATE_MAX_AGE)
            return cls(**data)
        except (signing.BadSignature, TypeError):
            return None


def one_property(schema: TypeSchema, slug: str) -> TypeSchema:
    return TypeSchema(schema.segment, tuple(p for p in schema.properties if p.slug == slug))


def cell_form(schema: TypeSchema, slug: str, record_id: str, *, data=None, value: Any = None) -> RecordForm:
    """The record form's own field for one property (the same input and validation), with
    ids of its own so that several cells' editors could never share one."""
    form = RecordForm(
        one_property(schema, slug),
        data,
        initial=None if data is not None else initial_from({slug: value}, schema),
        auto_id=f"cell-{record_id}-%s",
    )
    field = form.fields[slug]
    field.help_text = KEYS_HINT
    return form


def start(service: RecordService, schema: TypeSchema, record_id: str, slug: str) -> tuple[Record, CellState]:
    """Read the record's value and version for an edit of one cell (the version read)."""
    record = service.get(record_id, select=list(dict.fromkeys([slug, schema.title_slug])))
    base = for_property(schema.get(slug)).normalize(record.default.get(slug))
    title = str(record.default.get(schema.title_slug) or "")
    return record, CellState(base=base, etag=record.etag, title=title, opened=timezone.now().isoformat())


def fits(record: Record, prop: PropertyDefinition) -> bool:
    """Whether the input can show the value as it is (else saving it untouched would change it)."""
    return for_property(prop).fits(record.default.get(prop.slug))


def save(service: RecordService, schema: TypeSchema, record_id: str, slug: str, state: CellState, mine: Any) -> EditResult:
    """One PATCH with If-Match (more only when a 412 asks for a merge): editing.save_changes
    over this one property, so a change to another property merges, and one to this
    property comes back as a conflict."""
    base: Values = {slug: state.base}
    return save_changes(service, schema, record_id, base, {slug: mine}, state.etag)

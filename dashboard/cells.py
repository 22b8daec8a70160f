"""A record table's columns and cells. A value's HTML comes from its property type
(dashboard/property_types), always through format_html: always escaped."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString

from prism_client import PropertyDefinition, Row

from .prism import TypeSchema
from .property_types import EMPTY, PropertyType, for_property, record_url


@dataclass(frozen=True)
class Column:
    """A table column: a slug or a dot path through references, with its final property."""

    path: str
    label: str
    prop: PropertyDefinition | None
    target: str | None  # object type of the record the value belongs to, for dot paths
    sortable: bool


def column(path: str, segment: str, schemas: dict[str, TypeSchema]) -> Column:
    parts = path.split(".")
    current = schemas[segment]
    labels = []
    prop = None
    owner = segment
    for i, part in enumerate(parts):
        prop = current.get(part)
        if prop is None:
            return Column(path, path, None, None, False)
        labels.append(prop.name)
        if i < len(parts) - 1 and prop.target and prop.target in schemas:
            owner = prop.target
            current = schemas[prop.target]
    return Column(path, " › ".join(labels), prop, owner if len(parts) > 1 else None, len(parts) == 1)


def lookup(properties: Mapping[str, object], path: str) -> tuple[object, str | None]:
    """The value at a dot path, and the id of the record it was read from (dot paths only)."""
    value: object = properties
    owner_id = None
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(value, list):  # a multi-reference: follow the first
            value = value[0] if value else None
        if not isinstance(value, Mapping):
            return None, owner_id
        value = value.get(part)
        if i < len(parts) - 1:
            if isinstance(value, list):
                value = value[0] if value else None
            if isinstance(value, Mapping):
                owner_id = str(value.get("id")) if value.get("id") else owner_id
                value = value.get("properties") or {}
    return value, owner_id


def cell(properties: Mapping[str, object], col: Column, kind: PropertyType, schemas: dict[str, TypeSchema]) -> SafeString:
    """One cell's HTML: the value by its property's type (`kind`), linked to its record for dot paths."""
    value, owner_id = lookup(properties, col.path)
    html = kind.render(value, schemas)
    if col.target and owner_id and col.prop is not None and col.prop.type != "reference" and html is not EMPTY:
        return format_html('<a href="{}">{}</a>', record_url(col.target, owner_id), html)
    return html


def title_column(schema: TypeSchema) -> Column:
    """The first column: each row's title, the link to its record (sorted by the title's first part)."""
    return Column(schema.title_slug, schema.title_label, schema.get(schema.title_slug), None, schema.title_slug != "id")


@dataclass(frozen=True)
class TableRow:
    """One row of a record table, ready to print: its title and link (the first cell, which
    the template draws with who else is editing the row, presence.py), and its other cells,
    each a whole `<td>`."""

    id: str
    title: str
    url: str
    cells: tuple[SafeString, ...]
    editing: str = ""


ANY_ID = "00000000-0000-4000-8000-000000000000"  # stands in for a row's id in a column's cell-editor URL
# An editable cell: the cell editor's URL, and focus by script only (app.js keeps one
# cell of the table in the Tab order and moves it; every cell in it would be a long walk).
EDITABLE_TD = '<td data-edit-url="{}" data-col="{}" tabindex="-1" aria-describedby="cell-edit-hint" data-label="{}">{}</td>'
# Each cell names its column (data-label): a phone shows the table as stacked cards (app.css).


def table_rows(
    rows: Iterable[Row],
    columns: Sequence[Column],
    segment: str,
    schemas: dict[str, TypeSchema],
    edit_urls: Sequence[str | None] = (),
) -> list[TableRow]:
    """Every row of a page, cells rendered here in one pass.

    The template only places these values: a variable lookup per cell in the template
    cost more than the cell's formatting, the largest part of a page's render.
    `edit_urls`: per column, the cell editor's URL with the row id's stand-in
    (inline_editing.cell_url_pattern), or None where the column cannot be edited.
    """
    schema = schemas[segment]
    kinds = [(col, for_property(col.prop), edit_urls[i] if i < len(edit_urls) else None) for i, col in enumerate(columns)]
    out = []
    for row in rows:
        tds = []
        for col, kind, edit_url in kinds:
            html = cell(row.properties, col, kind, schemas)
            # A value the input cannot show as it is stays read-only here (the form's rule).
            if edit_url and kind.fits(row.properties.get(col.path)):
                tds.append(format_html(EDITABLE_TD, edit_url.replace(ANY_ID, row.id), col.path, col.label, html))
            else:
                tds.append(format_html('<td data-label="{}">{}</td>', col.label, html))
        out.append(
            TableRow(
                id=row.id,
                title=schema.title(row.properties, row.id),
                url=record_url(segment, row.id),
                cells=tuple(tds),
            )
        )
    return out

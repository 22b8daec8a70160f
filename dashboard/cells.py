"""Property values as HTML, by type. Everything goes through format_html: always escaped."""

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from prism_client import PropertyDefinition, Row

from .prism import TypeSchema, parse_api_datetime

CLIP_AT = 80
ODD_TITLE = "The Prism API sent this value in a shape its property does not have; it is shown as sent."
# aria-label on a plain span is ignored by screen readers: hide the dash, say "empty".
EMPTY = mark_safe('<span class="empty"><span aria-hidden="true">—</span><span class="visually-hidden">empty</span></span>')


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


def record_url(segment: str, record_id: str) -> str:
    return reverse("record-detail", args=[segment, record_id])


def reference_label(ref: Mapping[str, object], target: str | None, schemas: dict[str, TypeSchema]) -> str:
    props = ref.get("properties") or {}
    if target and target in schemas and isinstance(props, Mapping):
        title = props.get(schemas[target].title_slug)
        if title:
            return str(title)
    return f"{str(ref.get('id', ''))[:8]}…"


def _chip(prop: PropertyDefinition, slug: object) -> SafeString:
    option = next((o for o in prop.options if o.slug == slug), None)
    name = option.name if option else str(slug)
    color = option.color if option and option.color else "gray"
    return format_html('<span class="chip chip-{}">{}</span>', color, name)


def title_text(value: object, fallback: str) -> str:
    """A record's title as text: its title value when that is text or a number, else `fallback`."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return fallback


def odd_value(value: object) -> SafeString:
    """A value of a shape its property does not have (an object where text was expected),
    shown as the API sent it, in JSON, and said to be so."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return format_html('<code class="odd-value" title="{}">{}</code>', ODD_TITLE, text if len(text) <= 300 else text[:299] + "…")


def _reference(r: object, target: str | None, schemas: dict[str, TypeSchema]) -> SafeString:
    if isinstance(r, str) and r:  # a bare id, where {id, properties} was expected
        r = {"id": r}
    if not isinstance(r, Mapping) or not r.get("id"):
        return odd_value(r)
    if not target:
        return format_html("{}", reference_label(r, None, schemas))
    return format_html('<a href="{}">{}</a>', record_url(target, str(r["id"])), reference_label(r, target, schemas))


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"  # "false" is text, and would be truthy
    return None


def _number(value: object) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    if isinstance(value, str):  # a number sent as a string
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def format_value(value: object, prop: PropertyDefinition | None, schemas: dict[str, TypeSchema], *, full: bool = False) -> SafeString:
    """One value as HTML; `full` (detail pages) does not clip long text. A value of
    another shape than its type promises is shown as sent, never dropped or a crash."""
    if value is None or value == "" or value == []:
        return EMPTY
    t = prop.type if prop else "text"
    if t == "reference" and prop is not None:
        refs = value if isinstance(value, list) else [value]
        return format_html_join(", ", "{}", ((_reference(r, prop.target, schemas),) for r in refs))
    if isinstance(value, list) and t != "multiselect":
        # Several values where the type holds one: each shown as one would be.
        return format_html_join(", ", "{}", ((format_value(v, prop, schemas, full=full),) for v in value))
    if isinstance(value, Mapping):
        return odd_value(value)
    if t == "select" and prop is not None:
        return _chip(prop, value)
    if t == "multiselect" and prop is not None:
        items = value if isinstance(value, list) else [value]
        return format_html_join(" ", "{}", ((_chip(prop, v) if isinstance(v, str) else odd_value(v),) for v in items))
    if t == "boolean" and _flag(value) is not None:
        flag = _flag(value)
        return format_html('<span class="bool bool-{}">{}</span>', "yes" if flag else "no", "Yes" if flag else "No")
    if t == "number" and _number(value) is not None:
        number = _number(value)
        decimals = 0 if float(number).is_integer() else 2
        return format_html('<span class="num">{}</span>', number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True))
    if t == "date" and isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return format_html("{}", value)
        return format_html('<time datetime="{}">{}</time>', value, date_format(day, "M j, Y"))
    if t == "datetime":
        when = parse_api_datetime(value)
        if when is None:
            return format_html("{}", value)
        return format_html('<time datetime="{}">{}</time>', value, date_format(when, "M j, Y, H:i") + " UTC")
    if t == "email":
        return format_html('<a href="mailto:{}">{}</a>', value, value)
    if t == "url" and isinstance(value, str) and value.startswith(("http://", "https://")):
        return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', value, value)
    if t == "phone":
        return format_html('<a href="tel:{}">{}</a>', str(value).replace(" ", ""), value)
    text = value if isinstance(value, str) else str(value)
    if not full and (len(text) > CLIP_AT or "\n" in text):
        # Clipped in the table; the whole text shows on hover (title) and on focus.
        return format_html('<span class="clip" tabindex="0" title="{}">{}</span>', text, text)
    if full and "\n" in text:
        return format_html('<span class="multiline">{}</span>', text)
    return format_html("{}", text)


def cell(properties: Mapping[str, object], col: Column, schemas: dict[str, TypeSchema]) -> SafeString:
    value, owner_id = lookup(properties, col.path)
    html = format_value(value, col.prop, schemas)
    if col.target and owner_id and col.prop is not None and col.prop.type != "reference" and html is not EMPTY:
        return format_html('<a href="{}">{}</a>', record_url(col.target, owner_id), html)
    return html


@dataclass(frozen=True)
class TableRow:
    """One row of a record table, ready to print: its link, its name and its cells' HTML."""

    id: str
    title: str
    url: str
    cells: tuple[SafeString, ...]


def table_rows(rows: Iterable[Row], columns: Sequence[Column], segment: str, schemas: dict[str, TypeSchema]) -> list[TableRow]:
    """Every row of a page, cells rendered here in one pass.

    The template only places these values: a variable lookup per cell in the template
    cost more than the cell's formatting, the largest part of a page's render.
    """
    title_slug = schemas[segment].title_slug
    out = []
    for row in rows:
        out.append(
            TableRow(
                id=row.id,
                title=title_text(row.properties.get(title_slug), row.id),
                url=record_url(segment, row.id),
                cells=tuple(cell(row.properties, col, schemas) for col in columns),
            )
        )
    return out

"""References to other records: written as ids, read as {"id", "properties"}."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .base import EMPTY, BadValue, PropertyType, Schemas, csv_items, is_empty, odd_value, quote
from .operators import ANY_OF, EQUALITY, PRESENCE


def record_url(segment: str, record_id: str) -> str:
    return reverse("record-detail", args=[segment, record_id])


def reference_label(ref: Mapping[str, object], target: str | None, schemas: Schemas) -> str:
    """A referenced record's title (when it was selected), else the start of its id."""
    props = ref.get("properties") or {}
    if target and target in schemas and isinstance(props, Mapping):
        title = schemas[target].title(props)
        if title:
            return title
    return f"{str(ref.get('id', ''))[:8]}…"


class ReferenceWidget(forms.Widget):
    """A search box that suggests records of the target type (htmx), filling a hidden id."""

    template_name = "widgets/reference.html"

    def __init__(self, target: str, labels: dict[str, str] | None = None, attrs=None) -> None:
        super().__init__(attrs)
        self.target = target
        self.labels = labels or {}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"].update({"target": self.target, "label": self.labels.get(str(value or ""), "")})
        return context

    def value_from_datadict(self, data, files, name):
        return data.get(name) or data.get(f"{name}__search") or ""

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}__search" not in data


class ReferenceField(forms.CharField):
    def __init__(self, *, target: str, lookup=None, **kwargs) -> None:
        self.target = target
        self.lookup = lookup  # title -> id resolver, for text typed without picking
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
        found = self.lookup(self.target, value) if self.lookup else None
        if found is None:
            raise forms.ValidationError(f"Pick one of the suggested {self.target} records.")
        return found


class Reference(PropertyType):
    wire_type = "reference"
    operators = (*EQUALITY, *ANY_OF, *PRESENCE)
    # Not in a table cell: its picker's suggestions need room a cell has not, and the
    # cell would show the saved reference by id (a PATCH answers no target's title).
    inline_editable = False

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        first = present[0]
        if isinstance(first, dict) and "id" in first:
            return "reference", False
        if isinstance(first, list) and first and isinstance(first[0], dict):
            return "reference", True
        return None

    def filter_value(self, text: str) -> str:
        try:
            return str(uuid.UUID(text.strip()))
        except ValueError:
            raise BadValue(f"“{text}” is not a record id.") from None

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        if not self.prop.target:
            return super().form_field()
        target = self.prop.target
        return ReferenceField(target=target, lookup=lookup, widget=ReferenceWidget(target, labels), **self.field_options())

    def render(self, value: object, schemas: Schemas, *, full: bool = False) -> SafeString:
        if is_empty(value):
            return EMPTY
        refs = value if isinstance(value, list) else [value]
        return format_html_join(", ", "{}", ((self.link(r, schemas),) for r in refs))

    def link(self, ref: object, schemas: Schemas) -> SafeString:
        if isinstance(ref, str) and ref:  # a bare id, where {id, properties} was expected
            ref = {"id": ref}
        if not isinstance(ref, Mapping) or not ref.get("id"):
            return odd_value(ref)
        target = self.prop.target
        if not target:
            return format_html("{}", reference_label(ref, None, schemas))
        # The id stays at hand on hover: the label is the target's title where it was selected.
        return format_html(
            '<a href="{}" title="{}">{}</a>', record_url(target, str(ref["id"])), ref["id"], reference_label(ref, target, schemas)
        )

    def render_normalized(self, value: Any, schemas: Schemas) -> SafeString:
        # Normalized references are ids: shown as links, labelled by id.
        if value:
            ids = value if isinstance(value, list) else [value]
            value = [{"id": i, "properties": {}} for i in ids] if self.prop.multiple else {"id": ids[0], "properties": {}}
        return self.render(value, schemas, full=True)

    def csv_value(self, text: str) -> Any:
        if self.prop.multiple:
            return list(dict.fromkeys(self.record_id(p) for p in csv_items(text))) or None
        return self.record_id(text)

    def record_id(self, text: str) -> str:
        try:
            return str(uuid.UUID(text))
        except ValueError:
            target = self.prop.target or "record"
            raise BadValue(f"{quote(text)} is not a record id; give the {target}'s id (a UUID).") from None

    def normalize_present(self, value: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        ids = [str(i.get("id")) if isinstance(i, Mapping) else str(i) for i in items]
        return ids if self.prop.multiple or isinstance(value, list) else ids[0]

    def fits_present(self, value: Any) -> bool:
        items = value if isinstance(value, list) else [value]
        ids_only = all(isinstance(i, str) or (isinstance(i, Mapping) and isinstance(i.get("id"), str)) for i in items)
        return ids_only and (self.prop.multiple or not isinstance(value, list))

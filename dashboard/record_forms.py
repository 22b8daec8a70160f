"""Create and edit forms built from a type's property schema."""

import uuid
from typing import Any

from django import forms
from django.core.validators import RegexValidator

from prism_client import PropertyDefinition

from .editing import Values, normalize
from .prism import TypeSchema

PHONE = RegexValidator(r"^\+?[0-9 ().\-]{5,30}$", "Enter a phone number, like +1 555 123 4567.")
BOOLEAN_CHOICES = [("", "—"), ("true", "Yes"), ("false", "No")]
LOCKED_HELP = "The Prism API sent this value in a shape this field cannot show, so it cannot be changed here; saving keeps it as it is."


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


def field_for(prop: PropertyDefinition, *, lookup=None, labels=None) -> forms.Field:
    common: dict[str, Any] = {"label": prop.name, "required": prop.required, "disabled": prop.read_only}
    t = prop.type
    if t == "long_text":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=100_000, strip=False, **common)
    if t == "email":
        return forms.EmailField(max_length=10_000, **common)
    if t == "url":
        return forms.URLField(max_length=10_000, assume_scheme="https", **common)
    if t == "phone":
        return forms.CharField(max_length=30, validators=[PHONE], **common)
    if t == "number":
        return forms.FloatField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
    if t == "boolean":
        return forms.TypedChoiceField(
            choices=BOOLEAN_CHOICES, coerce=lambda v: v == "true", empty_value=None, **{**common, "required": False}
        )
    if t == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if t == "datetime":
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"),
            help_text="UTC",
            **common,
        )
    if t == "select":
        return forms.ChoiceField(choices=[("", "—"), *((o.slug, o.name) for o in prop.options)], **common)
    if t == "multiselect":
        return forms.MultipleChoiceField(choices=[(o.slug, o.name) for o in prop.options], widget=forms.CheckboxSelectMultiple, **common)
    if t == "reference" and prop.target:
        return ReferenceField(target=prop.target, lookup=lookup, widget=ReferenceWidget(prop.target, labels), **common)
    return forms.CharField(max_length=10_000, **common)


class RecordForm(forms.Form):
    """Fields made from the schema; values() gives normalized property values."""

    def __init__(self, schema: TypeSchema, *args, lookup=None, labels=None, locked=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema
        labels = {**(labels or {}), **self.posted_labels()}
        for prop in schema.user_properties:
            if prop.slug in locked:
                # A value the field cannot show as it is (editing.fits): shown as sent, and
                # left out of the save, so it is never overwritten unseen.
                self.fields[prop.slug] = forms.CharField(label=prop.name, required=False, disabled=True, help_text=LOCKED_HELP)
            else:
                self.fields[prop.slug] = field_for(prop, lookup=lookup, labels=labels)

    def posted_labels(self) -> dict[str, str]:
        """id -> the name the search box showed, so a picked reference redisplays by name."""
        labels = {}
        for prop in self.schema.user_properties:
            name = self.add_prefix(prop.slug)
            if prop.type == "reference" and self.data.get(name) and self.data.get(f"{name}__search"):
                labels[str(self.data[name])] = str(self.data[f"{name}__search"])
        return labels

    def values(self) -> Values:
        return {
            slug: normalize(self.schema.get(slug), value) for slug, value in self.cleaned_data.items() if not self.fields[slug].disabled
        }

    def add_api_errors(self, field_errors: dict[str, str]) -> None:
        """422 details from the API, each next to its field."""
        for slug, message in field_errors.items():
            self.add_error(slug if slug in self.fields else None, message)


def initial_from(values: Values, schema: TypeSchema) -> dict[str, Any]:
    """Form initial data from normalized values (datetimes as the picker wants them)."""
    initial: dict[str, Any] = {}
    for slug, value in values.items():
        prop = schema.get(slug)
        if prop is None or value is None:
            continue
        if prop.type == "boolean":
            initial[slug] = "true" if value else "false"
        elif prop.type == "datetime" and isinstance(value, str):
            initial[slug] = value[:19]
        else:
            initial[slug] = value
    return initial

"""Create and edit forms built from a type's property schema."""

import uuid
from collections.abc import Mapping
from typing import Any

from django import forms

from prism_client import NotFound

from . import prism
from .editing import Values
from .prism import TypeSchema
from .property_types import for_property

LOCKED_HELP = "The Prism API sent this value in a shape this field cannot show, so it cannot be changed here; saving keeps it as it is."


class RecordForm(forms.Form):
    """Fields made from the schema; values() gives normalized property values."""

    def __init__(self, schema: TypeSchema, *args, lookup=None, labels=None, locked=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema
        labels = {**(labels or {}), **self.posted_labels()}
        for prop in schema.user_properties:
            if prop.slug in locked:
                # A value the field cannot show as it is (its type's fits()): shown as sent, and
                # left out of the save, so it is never overwritten unseen.
                self.fields[prop.slug] = forms.CharField(label=prop.name, required=False, disabled=True, help_text=LOCKED_HELP)
            else:
                self.fields[prop.slug] = for_property(prop).form_field(lookup=lookup, labels=labels)

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
            slug: for_property(self.schema.get(slug)).normalize(value)
            for slug, value in self.cleaned_data.items()
            if not self.fields[slug].disabled
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
        initial[slug] = for_property(prop).form_initial(value)
    return initial


def prefilled(schema: TypeSchema, params: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """A new record's initial values from the query string (a record page's "New deal" link
    sets `?organization=<id>`): (initial, labels of references, sentences for what was left out).

    A reference must name a record of its target type that this person can read; it is
    shown by that record's title. Other values are only offered: the form checks them on save.
    """
    initial: dict[str, Any] = {}
    labels: dict[str, str] = {}
    refused: list[str] = []
    for slug, value in params.items():
        prop = schema.get(slug)
        if prop is None or prop.read_only or not value:
            continue
        if prop.type != "reference" or not prop.target:
            initial[slug] = value[:1000]
            continue
        try:
            record_id = str(uuid.UUID(value))
            target = prism.schema(prop.target)
            record = prism.client().service(prop.target).get(record_id, select=list(target.title_select()))
        except (ValueError, KeyError, NotFound):
            refused.append(f"{prop.name} was not filled in: the link named no {prop.target} you can see.")
            continue
        initial[slug] = record_id
        labels[record_id] = target.title(record.default, record_id)
    return initial, labels, refused

"""Options: select (one) and multiselect (a set). Values are option slugs on read."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from prism_client import Operator

from .base import BadValue, PropertyType, Schemas, csv_items, odd_value, quote
from .operators import ANY_OF, EQUALITY, PRESENCE, Input, choice


class Select(PropertyType):
    wire_type = "select"
    operators = (*EQUALITY, *ANY_OF, *PRESENCE)
    dedupe = True

    def filter_value(self, text: str) -> str:
        slugs = {o.slug for o in self.prop.options}
        if slugs and text not in slugs:
            raise BadValue(f"“{text}” is not an option of {self.prop.name}.")
        return text

    def filter_choices(self) -> list[tuple[str, str]]:
        return [(o.slug, o.name) for o in self.prop.options]

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        return forms.ChoiceField(choices=[("", "—"), *self.filter_choices()], **self.field_options())

    def chip(self, slug: object) -> SafeString:
        option = next((o for o in self.prop.options if o.slug == slug), None)
        name = option.name if option else str(slug)
        color = option.color if option and option.color else "gray"
        return format_html('<span class="chip chip-{}">{}</span>', color, name)

    def render_one(self, value: object, schemas: Schemas, *, full: bool) -> SafeString:
        return self.chip(value)

    def csv_value(self, text: str) -> Any:
        return self.option_slug(text)

    def option_slug(self, text: str) -> str:
        """The option a CSV cell names: by slug, name or id, in any case."""
        if not self.prop.options:  # a schema inferred from records knows no options: let the API decide
            return text
        wanted = text.casefold()
        for option in self.prop.options:
            if wanted in (option.slug.casefold(), option.name.casefold()) or (option.id and wanted == option.id.casefold()):
                return option.slug
        names = ", ".join(o.name for o in self.prop.options)
        raise BadValue(f"{quote(text)} is not an option of {self.prop.name} ({names}).")

    def fits_present(self, value: Any) -> bool:
        options = {o.slug for o in self.prop.options}
        return isinstance(value, str) and (not options or value in options)


class MultiSelect(Select):
    wire_type = "multiselect"
    operators = (
        choice(Operator.CONTAINS, "has all of", Input.MANY),
        choice(Operator.NOT_CONTAINS, "lacks"),
        choice(Operator.EQ, "has"),
        *PRESENCE,
    )
    holds_lists = True
    dedupe = False
    findable = False

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        first = present[0]
        return ("multiselect", False) if isinstance(first, list) and not (first and isinstance(first[0], dict)) else None

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        return forms.MultipleChoiceField(choices=self.filter_choices(), widget=forms.CheckboxSelectMultiple, **self.field_options())

    def render_one(self, value: object, schemas: Schemas, *, full: bool) -> SafeString:
        items = value if isinstance(value, list) else [value]
        return format_html_join(" ", "{}", ((self.chip(v) if isinstance(v, str) else odd_value(v),) for v in items))

    def csv_value(self, text: str) -> Any:
        return list(dict.fromkeys(self.option_slug(p) for p in csv_items(text))) or None

    def normalize_present(self, value: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        return sorted(str(i) for i in items)

    def fits_present(self, value: Any) -> bool:
        options = {o.slug for o in self.prop.options}
        items = value if isinstance(value, list) else [value]
        return all(isinstance(i, str) and (not options or i in options) for i in items)

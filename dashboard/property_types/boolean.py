"""Yes or no."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .base import BadValue, PropertyType, Schemas, quote, text_html
from .operators import EQUALITY, PRESENCE

CHOICES = [("true", "Yes"), ("false", "No")]
TRUE_WORDS = ("true", "yes", "1")  # in a CSV cell
FALSE_WORDS = ("false", "no", "0")


def flag(value: object) -> bool | None:
    """A boolean, or one sent as the string "true"/"false" ("false" is text, and would be truthy)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


class Boolean(PropertyType):
    wire_type = "boolean"
    operators = (*EQUALITY, *PRESENCE)

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        return ("boolean", False) if isinstance(present[0], bool) else None

    def filter_value(self, text: str) -> str:
        if text.lower() not in ("true", "false"):
            raise BadValue("Choose yes or no.")
        return text.lower()

    def filter_operand(self, value: str) -> object:
        return value == "true"

    def filter_choices(self) -> list[tuple[str, str]]:
        return CHOICES

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        # Never required: "No" is an answer, and an empty choice is "not set".
        return forms.TypedChoiceField(
            choices=[("", "—"), *CHOICES], coerce=lambda v: v == "true", empty_value=None, **{**self.field_options(), "required": False}
        )

    def form_initial(self, value: Any) -> Any:
        return "true" if value else "false"

    def render_one(self, value: object, schemas: Schemas, *, full: bool) -> SafeString:
        answer = flag(value)
        if answer is None:
            return text_html(value, full=full)
        return format_html('<span class="bool bool-{}">{}</span>', "yes" if answer else "no", "Yes" if answer else "No")

    def csv_value(self, text: str) -> Any:
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise BadValue(f"{quote(text)} is not yes or no (write true/false, yes/no or 1/0).")

    def normalize_present(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return value

    def fits_present(self, value: Any) -> bool:
        return isinstance(self.normalize(value), bool)

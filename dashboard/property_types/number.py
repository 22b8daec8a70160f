"""Numbers."""

import math
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from prism_client import Operator

from .base import BadValue, PropertyType, Schemas, quote, text_html
from .operators import ANY_OF, EQUALITY, PRESENCE, choices

MAX_NUMBER = 1e15


def finite(value: object) -> int | float | None:
    """A number, or a number sent as a string; None for anything else (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


class Number(PropertyType):
    wire_type = "number"
    operators = (
        *EQUALITY,
        *choices(Operator.LT, Operator.GT, Operator.LTE, Operator.GTE, Operator.BETWEEN),
        *ANY_OF,
        *PRESENCE,
    )
    filter_input_type = "number"
    dedupe = True

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        first = present[0]
        return ("number", False) if isinstance(first, (int, float)) and not isinstance(first, bool) else None

    def filter_value(self, text: str) -> str:
        if finite(text) is None:
            raise BadValue(f"“{text}” is not a number.")
        return text.strip()

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        return forms.FloatField(widget=forms.NumberInput(attrs={"step": "any"}), **self.field_options())

    def render_one(self, value: object, schemas: Schemas, *, full: bool) -> SafeString:
        number = finite(value)
        if number is None:
            return text_html(value, full=full)
        decimals = 0 if float(number).is_integer() else 2
        return format_html('<span class="num">{}</span>', number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True))

    def csv_value(self, text: str) -> Any:
        try:
            if "_" in text:  # float() reads 1_000; a CSV cell with it is a typo
                raise ValueError(text)
            value = float(text)
        except ValueError:
            raise BadValue(f"{quote(text)} is not a number (write it like 1234.5, without thousands separators).") from None
        if not math.isfinite(value):
            raise BadValue(f"{quote(text)} is not a number.")
        if abs(value) > MAX_NUMBER:
            raise BadValue(f"{quote(text)} is too large (at most 1,000,000,000,000,000).")
        return int(value) if value.is_integer() else value

    def normalize_present(self, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            return value
        return int(number) if number.is_integer() else number

    def fits_present(self, value: Any) -> bool:
        number = self.normalize(value)
        return isinstance(number, (int, float)) and not isinstance(number, bool)

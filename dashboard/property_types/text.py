"""Text types: text, long_text, email, url, phone."""

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .base import MAX_TEXT, BadValue, PropertyType, Schemas, as_texts, limited, quote, text_html

MAX_LONG_TEXT = 100_000
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
BARE_DOMAIN_RE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*)?$", re.IGNORECASE)
PHONE_RE = re.compile(r"^\+?[0-9 ().\-]{5,30}$")
PHONE = RegexValidator(PHONE_RE.pattern, "Enter a phone number, like +1 555 123 4567.")
LONG_TEXT_AT = 200  # a sampled value this long (or with a line break) makes an inferred type long_text


class Text(PropertyType):
    wire_type = "text"
    searchable = True
    dedupe = True

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        return "text", False


class LongText(PropertyType):
    wire_type = "long_text"
    findable = False
    default_column = False

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        return ("long_text", False) if any(len(t) > LONG_TEXT_AT or "\n" in t for t in as_texts(present)) else None

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_LONG_TEXT, strip=False, **self.field_options())

    def from_csv(self, cell: str) -> Any:
        # Spaces and line breaks are part of long text: the cell goes in as written.
        return limited(cell, MAX_LONG_TEXT) if cell.strip() else None


class Email(PropertyType):
    wire_type = "email"
    searchable = True
    dedupe = True

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        return ("email", False) if all(EMAIL_RE.match(t) for t in as_texts(present)) else None

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        return forms.EmailField(max_length=MAX_TEXT, **self.field_options())

    def render_one(self, value: object, schemas: Schemas, *, full: bool) -> SafeString:
        return format_html('<a href="mailto:{}">{}</a>', value, value)

    def csv_value(self, text: str) -> Any:
        if not EMAIL_RE.match(text):
            raise BadValue(f"{quote(text)} is not an email address.")
        return limited(text, MAX_TEXT)


class Url(PropertyType):
    wire_type = "url"
    searchable = True
    dedupe = True

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        return ("url", False) if all(t.startswith(("http://", "https://")) for t in as_texts(present)) else None

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        return forms.URLField(max_length=MAX_TEXT, assume_scheme="https", **self.field_options())

    def render_one(self, value: object, schemas: Schemas, *, full: bool) -> SafeString:
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', value, value)
        return text_html(value, full=full)

    def csv_value(self, text: str) -> Any:
        if BARE_DOMAIN_RE.match(text):
            text = f"https://{text}"
        if not URL_RE.match(text):
            raise BadValue(f"{quote(text)} is not a web address (start it with https://).")
        return limited(text, MAX_TEXT)


class Phone(PropertyType):
    wire_type = "phone"
    searchable = True
    dedupe = True

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        return forms.CharField(max_length=30, validators=[PHONE], **self.field_options())

    def render_one(self, value: object, schemas: Schemas, *, full: bool) -> SafeString:
        return format_html('<a href="tel:{}">{}</a>', str(value).replace(" ", ""), value)

    def csv_value(self, text: str) -> Any:
        if not PHONE_RE.match(text):
            raise BadValue(f"{quote(text)} is not a phone number (digits, spaces, + ( ) . - only).")
        return text

"""Dates and datetimes. Datetimes are UTC on the wire ("…Z"); people read, edit and filter
them in their own time zone (time_zones.py activates it for each request); the pickers
edit whole seconds and take no zone."""

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from prism_client import Operator

from .base import BadValue, PropertyType, Schemas, as_texts, quote, text_html
from .operators import EQUALITY, PRESENCE, choice

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
WIRE_DATETIME = "%Y-%m-%dT%H:%M:%SZ"

# Points in time read better as before/after than as less/greater.
TIME_OPERATORS = (
    *EQUALITY,
    choice(Operator.LT, "is before"),
    choice(Operator.GT, "is after"),
    choice(Operator.LTE, "is on or before"),
    choice(Operator.GTE, "is on or after"),
    choice(Operator.BETWEEN),
    *PRESENCE,
)


def parse_api_datetime(value: object) -> dt.datetime | None:
    """A datetime the API sent, aware (UTC when it carries no zone); None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# (unit, seconds in it), largest first: a relative time names the largest unit that fits.
UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def relative(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long ago (or until) a moment, as people say it: "3 days ago", "in 2 hours"."""
    seconds = ((now or timezone.now()) - when).total_seconds()
    if abs(seconds) < 60:
        return "just now"
    for unit, size in UNITS:
        count = int(abs(seconds) // size)
        if count:
            amount = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"{amount} ago" if seconds > 0 else f"in {amount}"
    return "just now"  # unreachable: a minute or more has a unit


def exact(when: dt.datetime) -> str:
    """The moment in the person's time zone (the one activated for the request), with its zone."""
    local = timezone.localtime(when)
    return f"{date_format(local, 'M j, Y, H:i')} {local.tzname()}"


def when_html(when: dt.datetime) -> SafeString:
    """A moment as "3 days ago"; the exact time shows on hover (title) and on keyboard focus
    (the tooltip the stylesheet draws from data-exact, so the element takes the focus)."""
    text = exact(when)
    return format_html(
        '<time class="when" datetime="{}" title="{}" data-exact="{}" tabindex="0">{}</time>',
        when.astimezone(dt.UTC).strftime(WIRE_DATETIME),
        text,
        text,
        relative(when),
    )


class Date(PropertyType):
    wire_type = "date"
    operators = TIME_OPERATORS
    filter_input_type = "date"
    dedupe = True

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        return ("date", False) if all(DATE_RE.match(t) for t in as_texts(present)) else None

    def filter_value(self, text: str) -> str:
        try:
            return dt.date.fromisoformat(text.strip()).isoformat()
        except ValueError:
            raise BadValue(f"“{text}” is not a date (YYYY-MM-DD).") from None

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **self.field_options())

    def render_one(self, value: object, schemas: Schemas, *, full: bool) -> SafeString:
        if not isinstance(value, str):
            return text_html(value, full=full)
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return format_html("{}", value)
        return format_html('<time datetime="{}">{}</time>', value, date_format(day, "M j, Y"))

    def csv_value(self, text: str) -> Any:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise BadValue(f"{quote(text)} is not a date; write it as YYYY-MM-DD (for example 2024-03-31).") from None

    def normalize_present(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    def fits_present(self, value: Any) -> bool:
        try:
            return isinstance(value, str) and bool(dt.date.fromisoformat(value))
        except ValueError:
            return False


class DateTime(PropertyType):
    wire_type = "datetime"
    operators = TIME_OPERATORS
    filter_input_type = "datetime-local"

    @classmethod
    def infer(cls, present: Sequence[object]) -> tuple[str, bool] | None:
        return ("datetime", False) if all(DATETIME_RE.match(t) for t in as_texts(present)) else None

    def filter_value(self, text: str) -> str:
        raw = text.strip()
        try:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise BadValue(f"“{text}” is not a date and time.") from None
        if value.tzinfo is None:
            value = timezone.make_aware(value)  # the picker's time, in the person's zone
        return _utc_text(value, text)

    def filter_input_value(self, value: str) -> str:
        # A wire value (a saved view's, a sort link's) as the picker shows it: in the person's
        # zone, without one.
        local = _local(parse_api_datetime(value)) if value.endswith("Z") else None
        if local is None:
            return value
        return local.replace(tzinfo=None).isoformat(timespec="seconds" if local.second else "minutes")

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        return ZonedDateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"),
            help_text=f"Time zone: {timezone.get_current_timezone_name()}",
            **self.field_options(),
        )

    def form_initial(self, value: Any) -> Any:
        # Aware: the form field shows it in the person's zone (Django's DateTimeField does).
        return parse_api_datetime(value) or value

    def render_one(self, value: object, schemas: Schemas, *, full: bool) -> SafeString:
        when = parse_api_datetime(value)
        if when is None:
            return format_html("{}", value)
        return when_html(when)

    def csv_value(self, text: str) -> Any:
        raw = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:
            try:
                value = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
            except ValueError:
                raise BadValue(
                    f"{quote(text)} is not a date and time; write it as YYYY-MM-DD HH:MM:SS (UTC, or with its offset like +02:00)."
                ) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return _utc_text(value, text)

    def normalize_present(self, value: Any) -> Any:
        when = value if isinstance(value, dt.datetime) else parse_api_datetime(value)
        if when is None:
            return value
        when = when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)
        # Whole seconds: what the datetime picker edits, so an untouched value is unchanged.
        return when.strftime(WIRE_DATETIME)

    def fits_present(self, value: Any) -> bool:
        # A time the person's zone cannot show (the year 1 west of Greenwich) is left as sent.
        return _local(parse_api_datetime(value)) is not None


def _utc_text(when: dt.datetime, typed: str) -> str:
    """An aware moment as the wire writes it (UTC, whole seconds, "…Z"); BadValue naming what
    was typed when UTC cannot hold it (a filter's time, a CSV cell)."""
    try:
        utc = when.astimezone(dt.UTC)
    except OverflowError:
        raise BadValue(f"{quote(typed)} is outside the years 1 to 9999.") from None
    return utc.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _local(when: dt.datetime | None) -> dt.datetime | None:
    """`when` in the person's zone; None if it is None or that zone cannot hold it."""
    try:
        return timezone.localtime(when) if when is not None else None
    except OverflowError:
        return None


class ZonedDateTimeField(forms.DateTimeField):
    """A picker's date and time, in the person's zone (Django makes it aware in the current
    zone, and refuses a time that zone skips or repeats), which UTC must be able to hold."""

    def to_python(self, value: Any) -> dt.datetime | None:
        result = super().to_python(value)
        try:
            return result.astimezone(dt.UTC) if result is not None else None
        except OverflowError:
            raise ValidationError("This date and time is outside the years 1 to 9999 in UTC.", code="overflow") from None

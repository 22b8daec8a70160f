"""Typed property values: checking what clients write, and parsing what they compare.

Dates are stored as `YYYY-MM-DD`, datetimes as UTC `YYYY-MM-DDTHH:MM:SS.mmmZ`: fixed
width, so that comparing the stored strings compares the instants.
"""

import datetime as dt
import math
import re
import uuid
from typing import Any

from .schemas import Property

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
PHONE_RE = re.compile(r"^\+?[0-9 ().\-]{5,30}$")
MAX_TEXT = 10_000
MAX_LONG_TEXT = 100_000


class InvalidValue(ValueError):
    """A value that does not fit its property; the message is shown to the client."""


def format_datetime(value: dt.datetime | None) -> str | None:
    """The wire and stored form of an instant (None stays None)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    # isoformat pads the year to four digits where strftime("%Y") does not, so
    # years before 1000 keep the width that string comparison relies on.
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def millisecond_of(value: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the millisecond `value` falls in: what its formatted form names."""
    low = value.replace(microsecond=value.microsecond // 1000 * 1000)
    return low, low + dt.timedelta(milliseconds=1)


def _from_iso(text: str) -> dt.datetime:
    """An ISO 8601 datetime as written (a trailing Z is UTC); ValueError otherwise."""
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(text)


def parse_datetime(raw: Any) -> dt.datetime:
    """An instant in UTC; a date alone is its midnight UTC, no offset is UTC."""
    if not isinstance(raw, str):
        raise InvalidValue("expected an ISO 8601 datetime string")
    text = raw.strip()
    try:
        value = _from_iso(text)
    except ValueError:
        try:
            value = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        except ValueError:
            raise InvalidValue(f"{raw!r} is not an ISO 8601 datetime") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise InvalidValue(f"{raw!r} is outside the years 1 to 9999 in UTC") from None


def parse_date(raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidValue("expected a date string (YYYY-MM-DD)")
    text = raw.strip()
    try:
        if "T" in text:
            # A full datetime names its own calendar day; anything else after a
            # date is not a date.
            return _from_iso(text).date().isoformat()
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidValue(f"{raw!r} is not a date (YYYY-MM-DD)") from None


def parse_number(raw: Any) -> float | int:
    if isinstance(raw, bool):
        raise InvalidValue("expected a number, got a boolean")
    if isinstance(raw, (int, float)):
        value = raw
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise InvalidValue(f"{raw!r} is not a number") from None
        if value.is_integer() and abs(value) < 2**53:
            value = int(value)
    else:
        raise InvalidValue("expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue("numbers must be finite")
    if abs(value) > 1e15:
        raise InvalidValue("number out of range (|n| ≤ 1e15)")
    return value


def parse_boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in {"true", "false"}:
        return raw.strip().lower() == "true"
    raise InvalidValue("expected true or false")


def parse_uuid(raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidValue("expected a record id (UUID string)")
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidValue(f"{raw!r} is not a valid id") from None


def option_slug(prop: Property, raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidValue("expected an option slug or option id")
    if raw in prop.option_slugs:
        return raw
    option_id = _canonical_uuid(raw)
    if option_id in prop.option_ids:
        return prop.option_ids[option_id]
    raise InvalidValue(f"unknown option {raw!r}; allowed: {', '.join(sorted(prop.option_slugs))}")


def _canonical_uuid(raw: str) -> str | None:
    # UUIDs are case-insensitive on input; option ids are stored lower-case.
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


def _text(raw: Any, limit: int) -> str:
    if not isinstance(raw, str):
        raise InvalidValue("expected a string")
    if len(raw) > limit:
        raise InvalidValue(f"text longer than {limit} characters")
    return _without_nul(raw)


def _without_nul(text: str) -> str:
    # Stored text never holds NUL, and PostgreSQL cannot store or compare with it.
    if "\x00" in text:
        raise InvalidValue("text may not contain NUL characters")
    return text


def clean_write_value(prop: Property, raw: Any) -> Any:
    """The stored form of a written value; raises InvalidValue. None means 'clear'."""
    if raw is None:
        return None
    t = prop.type
    if t in ("text", "phone", "email", "url"):
        value = _text(raw, MAX_TEXT)
        if value == "":
            return None
        if t == "email" and not EMAIL_RE.match(value):
            raise InvalidValue(f"{value!r} is not an email address")
        if t == "url" and not URL_RE.match(value):
            raise InvalidValue(f"{value!r} is not an http(s) URL")
        if t == "phone" and not PHONE_RE.match(value):
            raise InvalidValue(f"{value!r} is not a phone number")
        return value
    if t == "long_text":
        return _text(raw, MAX_LONG_TEXT) or None
    if t == "number":
        if isinstance(raw, str):
            raise InvalidValue("expected a number, got a string")
        return parse_number(raw)
    if t == "boolean":
        if not isinstance(raw, bool):
            raise InvalidValue("expected true or false")
        return raw
    if t == "date":
        return parse_date(raw)
    if t == "datetime":
        return format_datetime(parse_datetime(raw))
    if t == "select":
        return option_slug(prop, raw)
    if t == "multiselect":
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list):
            raise InvalidValue("expected a list of option slugs or ids")
        slugs = list(dict.fromkeys(option_slug(prop, item) for item in items))
        return slugs or None
    if t == "reference":
        if prop.multiple:
            items = [raw] if isinstance(raw, str) else raw
            if not isinstance(items, list):
                raise InvalidValue("expected a list of record ids")
            ids = list(dict.fromkeys(parse_uuid(_ref_id(i)) for i in items))
            return ids or None
        return parse_uuid(_ref_id(raw))
    raise InvalidValue(f"unsupported property type {t!r}")


def _ref_id(raw: Any) -> Any:
    # Accept the read shape ({"id": ..., "properties": ...}) back on write, so a
    # client can round-trip what it read.
    if isinstance(raw, dict) and "id" in raw:
        return raw["id"]
    return raw


def comparison_value(prop: Property, raw: Any) -> Any:
    """A filter operand in the form the stored value compares with."""
    t = prop.type
    if prop.system:
        return parse_datetime(raw)
    if t in ("text", "long_text", "email", "url", "phone"):
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise InvalidValue("expected a string")
        return _without_nul(str(raw))
    if t == "number":
        return parse_number(raw)
    if t == "boolean":
        return parse_boolean(raw)
    if t == "date":
        return parse_date(raw)
    if t == "datetime":
        return format_datetime(parse_datetime(raw))
    if t in ("select", "multiselect"):
        return option_slug(prop, raw)
    if t == "reference":
        return parse_uuid(_ref_id(raw))
    raise InvalidValue(f"unsupported property type {t!r}")

"""Safe edits: send only what changed, with If-Match; on a conflict, merge three ways.

`base` is the version a person started from, `mine` what they want, `theirs` what
the server holds now. A property only one side changed merges on its own; one both
sides changed differently is a conflict the person resolves. Nothing of theirs is
overwritten unless the person saw it and chose so.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prism_client import PreconditionFailed, PropertyDefinition, Record, RecordService

from .prism import TypeSchema

Values = dict[str, Any]


def normalize(prop: PropertyDefinition | None, value: Any) -> Any:
    """One canonical form per value, so that equal things compare equal."""
    if value is None or value == "" or value == []:
        return None
    t = prop.type if prop else None
    if t == "reference":
        items = value if isinstance(value, list) else [value]
        ids = [str(i.get("id")) if isinstance(i, Mapping) else str(i) for i in items]
        return ids if (prop and prop.multiple) or isinstance(value, list) else ids[0]
    if t == "multiselect":
        items = value if isinstance(value, list) else [value]
        return sorted(str(i) for i in items)
    if t == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if t == "number":
        if isinstance(value, bool):
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            return value
        return int(number) if number.is_integer() else number
    if t == "datetime":
        when = value if isinstance(value, dt.datetime) else _parse_datetime(value)
        if when is None:
            return value
        when = when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)
        # Whole seconds: what the datetime picker edits, so an untouched value is unchanged.
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if t == "date" and isinstance(value, dt.date):
        return value.isoformat()
    return value


def _parse_datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def fits(prop: PropertyDefinition, value: Any) -> bool:
    """Whether the form field for `prop` can show `value` as it is, so that saving the form
    untouched writes nothing. A server can send shapes the schema does not promise (a list
    where text was expected, an option it does not list); those cannot be edited here."""
    if value is None or value == "" or value == []:
        return True
    t = prop.type
    options = {o.slug for o in prop.options}
    if t == "reference":
        items = value if isinstance(value, list) else [value]
        ids_only = all(isinstance(i, str) or (isinstance(i, Mapping) and isinstance(i.get("id"), str)) for i in items)
        return ids_only and (prop.multiple or not isinstance(value, list))
    if t == "number":
        number = normalize(prop, value)
        return isinstance(number, (int, float)) and not isinstance(number, bool)
    if t == "boolean":
        return isinstance(normalize(prop, value), bool)
    if t == "select":
        return isinstance(value, str) and (not options or value in options)
    if t == "multiselect":
        items = value if isinstance(value, list) else [value]
        return all(isinstance(i, str) and (not options or i in options) for i in items)
    if t == "date":
        try:
            return isinstance(value, str) and bool(dt.date.fromisoformat(value))
        except ValueError:
            return False
    if t == "datetime":
        return _parse_datetime(value) is not None
    return isinstance(value, str)  # text, email, url, phone, and types this dashboard does not know


def unfit(record: Record, schema: TypeSchema) -> list[str]:
    """The editable properties whose values the form cannot show as they are."""
    return [p.slug for p in schema.user_properties if not p.read_only and not fits(p, record.default.get(p.slug))]


def values_of(record: Record, schema: TypeSchema) -> Values:
    """A record's editable properties, normalized."""
    return {p.slug: normalize(p, record.default.get(p.slug)) for p in schema.properties if not p.read_only}


def diff(base: Mapping[str, Any], mine: Mapping[str, Any]) -> Values:
    """The properties mine changes relative to base (None = clear)."""
    return {slug: value for slug, value in mine.items() if value != base.get(slug)}


@dataclass(frozen=True)
class Conflict:
    slug: str
    base: Any
    mine: Any
    theirs: Any


@dataclass(frozen=True)
class Merge:
    """The outcome of merging mine and theirs over base."""

    merged: Values  # what the record should hold where it was not in conflict
    conflicts: tuple[Conflict, ...]
    auto_merged: tuple[str, ...]  # properties only I changed, applied over theirs
    their_changes: tuple[str, ...]  # properties only they changed, kept

    def changes(self, theirs: Mapping[str, Any], resolutions: Mapping[str, Any] | None = None) -> Values:
        """What to send on top of theirs: my one-sided changes plus the resolved conflicts."""
        wanted = dict(self.merged)
        wanted.update(resolutions or {})
        return diff(theirs, wanted)


def merge(base: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> Merge:
    merged: Values = {}
    conflicts, auto, their_changes = [], [], []
    for slug in dict.fromkeys([*base, *mine, *theirs]):
        b, m, t = base.get(slug), mine.get(slug, base.get(slug)), theirs.get(slug)
        mine_changed, theirs_changed = m != b, t != b
        if mine_changed and theirs_changed and m != t:
            conflicts.append(Conflict(slug, b, m, t))
            merged[slug] = t
        elif mine_changed:
            merged[slug] = m
            if not theirs_changed:
                auto.append(slug)
        else:
            merged[slug] = t
            if theirs_changed:
                their_changes.append(slug)
    return Merge(merged, tuple(conflicts), tuple(auto), tuple(their_changes))


def wire_value(prop: PropertyDefinition | None, value: Any) -> Any:
    """A normalized value as the API takes it on write."""
    if value is None:
        return None
    if prop is not None and prop.type == "number" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class Saved:
    record: Record | None  # None when nothing changed (no request was needed)
    sent: Values


@dataclass(frozen=True)
class NeedsResolution:
    """The server changed meanwhile and both sides changed some properties."""

    merge: Merge
    base: Values  # the server version to resolve against (theirs)
    mine: Values
    etag: str | None
    current: Record | None


@dataclass(frozen=True)
class EditResult:
    outcome: Saved | NeedsResolution
    attempts: int = 1
    merged_automatically: tuple[str, ...] = field(default=())


def save_changes(
    service: RecordService,
    schema: TypeSchema,
    record_id: str,
    base: Values,
    mine: Values,
    etag: str | None,
    *,
    max_automatic_merges: int = 3,
) -> EditResult:
    """PATCH what mine changed over base, with If-Match: etag.

    On 412, merge with the server's current version (from the 412's details, or one
    GET): with no conflicting property, retry with the new ETag; otherwise hand
    the merge back for the person to resolve.
    """
    attempts = 0
    merged_auto: tuple[str, ...] = ()
    while True:
        changes = diff(base, mine)
        attempts += 1
        if not changes:
            return EditResult(Saved(None, {}), attempts, merged_auto)
        body = {slug: wire_value(schema.get(slug), value) for slug, value in changes.items()}
        try:
            record = service.update(record_id, body, if_match=etag)
            return EditResult(Saved(record, body), attempts, merged_auto)
        except PreconditionFailed as exc:
            current = exc.current if isinstance(exc.current, Record) else None
            if current is None:
                current = service.get(record_id)
            theirs = values_of(current, schema)
            result = merge(base, mine, theirs)
            new_etag = exc.etag or current.etag
            # Refused although the version sent is the current one (a 412 with no details
            # from a server that then reads the record unchanged): asking again would be
            # refused again. Hand it back, with nothing saved.
            refused_as_is = new_etag == etag and theirs == base
            if result.conflicts or attempts > max_automatic_merges or refused_as_is:
                return EditResult(NeedsResolution(result, theirs, mine, new_etag, current), attempts, merged_auto)
            # Only one-sided changes: apply mine over theirs and try again.
            merged_auto = result.auto_merged
            base, mine, etag = theirs, {**theirs, **diff(theirs, result.merged)}, new_etag

"""Safe edits: send only what changed, with If-Match; on a conflict, merge three ways.

`base` is the version a person started from, `mine` what they want, `theirs` what
the server holds now. A property only one side changed merges on its own; one both
sides changed differently is a conflict the person resolves. Nothing of theirs is
overwritten unless the person saw it and chose so.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prism_client import PreconditionFailed, Record, RecordService

from .prism import TypeSchema
from .property_types import for_property

Values = dict[str, Any]


def unfit(record: Record, schema: TypeSchema) -> list[str]:
    """The editable properties whose values the form cannot show as they are."""
    return [p.slug for p in schema.user_properties if not p.read_only and not for_property(p).fits(record.default.get(p.slug))]


def values_of(record: Record, schema: TypeSchema) -> Values:
    """A record's editable properties, normalized (each by its type: the form edits are
    compared, merged and sent in)."""
    return {p.slug: for_property(p).normalize(record.default.get(p.slug)) for p in schema.properties if not p.read_only}


def diff(base: Mapping[str, Any], mine: Mapping[str, Any]) -> Values:
    """The properties mine changes relative to base (None = clear)."""
    return {slug: value for slug, value in mine.items() if value != base.get(slug)}


@dataclass(frozen=True)
class EditConflict:
    """A property both sides changed, differently, since the version the edit started from."""

    slug: str
    base: Any
    mine: Any
    theirs: Any


@dataclass(frozen=True)
class Merge:
    """The outcome of merging mine and theirs over base."""

    merged: Values  # what the record should hold where it was not in conflict
    conflicts: tuple[EditConflict, ...]
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
            conflicts.append(EditConflict(slug, b, m, t))
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
        try:
            # Normalized values (property_types) are the form the API takes on write.
            record = service.update(record_id, changes, if_match=etag)
            return EditResult(Saved(record, changes), attempts, merged_auto)
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

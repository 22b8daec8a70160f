"""Audit entries in words people read: the record's title, and each change as its property's
label with the value before → after, formatted as the table formats it (history, the
audit trail, home's latest changes).

Titles of the records named (a bulk change's record, a reference's target) are read by
the caller in the page's one round trip (visibility.readable) and handed in as `found`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString

from prism_client import OBJECT_TYPES_BY_SEGMENT, Grant

from . import prism
from .grants import summary
from .models import AuditEntry
from .property_types import EMPTY, for_property, record_url

Action = AuditEntry.Action
Found = Mapping[tuple[str, str], Mapping[str, object]]  # (type, id) -> the record's title values
# Values of an import's summary that are not changes to a record.
IMPORT_HIDDEN = ("import_run",)


@dataclass(frozen=True)
class Change:
    """One property's change: its label, and its value before (None: not shown) and after."""

    label: str
    before: SafeString | None
    after: SafeString


def references(entries: Iterable[AuditEntry], schemas: dict | None = None) -> set[tuple[str, str]]:
    """The records the entries name and the changes refer to, whose titles the page reads:
    records without a title kept at the time (bulk changes), and references' targets."""
    schemas = prism.schemas() if schemas is None else schemas
    out: set[tuple[str, str]] = set()
    for e in entries:
        if e.record_id and not e.record_repr:
            out.add((e.segment, e.record_id))
        schema = schemas.get(e.segment)
        if schema is None or e.action == Action.GRANT:
            continue
        for values in (e.before, e.after):
            for slug, value in values.items() if isinstance(values, dict) else ():
                prop = schema.get(slug)
                if prop is not None and prop.type == "reference" and prop.target:
                    out.update((prop.target, i) for i in _ids(value))
        if e.action == Action.DUPLICATE and isinstance(e.before, dict) and isinstance(e.before.get("copied_from"), str):
            out.add((e.segment, e.before["copied_from"]))
    return out


def described(entries: Iterable[AuditEntry], found: Found, schemas: dict | None = None) -> list[AuditEntry]:
    """The entries, each given `type_label`, `title` (the record's name: as kept at the time,
    else as read now, else "") and `changes` (a list of Change) for the templates. Without
    `schemas` (say, the API is down) the changes are named by their slugs."""
    schemas = prism.schemas() if schemas is None else schemas
    out = []
    for e in entries:
        object_type = OBJECT_TYPES_BY_SEGMENT.get(e.segment)
        schema = schemas.get(e.segment)
        e.type_label = object_type.label if object_type else e.segment
        current = found.get((e.segment, e.record_id))
        e.title = e.record_repr or (schema.title(current) if schema is not None and current is not None else "")
        e.changes = entry_changes(e, schemas, found)
        out.append(e)
    return out


def entry_changes(e: AuditEntry, schemas: dict, found: Found) -> list[Change]:
    if e.action == Action.GRANT:
        return _grant_change(e.before, e.after)
    if e.action == Action.DUPLICATE and isinstance(e.before, dict) and "copied_from" in e.before:
        return [Change("Copied from", None, _value(e.segment, "", e.before["copied_from"], schemas, found, reference_to=e.segment))]
    if not isinstance(e.after, dict):
        return []
    before = e.before if isinstance(e.before, dict) and e.action == Action.UPDATE else None
    return [
        Change(
            _label(e.segment, slug, schemas),
            _value(e.segment, slug, before.get(slug), schemas, found) if before is not None else None,
            _value(e.segment, slug, value, schemas, found),
        )
        for slug, value in e.after.items()
        if not (e.action == Action.IMPORT and slug in IMPORT_HIDDEN)
    ]


def _grant_change(before: object, after: object) -> list[Change]:
    team_id = settings.MICRO_TEAM_ID
    words = [format_html("{}", summary(Grant.from_wire(v), team_id)) if isinstance(v, dict) else None for v in (before, after)]
    return [Change("Permissions", words[0], words[1] or EMPTY)]


def _label(segment: str, slug: str, schemas: dict) -> str:
    schema = schemas.get(segment)
    prop = schema.get(slug) if schema is not None else None
    return prop.name if prop is not None else slug.replace("_", " ").capitalize()


def _ids(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(i.get("id")) if isinstance(i, dict) else i for i in items if isinstance(i, (str, dict))]


def _value(segment: str, slug: str, value: object, schemas: dict, found: Found, *, reference_to: str | None = None) -> SafeString:
    """A value as the table shows it; references by their targets' titles where read."""
    schema = schemas.get(segment)
    prop = schema.get(slug) if schema is not None and slug else None
    target = reference_to or (prop.target if prop is not None and prop.type == "reference" else None)
    if target is not None and value not in (None, "", []):
        refs = [{"id": i, "properties": dict(found.get((target, i), {}))} for i in _ids(value)]
        if reference_to is not None:  # the record a copy was made from
            ref = refs[0]
            title = schemas[target].title(ref["properties"], f"{ref['id'][:8]}…") if target in schemas else ref["id"]
            return format_html('<a href="{}" title="{}">{}</a>', record_url(target, ref["id"]), ref["id"], title)
        return for_property(prop).render(refs if prop.multiple or isinstance(value, list) else refs[0], schemas, full=True)
    if prop is None and slug == "dedupe_by" and isinstance(value, str) and schema is not None and schema.get(value):
        return format_html("{}", schema.get(value).name)  # an import matched rows by this property
    return for_property(prop).render_normalized(value, schemas)

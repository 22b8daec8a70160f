"""The Prism object types: one table that generates the client's services.

The dashboard reads this table for labels, URLs and which actions to offer. The
sandbox keeps its own copy (it must not import the client); tests hold both
against API_CONTRACT.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ObjectType:
    """One row of the table.

    ``segment`` is the path segment (``/v2/prism/{team}/{segment}``); ``attr`` is the
    attribute name of its service on :class:`~prism_client.PrismClient`.
    """

    segment: str
    label: str
    plural_label: str
    writable: bool
    has_grant: bool

    @property
    def attr(self) -> str:
        return self.plural_label.lower()


OBJECT_TYPES: tuple[ObjectType, ...] = (
    ObjectType("contact", "Contact", "Contacts", writable=True, has_grant=False),
    ObjectType("organization", "Organization", "Organizations", writable=True, has_grant=False),
    ObjectType("identity", "Identity", "Identities", writable=True, has_grant=False),
    ObjectType("deal", "Deal", "Deals", writable=True, has_grant=True),
    ObjectType("action", "Action", "Actions", writable=True, has_grant=True),
    ObjectType("document", "Document", "Documents", writable=True, has_grant=True),
    # Events come from calendars: the API offers the read subset only.
    ObjectType("event", "Event", "Events", writable=False, has_grant=True),
)

OBJECT_TYPES_BY_SEGMENT: dict[str, ObjectType] = {t.segment: t for t in OBJECT_TYPES}


def object_type(segment: str) -> ObjectType:
    """The table row for ``segment``; ``KeyError`` names the known segments."""
    try:
        return OBJECT_TYPES_BY_SEGMENT[segment]
    except KeyError:
        known = ", ".join(OBJECT_TYPES_BY_SEGMENT)
        raise KeyError(f"unknown Prism object type {segment!r}; known: {known}") from None

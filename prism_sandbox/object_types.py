"""The sandbox's own table of object types and the schemas a new team starts with.

The sandbox must not depend on prism_client, so it keeps this table itself; its tests
hold it against the table in docs/sandbox.md.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectType:
    segment: str
    writable: bool
    has_grant: bool
    title_slug: str


OBJECT_TYPES: dict[str, ObjectType] = {
    t.segment: t
    for t in (
        ObjectType("contact", writable=True, has_grant=False, title_slug="first_name"),
        ObjectType("organization", writable=True, has_grant=False, title_slug="name"),
        ObjectType("identity", writable=True, has_grant=False, title_slug="name"),
        ObjectType("deal", writable=True, has_grant=True, title_slug="name"),
        ObjectType("action", writable=True, has_grant=True, title_slug="title"),
        ObjectType("document", writable=True, has_grant=True, title_slug="title"),
        ObjectType("event", writable=False, has_grant=True, title_slug="title"),
    )
}

PROPERTY_TYPES = frozenset(
    {
        "text",
        "long_text",
        "email",
        "url",
        "phone",
        "number",
        "boolean",
        "date",
        "datetime",
        "select",
        "multiselect",
        "reference",
    }
)

# System properties every record has; read-only, sortable and filterable.
SYSTEM_PROPERTIES = (
    {"slug": "created_at", "name": "Created at", "type": "datetime", "read_only": True},
    {"slug": "updated_at", "name": "Updated at", "type": "datetime", "read_only": True},
    # Set only on soft-deleted records (seen with deleted=true): the trash is
    # `deleted=true` plus `deleted_at is_not_null`.
    {"slug": "deleted_at", "name": "Deleted at", "type": "datetime", "read_only": True},
)


def _options(*pairs: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"slug": slug, "name": name, "color": color} for slug, name, color in pairs]


# slug, name, type, extra. "indexed" properties get expression indexes (see models).
DEFAULT_SCHEMAS: dict[str, list[dict]] = {
    "contact": [
        {"slug": "first_name", "name": "First name", "type": "text", "indexed": True},
        {"slug": "last_name", "name": "Last name", "type": "text", "indexed": True},
        {"slug": "email", "name": "Email", "type": "email", "indexed": True},
        {"slug": "phone", "name": "Phone", "type": "phone"},
        {"slug": "title", "name": "Job title", "type": "text"},
        {
            "slug": "status",
            "name": "Status",
            "type": "select",
            "indexed": True,
            "options": _options(("lead", "Lead", "blue"), ("customer", "Customer", "green"), ("churned", "Churned", "gray")),
        },
        {
            "slug": "tags",
            "name": "Tags",
            "type": "multiselect",
            "options": _options(("vip", "VIP", "purple"), ("partner", "Partner", "orange"), ("newsletter", "Newsletter", "teal")),
        },
        {"slug": "score", "name": "Score", "type": "number", "indexed": True},
        {"slug": "is_vip", "name": "VIP", "type": "boolean"},
        {"slug": "birthday", "name": "Birthday", "type": "date"},
        {"slug": "organization", "name": "Organization", "type": "reference", "target": "organization", "indexed": True},
        {"slug": "notes", "name": "Notes", "type": "long_text"},
    ],
    "organization": [
        {"slug": "name", "name": "Name", "type": "text", "required": True, "indexed": True},
        {"slug": "domain", "name": "Domain", "type": "text", "indexed": True},
        {"slug": "website", "name": "Website", "type": "url"},
        {
            "slug": "industry",
            "name": "Industry",
            "type": "select",
            "indexed": True,
            "options": _options(
                ("software", "Software", "blue"),
                ("finance", "Finance", "green"),
                ("healthcare", "Healthcare", "red"),
                ("retail", "Retail", "orange"),
                ("manufacturing", "Manufacturing", "gray"),
                ("education", "Education", "purple"),
            ),
        },
        {"slug": "employees", "name": "Employees", "type": "number", "indexed": True},
    ],
    "identity": [
        {"slug": "name", "name": "Name", "type": "text", "required": True, "indexed": True},
        {"slug": "email", "name": "Email", "type": "email", "indexed": True},
        {"slug": "contact", "name": "Contact", "type": "reference", "target": "contact", "indexed": True},
    ],
    "deal": [
        {"slug": "name", "name": "Name", "type": "text", "required": True, "indexed": True},
        {"slug": "amount", "name": "Amount", "type": "number", "indexed": True},
        {
            "slug": "stage",
            "name": "Stage",
            "type": "select",
            "indexed": True,
            "options": _options(
                ("prospect", "Prospect", "gray"),
                ("qualified", "Qualified", "blue"),
                ("proposal", "Proposal", "purple"),
                ("won", "Won", "green"),
                ("lost", "Lost", "red"),
            ),
        },
        {"slug": "close_date", "name": "Close date", "type": "date", "indexed": True},
        {"slug": "organization", "name": "Organization", "type": "reference", "target": "organization", "indexed": True},
        {"slug": "owner", "name": "Owner", "type": "reference", "target": "identity", "indexed": True},
    ],
    "action": [
        {"slug": "title", "name": "Title", "type": "text", "required": True, "indexed": True},
        {"slug": "done", "name": "Done", "type": "boolean"},
        {"slug": "due_date", "name": "Due date", "type": "date", "indexed": True},
        {"slug": "deal", "name": "Deal", "type": "reference", "target": "deal", "indexed": True},
        {"slug": "assignee", "name": "Assignee", "type": "reference", "target": "identity", "indexed": True},
    ],
    "document": [
        {"slug": "title", "name": "Title", "type": "text", "required": True, "indexed": True},
        {"slug": "url", "name": "URL", "type": "url"},
        {"slug": "summary", "name": "Summary", "type": "long_text"},
        {"slug": "deal", "name": "Deal", "type": "reference", "target": "deal", "indexed": True},
    ],
    "event": [
        {"slug": "title", "name": "Title", "type": "text", "required": True, "indexed": True},
        {"slug": "starts_at", "name": "Starts at", "type": "datetime", "indexed": True},
        {"slug": "ends_at", "name": "Ends at", "type": "datetime"},
        {"slug": "attendee", "name": "Attendee", "type": "reference", "target": "identity", "indexed": True},
    ],
}

# Expression indexes are created by migration for these (type, slug) pairs.
INDEXED_PROPERTIES: tuple[tuple[str, str], ...] = tuple(
    (t, p["slug"]) for t, props in DEFAULT_SCHEMAS.items() for p in props if p.get("indexed")
)

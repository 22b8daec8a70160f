"""A contact schema built by hand, so URL-state tests need no API."""

from dashboard.prism import TypeSchema
from prism_client import PropertyDefinition, PropertyOption


def _opt(slug: str) -> PropertyOption:
    return PropertyOption(id=f"id-{slug}", slug=slug, name=slug.title(), color="blue")


CONTACT = TypeSchema(
    "contact",
    (
        PropertyDefinition("first_name", "First name", "text"),
        PropertyDefinition("email", "Email", "email"),
        PropertyDefinition("notes", "Notes", "long_text"),
        PropertyDefinition("status", "Status", "select", options=(_opt("lead"), _opt("customer"))),
        PropertyDefinition("tags", "Tags", "multiselect", options=(_opt("vip"), _opt("partner"))),
        PropertyDefinition("score", "Score", "number"),
        PropertyDefinition("is_vip", "VIP", "boolean"),
        PropertyDefinition("birthday", "Birthday", "date"),
        PropertyDefinition("organization", "Organization", "reference", target="organization"),
        PropertyDefinition("created_at", "Created at", "datetime", read_only=True),
        PropertyDefinition("updated_at", "Updated at", "datetime", read_only=True),
    ),
)
ORGANIZATION = TypeSchema(
    "organization",
    (PropertyDefinition("name", "Name", "text"), PropertyDefinition("industry", "Industry", "select")),
)
SCHEMAS = {"contact": CONTACT, "organization": ORGANIZATION}

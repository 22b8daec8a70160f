"""Related records: on a record's page, the records of every type that point at it.

The relations come from the schemas: each reference property of any type whose target
is this record's type (an organization ← contacts' and deals' Organization; a deal ←
actions' and documents' Deal). Each is one query (the first rows, titled, and the count),
all of them sent at once (fan_out); one that fails says so in its own group.
"""

from dataclasses import dataclass
from functools import partial
from urllib.parse import urlencode

from django.urls import reverse

from prism_client import OBJECT_TYPES_BY_SEGMENT, Filter, ObjectType, Operator, Page, PrismError, PropertyDefinition, Query

from . import list_state, prism
from .cells import title_text
from .errors import describe
from .fan_out import fan_out
from .property_types import record_url

FIRST_ROWS = 5  # rows each group shows; the link to the filtered table shows them all


@dataclass(frozen=True)
class Relation:
    """Records of `segment` whose `prop` (a reference) points at records of `target`."""

    segment: str
    prop: PropertyDefinition
    target: str

    @property
    def object_type(self) -> ObjectType:
        return OBJECT_TYPES_BY_SEGMENT[self.segment]

    def query(self, record_id: str, schemas: dict[str, prism.TypeSchema]) -> Query:
        title = schemas[self.segment].title_slug
        # `=` on a reference holding several ids (multiple) means "holds this one".
        return Query(
            select=(title,),
            filters=(Filter(self.prop.slug, Operator.EQ, record_id),),
            limit=FIRST_ROWS,
            include_total=True,
        )

    def table_url(self, record_id: str) -> str:
        """The type's table filtered to these records: the table's own URL state (list_state)."""
        params = {f"{list_state.ROW_PROPERTY}0": self.prop.slug, f"{list_state.ROW_OPERATOR}0": "=", f"{list_state.ROW_VALUE}0": record_id}
        return f"{reverse('record-list', args=[self.segment])}?{urlencode(params)}"

    def create_url(self, record_id: str) -> str | None:
        """A new record of the type, its reference set to this record (None: the type is read-only)."""
        if not self.object_type.writable or self.prop.read_only:
            return None
        return f"{reverse('record-create', args=[self.segment])}?{urlencode({self.prop.slug: record_id})}"


def relations(schemas: dict[str, prism.TypeSchema], target: str) -> list[Relation]:
    """Every reference property, of any type, that points at `target` records; in the types' order."""
    return [
        Relation(segment, prop, target)
        for segment, schema in schemas.items()
        if segment in OBJECT_TYPES_BY_SEGMENT
        for prop in schema.user_properties
        if prop.type == "reference" and prop.target == target
    ]


@dataclass(frozen=True)
class Group:
    """One relation's part of the page: its first rows (title, URL), count and links, or an error."""

    relation: Relation
    heading: str
    rows: tuple[tuple[str, str], ...] = ()
    total: int | None = None
    more: bool = False
    table_url: str = ""
    create_url: str | None = None
    error: str = ""


def related_groups(target: str, record_id: str, *, may_create: bool) -> list[Group]:
    """Every relation's group for one record: one query each, sent at once."""
    schemas = prism.schemas()
    found = relations(schemas, target)
    # A type with one reference here reads "Deals"; with several, each says which ("Deals · Owner").
    per_type = {r.segment: sum(1 for o in found if o.segment == r.segment) for r in found}
    client = prism.client()
    calls = [partial(client.service(r.segment).query, r.query(record_id, schemas)) for r in found]
    groups = []
    for relation, result in zip(found, fan_out(calls), strict=True):
        heading = relation.object_type.plural_label
        if per_type[relation.segment] > 1:
            heading = f"{heading} · {relation.prop.name}"
        base = {
            "relation": relation,
            "heading": heading,
            "table_url": relation.table_url(record_id),
            "create_url": relation.create_url(record_id) if may_create else None,
        }
        if isinstance(result, PrismError):
            groups.append(Group(**base, error=describe(result)))
            continue
        groups.append(Group(**base, rows=rows_of(result, relation, schemas), total=result.total, more=result.has_more))
    return groups


def rows_of(page: Page, relation: Relation, schemas: dict[str, prism.TypeSchema]) -> tuple[tuple[str, str], ...]:
    title = schemas[relation.segment].title_slug
    return tuple((title_text(row.properties.get(title), row.id), record_url(relation.segment, row.id)) for row in page.rows)

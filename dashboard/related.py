"""Related records: on a record's page, the records of every type that point at it.

The relations come from the schemas: each reference property of any type whose target
is this record's type (an organization ← contacts' and deals' Organization; a deal ←
actions' and documents' Deal). Each is one query (the first rows, titled, and the count),
all of them sent at once (fan_out); one that fails says so in its own group. A contact's
identities stand for it (THROUGH), so what points at them (deals they own…) follows in
a second round, also at once.
"""

from dataclasses import dataclass
from functools import partial
from urllib.parse import urlencode

from django.urls import reverse

from prism_client import OBJECT_TYPES_BY_SEGMENT, Filter, ObjectType, Operator, Page, PrismError, PropertyDefinition, Query

from . import list_state, prism
from .errors import describe
from .fan_out import fan_out
from .property_types import record_url

FIRST_ROWS = 5  # rows each group shows; the link to the filtered table shows them all
# Types whose records stand for the record they point at: an identity is a contact's
# account, so what points at a contact's identities (deals they own, actions assigned to
# them, events they attend) is shown on the contact's page too, one step further.
THROUGH = ("identity",)
MAX_THROUGH = 50  # the most of those records (one page) whose own related records are read


@dataclass(frozen=True)
class Relation:
    """Records of `segment` whose `prop` (a reference) points at records of `target`."""

    segment: str
    prop: PropertyDefinition
    target: str

    @property
    def object_type(self) -> ObjectType:
        return OBJECT_TYPES_BY_SEGMENT[self.segment]

    def query(self, ids: tuple[str, ...], schemas: dict[str, prism.TypeSchema], *, limit: int = FIRST_ROWS) -> Query:
        """The first records pointing at any of `ids`, titled, with their count."""
        # `=` on a reference holding several ids (multiple) means "holds this one".
        found = Filter(self.prop.slug, Operator.EQ, ids[0]) if len(ids) == 1 else Filter(self.prop.slug, Operator.IN, list(ids))
        return Query(select=schemas[self.segment].title_select(), filters=(found,), limit=limit, include_total=True)

    def table_url(self, ids: tuple[str, ...]) -> str:
        """The type's table filtered to these records: the table's own URL state (list_state)."""
        op = Operator.EQ if len(ids) == 1 else Operator.IN
        params = [(f"{list_state.ROW_PROPERTY}0", self.prop.slug), (f"{list_state.ROW_OPERATOR}0", op.value)]
        params += [(f"{list_state.ROW_VALUE}0", i) for i in ids]
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
    note: str = ""


def headings(found: list[Relation], through: Relation | None = None) -> list[str]:
    """ "Deals"; "Deals · Owner" when the type has several references here; ", through identities" one step further."""
    per_type = {r.segment: sum(1 for o in found if o.segment == r.segment) for r in found}
    out = []
    for relation in found:
        heading = relation.object_type.plural_label
        if per_type[relation.segment] > 1 or through:
            heading = f"{heading} · {relation.prop.name}"
        if through:
            heading = f"{heading}, through {through.object_type.plural_label.lower()}"
        out.append(heading)
    return out


def related_groups(target: str, record_id: str, *, may_create: bool) -> list[Group]:
    """Every relation's group for one record: one query each, sent at once; then, for the
    records that stand for it (THROUGH), what points at those: one more round, at once."""
    schemas = prism.schemas()
    found = relations(schemas, target)
    client = prism.client()
    # A type read through reads one page of ids; its group still shows its first rows.
    limits = [MAX_THROUGH if r.segment in THROUGH else FIRST_ROWS for r in found]
    calls = [partial(client.service(r.segment).query, r.query((record_id,), schemas, limit=n)) for r, n in zip(found, limits, strict=True)]
    groups = []
    further: list[tuple[Relation, tuple[str, ...], bool]] = []
    for relation, heading, result in zip(found, headings(found), fan_out(calls), strict=True):
        base = {
            "relation": relation,
            "heading": heading,
            "table_url": relation.table_url((record_id,)),
            "create_url": relation.create_url(record_id) if may_create else None,
        }
        if isinstance(result, PrismError):
            groups.append(Group(**base, error=describe(result)))
            continue
        rows = rows_of(result, relation, schemas)
        groups.append(Group(**base, rows=rows[:FIRST_ROWS], total=result.total, more=len(rows) > FIRST_ROWS or result.has_more))
        if relation.segment in THROUGH and result.rows:
            further.append((relation, tuple(row.id for row in result.rows), result.has_more))
    for via, ids, cut in further:
        groups += through_groups(via, ids, cut, schemas, may_create=may_create)
    return groups


def through_groups(via: Relation, ids: tuple[str, ...], cut: bool, schemas, *, may_create: bool) -> list[Group]:
    """What points at the records `ids` of `via`'s type (a contact's identities): one query each, at once."""
    found = relations(schemas, via.segment)
    client = prism.client()
    calls = [partial(client.service(r.segment).query, r.query(ids, schemas)) for r in found]
    note = f"Through the first {len(ids)} {via.object_type.plural_label.lower()} only." if cut else ""
    groups = []
    for relation, heading, result in zip(found, headings(found, via), fan_out(calls), strict=True):
        # "New …" only when one record stands for this one: it is then the one to point at.
        create_url = relation.create_url(ids[0]) if may_create and len(ids) == 1 else None
        base = {"relation": relation, "heading": heading, "table_url": relation.table_url(ids), "create_url": create_url, "note": note}
        if isinstance(result, PrismError):
            groups.append(Group(**base, error=describe(result)))
            continue
        groups.append(Group(**base, rows=rows_of(result, relation, schemas), total=result.total, more=result.has_more))
    return groups


def rows_of(page: Page, relation: Relation, schemas: dict[str, prism.TypeSchema]) -> tuple[tuple[str, str], ...]:
    schema = schemas[relation.segment]
    return tuple((schema.title(row.properties, row.id), record_url(relation.segment, row.id)) for row in page.rows)

"""Record operations behind the endpoints: validation, writes, reads and their shapes."""

import hashlib
import uuid
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .chunks import chunks
from .errors import ApiError, bad_request, not_found, validation_error
from .grants import access_checker, visible_records
from .models import ApiKey, Record
from .query import equals, operand
from .schemas import Property, TypeSchema
from .values import InvalidValue, clean_write_value, format_datetime, parse_boolean, parse_number

SelectTree = dict[str, "SelectTree | None"]


# --- reading -------------------------------------------------------------------------


def select_tree(paths: list[str] | None) -> SelectTree | None:
    if paths is None:
        return None
    tree: SelectTree = {}
    for path in paths:
        node = tree
        parts = path.split(".")
        for i, part in enumerate(parts):
            if i == len(parts) - 1:
                node.setdefault(part, None)
            else:
                child = node.get(part)
                if child is None:
                    child = node[part] = {}
                node = child
    return tree


def _ref_ids(prop: Property, value: Any) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


class Expander:
    """Fills reference values with their targets' selected properties.

    One query per (target type, depth), never one per row. Only targets the key can
    read are expanded: a hidden one shows as a missing one does, its id alone.
    """

    def __init__(self, team_id, schemas: dict[str, TypeSchema], key: ApiKey, list_id: str | None = None) -> None:
        self.team_id = team_id
        self.schemas = schemas
        self.key = key
        self.list_id = list_id
        self.fetched: dict[str, Record] = {}

    def props_of(self, record: Record) -> dict[str, Any]:
        props = record.properties
        if self.list_id and self.list_id in (record.list_values or {}):
            props = {**props, **record.list_values[self.list_id]}
        return props

    def prefetch(self, segment: str, records: list[Record], tree: SelectTree | None) -> None:
        if not tree:
            return
        schema = self.schemas[segment]
        for slug, sub in tree.items():
            prop = schema.get(slug)
            if prop is None or prop.type != "reference" or not sub:
                continue
            wanted = {i for r in records for i in _ref_ids(prop, self.props_of(r).get(slug))} - set(self.fetched)
            targets = []
            if wanted:
                visible = visible_records(self.team_id, prop.target, self.key)
                targets = list(visible.filter(id__in=list(wanted), deleted_at__isnull=True))
                self.fetched.update({str(t.id): t for t in targets})
            known = [self.fetched[i] for r in records for i in _ref_ids(prop, self.props_of(r).get(slug)) if i in self.fetched]
            self.prefetch(prop.target, known, sub)

    def render(self, segment: str, record: Record, tree: SelectTree | None) -> dict[str, Any]:
        schema = self.schemas[segment]
        props = self.props_of(record)
        slugs = tree.keys() if tree is not None else [*props.keys(), "created_at", "updated_at", "deleted_at"]
        out: dict[str, Any] = {}
        for slug in slugs:
            if slug == "id":
                continue
            prop = schema.get(slug)
            if prop is None:
                continue
            if prop.system:
                when = getattr(record, slug)
                if when is not None or tree is not None:
                    out[slug] = format_datetime(when)
                continue
            value = props.get(slug)
            if prop.type == "reference" and value is not None:
                sub = tree.get(slug) if tree is not None else None
                refs = [self._reference(prop.target, i, sub) for i in _ref_ids(prop, value)]
                value = refs if prop.multiple else refs[0]
            out[slug] = value
        return out

    def _reference(self, target: str, ref_id: str, sub: SelectTree | None) -> dict[str, Any]:
        target_record = self.fetched.get(ref_id)
        properties = self.render(target, target_record, sub) if (sub and target_record) else {}
        return {"id": ref_id, "properties": properties}


def read_shape(record: Record, expander: Expander, tree: SelectTree | None = None) -> dict[str, Any]:
    expander.prefetch(record.segment, [record], tree)
    return {
        "id": str(record.id),
        "default": expander.render(record.segment, record, tree),
        "list": record.list_values or {},
    }


def row_shapes(records: list[Record], segment: str, expander: Expander, tree: SelectTree | None) -> list[dict]:
    expander.prefetch(segment, records, tree)
    return [
        {
            "id": str(r.id),
            "properties": expander.render(segment, r, tree),
            "is_user_object": r.is_user_object,
            "source": [r.source],
        }
        for r in records
    ]


# --- writing -----------------------------------------------------------------------


class References:
    """Which ids a write may reference: live records of the target type the key can read.

    A reference to a record the key cannot read is refused exactly as one to a missing
    id. Answers are remembered, so that an import looks up a whole chunk's ids at once
    (`prefetch`); ids not prefetched (list values) are looked up when met.
    """

    BATCH = 500  # ids per query, well under SQLite's parameter limit

    def __init__(self, team_id, key: ApiKey | None) -> None:
        self.team_id = team_id
        self.key = key
        self.known: dict[str, dict[str, bool]] = {}

    def prefetch(self, schema: TypeSchema, rows: list) -> None:
        wanted: dict[str, set[str]] = {}
        for row in rows:
            default = row.get("default") if isinstance(row, dict) else None
            if not isinstance(default, dict):
                continue
            for slug, raw in default.items():
                prop = schema.get(slug) if isinstance(slug, str) else None
                if prop is None or prop.type != "reference" or prop.read_only or raw is None:
                    continue
                try:
                    value = clean_write_value(prop, raw)
                except InvalidValue:
                    continue
                wanted.setdefault(prop.target, set()).update(value if isinstance(value, list) else [value])
        for target, ids in wanted.items():
            self.live(target, ids)

    def live(self, target: str, ids) -> set[str]:
        """Those of `ids` that the key may reference."""
        known = self.known.setdefault(target, {})
        missing = [i for i in ids if i not in known]
        visible = visible_records(self.team_id, target, self.key).filter(deleted_at__isnull=True)
        for batch in chunks(missing, self.BATCH):
            found = {str(i) for i in visible.filter(id__in=batch).values_list("id", flat=True)}
            known.update({i: i in found for i in batch})
        return {i for i in ids if known[i]}


def clean_properties(
    refs: References,
    schemas: dict[str, TypeSchema],
    segment: str,
    default: Any,
    *,
    current: dict[str, Any] | None = None,
    field_prefix: str = "",
) -> dict[str, Any]:
    """Validate a write and return the record's new properties (422 on any bad field).

    `refs` answers which referenced ids the writing key may name.
    """
    if default is None:
        default = {}
    if not isinstance(default, dict):
        raise bad_request("`default` must be an object of {slug: value}.", field="default")
    schema = schemas[segment]
    errors: dict[str, str] = {}
    result = dict(current or {})
    references: dict[str, list[tuple[str, str]]] = {}  # target type: [(field, id)]
    for slug, raw in default.items():
        name = f"{field_prefix}{slug}"
        prop = schema.get(slug) if isinstance(slug, str) else None
        if prop is None:
            errors[name] = f"Unknown property `{slug}` on {segment}."
            continue
        if prop.read_only:
            errors[name] = f"`{slug}` is read-only."
            continue
        try:
            value = clean_write_value(prop, raw)
        except InvalidValue as exc:
            errors[name] = str(exc)
            continue
        if value is None:
            result.pop(slug, None)
        else:
            result[slug] = value
            if prop.type == "reference":
                for ref in _ref_ids(prop, value):
                    references.setdefault(prop.target, []).append((name, ref))
    for target, refs_of_target in references.items():
        live = refs.live(target, {r for _, r in refs_of_target})
        for name, ref in refs_of_target:
            if ref not in live:
                errors.setdefault(name, f"No {target} with id {ref}.")
    for prop in schema.properties.values():
        if prop.required and result.get(prop.slug) is None:
            errors.setdefault(f"{field_prefix}{prop.slug}", f"`{prop.slug}` is required.")
    if errors:
        raise validation_error(errors)
    return result


def clean_list_values(refs: References, schemas, segment: str, raw: Any, current: dict | None = None) -> dict:
    if raw is None:
        return dict(current or {})
    if not isinstance(raw, dict):
        raise bad_request("`list` must be an object of {list_id: {slug: value}}.", field="list")
    result = {k: dict(v) for k, v in (current or {}).items()}
    errors: dict[str, str] = {}
    for list_id, values in raw.items():
        try:
            key = str(uuid.UUID(str(list_id)))
        except ValueError:
            errors[f"list.{list_id}"] = "List ids must be UUIDs."
            continue
        try:
            merged = _clean_partial(refs, schemas, segment, values, result.get(key, {}), f"list.{key}.")
        except ApiError as exc:
            errors.update(exc.details.get("fields", {}))
            continue
        result[key] = merged
    if errors:
        raise validation_error(errors)
    return result


def _clean_partial(refs: References, schemas, segment, values, current, prefix) -> dict:
    # List values are partial overlays: no required-property check.
    schema = schemas[segment]
    relaxed = TypeSchema(
        segment,
        {s: (Property(**{**p.__dict__, "required": False}) if p.required else p) for s, p in schema.properties.items()},
    )
    return clean_properties(refs, {**schemas, segment: relaxed}, segment, values, current=current, field_prefix=prefix)


def check_if_match(record: Record, if_match: str | None, expander: Expander) -> None:
    if if_match is None:
        return
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in candidates or record.etag in candidates:
        return
    raise ApiError(
        412,
        "precondition_failed",
        "The record changed since you read it (If-Match does not match its ETag).",
        {"current": read_shape(record, expander), "etag": record.etag},
        {"ETag": record.etag},
    )


def get_live(team_id, segment: str, record_id: str, *, lock: bool = False, deleted: bool = False) -> Record:
    try:
        pk = uuid.UUID(record_id)
    except ValueError:
        raise not_found(f"No {segment} with id {record_id}.") from None
    qs = Record.objects.filter(team_id=team_id, segment=segment, id=pk)
    if not deleted:
        qs = qs.filter(deleted_at__isnull=True)
    if lock:
        qs = qs.select_for_update()
    record = qs.first()
    if record is None:
        raise not_found(f"No {segment} with id {record_id}.")
    return record


def create_record(team_id, schemas, segment: str, body: dict, *, key: ApiKey, source: str = "api") -> Record:
    refs = References(team_id, key)
    props = clean_properties(refs, schemas, segment, body.get("default"))
    list_values = clean_list_values(refs, schemas, segment, body.get("list"))
    now = timezone.now()
    return Record.objects.create(
        team_id=team_id,
        segment=segment,
        properties=props,
        list_values=list_values,
        source=source,
        created_at=now,
        updated_at=now,
    )


def patch_record(team_id, schemas, record: Record, body: dict, *, key: ApiKey) -> Record:
    refs = References(team_id, key)
    props = clean_properties(refs, schemas, record.segment, body.get("default"), current=record.properties)
    list_values = clean_list_values(refs, schemas, record.segment, body.get("list"), record.list_values)
    if props != record.properties or list_values != record.list_values:
        record.properties = props
        record.list_values = list_values
        record.revision += 1
        record.updated_at = timezone.now()
        record.save(update_fields=["properties", "list_values", "revision", "updated_at"])
    return record


def soft_delete(record: Record) -> None:
    now = timezone.now()
    record.deleted_at = now
    record.updated_at = now
    record.revision += 1
    record.save(update_fields=["deleted_at", "updated_at", "revision"])


def restore(record: Record) -> Record:
    if record.deleted_at is not None:
        record.deleted_at = None
        record.updated_at = timezone.now()
        record.revision += 1
        record.save(update_fields=["deleted_at", "updated_at", "revision"])
    return record


def duplicate(record: Record) -> Record:
    now = timezone.now()
    return Record.objects.create(
        team_id=record.team_id,
        segment=record.segment,
        properties=dict(record.properties),
        list_values={k: dict(v) for k, v in (record.list_values or {}).items()},
        source=record.source,
        grant=record.grant,
        created_at=now,
        updated_at=now,
    )


def lookup_property(schema: TypeSchema, slug: str) -> Property:
    prop = schema.get(slug)
    if prop is None or prop.system:
        raise bad_request(f"Unknown property `{slug}` on {schema.segment}.", field="slug")
    return prop


def find_matches(base_qs, schema: TypeSchema, slug: str, value: str, limit: int = 2) -> list[Record]:
    prop = lookup_property(schema, slug)
    wanted = operand(prop, value, "=")
    return list(base_qs.filter(deleted_at__isnull=True).filter(equals(prop, wanted)).order_by("-created_at")[:limit])


def value_from_path(prop: Property, value: str) -> Any:
    """The typed value an upsert writes for the `/by/{slug}/{value}` path segment."""
    try:
        if prop.type == "number":
            return parse_number(value)
        if prop.type == "boolean":
            return parse_boolean(value)
        if prop.type == "multiselect" or (prop.type == "reference" and prop.multiple):
            return [value]
    except InvalidValue as exc:
        raise validation_error({prop.slug: str(exc)}) from None
    return value


def lock_value(team_id, segment: str, slug: str, value: str) -> None:
    """Serialise, until the transaction ends, every upsert of one value, so that two at once
    cannot both find no match and both create. SQLite's IMMEDIATE transactions already run
    writers one at a time; PostgreSQL's read committed does not, so it takes an advisory
    lock on the value (a 64-bit hash of it; a collision only makes two upserts wait)."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"{team_id}\0{segment}\0{slug}\0{value}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def upsert(team_id, schemas, key: ApiKey, segment: str, slug: str, value: str, body: dict) -> tuple[Record, bool]:
    """PUT /{t}/by/{slug}/{value}: patch the one readable match, or create (none readable)."""
    schema = schemas[segment]
    with transaction.atomic():
        lock_value(team_id, segment, slug, value)
        matches = find_matches(visible_records(team_id, segment, key), schema, slug, value)
        if len(matches) > 1:
            raise ApiError(409, "multiple_matches", f"Several {segment} records have {slug} = {value!r}; patch by id.")
        if matches:
            record = Record.objects.select_for_update().get(pk=matches[0].pk)
            access_checker(key, "w")(record)
            return patch_record(team_id, schemas, record, body, key=key), False
        prop = lookup_property(schema, slug)
        default = dict(body.get("default") or {}) if isinstance(body.get("default"), dict) else body.get("default")
        if isinstance(default, dict):
            default.setdefault(slug, value_from_path(prop, value))
        return create_record(team_id, schemas, segment, {**body, "default": default}, key=key), True

"""Grants on deals, actions, documents and events: who may read, write or administer.

A record without a grant is open to the whole team. Team-admin keys see and change
everything. Other keys get the highest level that the team entry, their user or one
of their groups holds: `r` read, `w` write, `a` administer (change the grant).
Not readable answers 404, so existence is not leaked; readable but not enough, 403.
"""

import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import BooleanField, F, Func

from .errors import ApiError, not_found, validation_error
from .models import ApiKey, Record
from .object_types import OBJECT_TYPES

LEVELS = {"r": 1, "w": 2, "a": 3}
NEED_WORDS = {"r": "read", "w": "change", "a": "change the permissions of"}
MAX_ENTRIES = 500


def open_grant(team_id) -> dict:
    """What 'no grant' means, written as a grant."""
    return {"team_id": {str(team_id): "a"}, "user_id": [], "team_group_id": []}


def _is_level(value: Any) -> bool:
    return isinstance(value, str) and value in LEVELS


def _canonical(ident: str) -> str:
    """A UUID in its lower-case form (keys store theirs so); any other id as given."""
    try:
        return str(uuid.UUID(ident))
    except ValueError:
        return ident


def clean_grant(team_id, body: Any) -> dict:
    """Validate a PUT body; returns the grant to store (422 on anything malformed)."""
    errors: dict[str, str] = {}
    if not isinstance(body, dict):
        raise validation_error({"grant": "The grant must be an object."})
    for key in body:
        if key not in ("team_id", "user_id", "team_group_id"):
            errors[str(key)] = "Unknown grant field; use team_id, user_id and team_group_id."
    team_entry = body.get("team_id")
    if team_entry is None:
        team_entry = {}
    grant: dict[str, Any] = {"team_id": {}, "user_id": [], "team_group_id": []}
    if not isinstance(team_entry, dict) or len(team_entry) > 1:
        errors["team_id"] = "team_id must be an object with at most one entry {teamId: level}."
    elif team_entry:
        ((tid, level),) = team_entry.items()
        if _canonical(tid) != str(team_id):
            errors["team_id"] = "team_id must name this team."
        elif not _is_level(level):
            errors["team_id"] = f"Unknown level {level!r}; use r, w or a."
        else:
            grant["team_id"] = {str(team_id): level}
    for name in ("user_id", "team_group_id"):
        entries = body.get(name)
        if entries is None:
            entries = []
        if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
            errors[name] = f"{name} must be a list of at most {MAX_ENTRIES} {{id: level}} objects."
            continue
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            where = f"{name}[{i}]"
            if not isinstance(entry, dict) or len(entry) != 1:
                errors[where] = "Each entry must be an object with exactly one {id: level}."
                continue
            ((ident, level),) = entry.items()
            if not isinstance(ident, str) or not ident.strip() or len(ident) > 128:
                errors[where] = "Ids are non-empty strings of at most 128 characters."
                continue
            ident = _canonical(ident)  # a key's user and group ids are stored lower-case
            if not _is_level(level):
                errors[where] = f"Unknown level {level!r}; use r, w or a."
            elif ident in seen:
                errors[where] = f"{ident} is listed twice."
            else:
                seen.add(ident)
                grant[name].append({ident: level})
    if errors:
        raise validation_error(errors, "The grant is not valid.")
    return grant


def level(record: Record, key: ApiKey | None) -> int:
    if key is not None and key.is_admin:
        return LEVELS["a"]
    grant = record.grant
    if grant is None:
        return LEVELS["a"]
    best = LEVELS.get((grant.get("team_id") or {}).get(str(record.team_id)), 0)
    if key is not None:
        user = str(key.user_id)
        groups = set(key.group_ids or ())
        for entry in grant.get("user_id") or ():
            best = max(best, LEVELS.get(entry.get(user), 0))
        for entry in grant.get("team_group_id") or ():
            for gid, lvl in entry.items():
                if gid in groups:
                    best = max(best, LEVELS.get(lvl, 0))
    return best


def access_checker(key: ApiKey | None, need: str) -> Callable[[Record], None]:
    def check(record: Record) -> None:
        have = level(record, key)
        if have < LEVELS["r"]:
            raise not_found(f"No {record.segment} with id {record.id}.")
        if have < LEVELS[need]:
            raise ApiError(403, "forbidden", f"This key may not {NEED_WORDS[need]} this {record.segment}.")

    return check


class GrantReadable(Func):
    """SQL: the key can read the record (no grant, or an entry for its team, user or groups).

    The ids are written into the SQL as literals; they are UUIDs (checked here). Without
    a user (an import job whose key was deleted) only the team entry counts.
    """

    output_field = BooleanField()

    def __init__(self, team_id, user_id, group_ids) -> None:
        self.team = str(uuid.UUID(str(team_id)))
        self.users = [str(uuid.UUID(str(user_id)))] if user_id is not None else []
        self.groups = [str(uuid.UUID(str(g))) for g in group_ids]
        super().__init__(F("grant"))

    def as_sqlite(self, compiler, connection, **extra_context):
        col, params = compiler.compile(self.source_expressions[0])

        def listed(path: str, ids: list[str]) -> str:
            if not ids:
                return "0"
            has = " OR ".join(f"json_extract(j.value, '$.\"{i}\"') IS NOT NULL" for i in ids)
            return f"EXISTS (SELECT 1 FROM json_each({col}, '$.{path}') AS j WHERE {has})"

        sql = (
            f"({col} IS NULL OR json_extract({col}, '$.team_id.\"{self.team}\"') IS NOT NULL"
            f" OR {listed('user_id', self.users)} OR {listed('team_group_id', self.groups)})"
        )
        return sql, params

    def as_postgresql(self, compiler, connection, **extra_context):
        col, params = compiler.compile(self.source_expressions[0])

        def listed(path: str, ids: list[str]) -> str:
            if not ids:
                return "FALSE"
            has = " OR ".join(f"j.value ? '{i}'" for i in ids)
            return f"EXISTS (SELECT 1 FROM jsonb_array_elements(COALESCE({col} -> '{path}', '[]'::jsonb)) AS j WHERE {has})"

        sql = (
            f"({col} IS NULL OR ({col} -> 'team_id') ? '{self.team}'"
            f" OR {listed('user_id', self.users)} OR {listed('team_group_id', self.groups)})"
        )
        return sql, params


def visible_records(team_id, segment: str, key: ApiKey | None):
    """The team's records of `segment` (deleted ones too) that `key` can read.

    Every read goes through here (lists, counts, lookups, expanded references, the
    references a write may name, import dedupe), so what a grant hides is hidden
    everywhere alike; key None is what the team entry allows (see `level`).
    """
    queryset = Record.objects.filter(team_id=team_id, segment=segment)
    if not OBJECT_TYPES[segment].has_grant or (key is not None and key.is_admin):
        return queryset
    if key is None:
        return queryset.filter(GrantReadable(team_id, None, ()))
    return queryset.filter(GrantReadable(key.team_id, key.user_id, key.group_ids))

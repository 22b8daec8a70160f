"""Grants as people read them: levels, names from the directory, a one-sentence summary."""

from dataclasses import dataclass

from prism_client import Grant

from .models import DirectoryEntry

LEVEL_LABELS = {"": "No access", "r": "Can read", "w": "Can read and write", "a": "Can administer (change permissions)"}
LEVELS = ("r", "w", "a")
MAX_ROWS = 100


@dataclass(frozen=True)
class GrantRow:
    kind: str  # "user" | "group"
    id: str
    level: str
    name: str = ""


def directory_names() -> dict[tuple[str, str], str]:
    return {(e.kind, e.external_id): e.name for e in DirectoryEntry.objects.all()}


def rows_of(grant: Grant, names: dict[tuple[str, str], str] | None = None) -> list[GrantRow]:
    names = names if names is not None else directory_names()
    rows = [GrantRow("user", uid, level, names.get(("user", uid), "")) for uid, level in grant.users.items()]
    rows += [GrantRow("group", gid, level, names.get(("group", gid), "")) for gid, level in grant.groups.items()]
    return rows


def team_level(grant: Grant, team_id: str) -> str:
    return grant.team.get(team_id, "")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary(grant: Grant, team_id: str) -> str:
    """E.g. "Everyone in the team can read; 2 people can write; 1 group administers"."""
    parts = []
    team = team_level(grant, team_id)
    parts.append(
        {
            "": "Only the people and groups below have access",
            "r": "Everyone in the team can read",
            "w": "Everyone in the team can write",
            "a": "Everyone in the team can administer",
        }[team]
    )
    for level, verb_one, verb_many in (("r", "can read", "can read"), ("w", "can write", "can write"), ("a", "administers", "administer")):
        people = sum(1 for v in grant.users.values() if v == level)
        groups = sum(1 for v in grant.groups.values() if v == level)
        if people:
            parts.append(f"{_count(people, 'person', 'people')} {verb_one if people == 1 else verb_many}")
        if groups:
            parts.append(f"{_count(groups, 'group', 'groups')} {verb_one if groups == 1 else verb_many}")
    if not grant.users and not grant.groups and team == "":
        return "Nobody but team admins can see this record"
    return "; ".join(parts)


class GrantInputError(ValueError):
    pass


def grant_from_form(data, team_id: str) -> Grant:
    """The grant described by the permissions form (team level + rows of kind/id/level)."""
    team = data.get("team_level", "")
    if team not in ("", *LEVELS):
        raise GrantInputError("Choose the team's access.")
    names = {(e.kind, e.name.casefold()): e.external_id for e in DirectoryEntry.objects.all()}
    users: dict[str, str] = {}
    groups: dict[str, str] = {}
    kinds, whos, levels = data.getlist("kind"), data.getlist("who"), data.getlist("level")
    if len(kinds) > MAX_ROWS:
        raise GrantInputError(f"At most {MAX_ROWS} rows.")
    for kind, who, level in zip(kinds, whos, levels, strict=False):
        who = who.strip()
        if not who:
            continue  # an empty row the person did not fill
        if kind not in ("user", "group"):
            raise GrantInputError("Each row is a user or a group.")
        if level not in LEVELS:
            raise GrantInputError(f"Choose an access level for {who}.")
        ident = names.get((kind, who.casefold()), who)  # a directory name, or the id itself
        if len(ident) > 128:
            raise GrantInputError(f"“{who[:40]}…” is not an id.")
        target = users if kind == "user" else groups
        if ident in target:
            raise GrantInputError(f"{who} is listed twice.")
        target[ident] = level
    return Grant(team={team_id: team} if team else {}, users=users, groups=groups)

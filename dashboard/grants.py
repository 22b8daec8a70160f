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


ACCESS_WORDS = {"": "No access", "r": "Read", "w": "Write", "a": "Admin"}


@dataclass(frozen=True)
class PersonAccess:
    """One person's effective access to a record, and why."""

    person: DirectoryEntry
    level: str  # "" | "r" | "w" | "a"
    reasons: tuple[str, ...]

    @property
    def label(self) -> str:
        return ACCESS_WORDS[self.level]


def _rank(level: str) -> int:
    return ("", *LEVELS).index(level)


def access_of(grant: Grant, team_id: str, person: DirectoryEntry, groups: list[DirectoryEntry]) -> PersonAccess:
    """The highest level any source gives the person (the API's rule), with every source
    that gives it: team-wide, directly, through a group, or as a team admin."""
    sources: list[tuple[str, str]] = []
    if person.team_admin:
        sources.append(("a", "as a team admin"))
    if team := team_level(grant, team_id):
        sources.append((team, "team-wide"))
    if direct := grant.users.get(person.external_id):
        sources.append((direct, "directly"))
    for group in groups:
        if level := grant.groups.get(group.external_id):
            sources.append((level, f"through group {group.name}"))
    best = max((level for level, _ in sources), key=_rank, default="")
    return PersonAccess(person, best, tuple(why for level, why in sources if level == best))


def who_has_access(grant: Grant, team_id: str) -> list[PersonAccess]:
    """Every person in the directory, most access first."""
    people = DirectoryEntry.objects.filter(kind=DirectoryEntry.Kind.USER).select_related("user").prefetch_related("groups")
    rows = [access_of(grant, team_id, p, list(p.groups.all())) for p in people]
    return sorted(rows, key=lambda a: (-_rank(a.level), a.person.name.casefold()))


def my_access(grant: Grant, team_id: str, user) -> PersonAccess | None:
    """The signed-in person's access to a record with this grant, or None when the
    directory does not say who they are in Prism."""
    person = DirectoryEntry.objects.filter(user=user, kind=DirectoryEntry.Kind.USER).prefetch_related("groups").first()
    if person is None:
        return None
    return access_of(grant, team_id, person, list(person.groups.all()))


def read_only_sentence(access: PersonAccess, label: str) -> str:
    why = f" ({'; '.join(access.reasons)})" if access.reasons else ""
    return f"You can read this {label} but not change it: Prism gives you read access{why}."


def editor_context(grant: Grant, team_id: str) -> dict:
    """What the grant editor (partials/grant_editor.html) shows: rows, team level, directory names."""
    return {
        "grant_rows": rows_of(grant),
        "team_level": team_level(grant, team_id),
        "level_labels": LEVEL_LABELS,
        "levels": [(lv, LEVEL_LABELS[lv]) for lv in LEVELS],
        "directory_users": DirectoryEntry.objects.filter(kind=DirectoryEntry.Kind.USER),
        "directory_groups": DirectoryEntry.objects.filter(kind=DirectoryEntry.Kind.GROUP),
    }

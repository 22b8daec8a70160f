"""Who has a record open right now: "Ana is editing this record", "Ana is viewing".

Presence lives in Django's cache (Redis in production), which every dashboard instance
shares; never in a process's memory. A record's entry maps each person to their name,
what they are doing (viewing or editing) and when their page last said so (a heartbeat).
A person stops counting PRESENCE_TTL seconds after their last heartbeat, so a page that
closed without saying goodbye disappears within that time; a page that does say so
(navigator.sendBeacon on page hide) disappears at once.

Presence is advice, never a lock: it warns before a conflict, and nobody waits on it.
Two heartbeats for the same record at the same instant can both read the entry and the
later write drop the other's: the dropped person comes back on their next heartbeat
(PRESENCE_HEARTBEAT seconds), which keeps the store this simple.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

VIEWING = "viewing"
EDITING = "editing"
MODES = (VIEWING, EDITING)


@dataclass(frozen=True)
class Present:
    user_id: int
    name: str
    mode: str

    @property
    def sentence(self) -> str:
        return f"{self.name} is editing this record" if self.mode == EDITING else f"{self.name} is viewing this record"


def ttl() -> int:
    return int(settings.PRESENCE_TTL)


def key(segment: str, record_id: str) -> str:
    # Per team: two teams' records never share an entry (ids are UUIDs, the team is cheap to add).
    return f"presence:{settings.MICRO_TEAM_ID}:{segment}:{record_id}"


def display_name(user) -> str:
    """The name the dashboard shows for a person (the top bar, the audit trail, the conflict screen)."""
    return user.get_username()


def live(entry: dict | None, now: float, max_age: float) -> dict:
    """The people of a stored entry whose last heartbeat is at most `max_age` seconds old."""
    return {uid: seen for uid, seen in (entry or {}).items() if now - seen[2] <= max_age}


def beat(segment: str, record_id: str, user, mode: str, *, now: float | None = None) -> None:
    """Record that `user` has the record open (`mode`: viewing or editing) now."""
    now = time.time() if now is None else now
    mode = mode if mode in MODES else VIEWING
    k = key(segment, record_id)
    entry = live(cache.get(k), now, ttl())
    entry[user.pk] = (display_name(user), mode, now)
    cache.set(k, entry, ttl())  # the entry goes with its last person


def leave(segment: str, record_id: str, user, *, now: float | None = None) -> None:
    """`user` closed the record (their page was hidden or left)."""
    now = time.time() if now is None else now
    k = key(segment, record_id)
    entry = live(cache.get(k), now, ttl())
    if entry.pop(user.pk, None) is None:
        return
    if entry:
        cache.set(k, entry, ttl())
    else:
        cache.delete(k)


def others(segment: str, record_id: str, user, *, now: float | None = None) -> list[Present]:
    """Everyone else who has the record open now, editors first, then by name."""
    now = time.time() if now is None else now
    return people(cache.get(key(segment, record_id)), user, now)


def people(entry: dict | None, user, now: float) -> list[Present]:
    found = [Present(uid, name, mode) for uid, (name, mode, _) in live(entry, now, ttl()).items() if uid != user.pk]
    return sorted(found, key=lambda p: (p.mode != EDITING, p.name))


def editing_rows(segment: str, record_ids: Iterable[str], user, *, now: float | None = None) -> dict[str, list[Present]]:
    """record id -> the other people editing it, for a table's rows: one cache get_many, no API call."""
    now = time.time() if now is None else now
    keys = {key(segment, rid): rid for rid in record_ids}
    if not keys:
        return {}
    found = cache.get_many(list(keys))
    marked = {}
    for k, entry in found.items():
        editors = [p for p in people(entry, user, now) if p.mode == EDITING]
        if editors:
            marked[keys[k]] = editors
    return marked


def sentence(present: list[Present]) -> str:
    """One line for several people: "Ana is editing this record", "Ana and Bo are editing this record"."""
    if not present:
        return ""
    if len(present) == 1:
        return present[0].sentence
    names = [p.name for p in present]
    return f"{', '.join(names[:-1])} and {names[-1]} are {present[0].mode} this record"

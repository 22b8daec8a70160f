"""Fill a sandbox team with realistic, linked demo records of every type.

Names and companies come from Faker, drawn once into pools and then combined at
random: calling Faker per row would dominate the run at a million contacts.
Rows go in with bulk inserts inside one transaction per batch.

A few records carry grants for the demo people of prism_sandbox.demo (a deal only
Ada may see, one the Sales group may read, an action that references the first), so
that a demo can show what each person's key sees.
"""

import datetime as dt
import functools
import random
import time
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from faker import Faker

from prism_sandbox import demo
from prism_sandbox.chunks import chunks
from prism_sandbox.grants import clean_grant
from prism_sandbox.models import Record
from prism_sandbox.object_types import OBJECT_TYPES
from prism_sandbox.teams import provision_team
from prism_sandbox.values import format_datetime

BATCH = 5_000


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def plan(size: int) -> dict[str, int]:
    """How many records of each type go with `size` contacts."""
    return {
        "organization": _clamp(size // 20, 5, 20_000),
        "identity": _clamp(size // 50, 5, 5_000),
        "contact": size,
        "deal": _clamp(size // 4, 5, 50_000),
        "action": _clamp(size // 10, 5, 20_000),
        "document": _clamp(size // 10, 5, 20_000),
        "event": _clamp(size // 10, 5, 20_000),
    }


@functools.cache
def _pools(seed: int) -> dict[str, tuple[str, ...]]:
    """The Faker pools for a seed. Drawing them takes longer than seeding a small team
    (the test suite seeds hundreds), and a seed always draws the same: kept per process."""
    fake = Faker()
    fake.seed_instance(seed)
    return {
        "first_names": tuple(sorted({fake.first_name() for _ in range(600)})),
        "last_names": tuple(sorted({fake.last_name() for _ in range(600)})),
        "companies": tuple(sorted({fake.company() for _ in range(800)})),
        "jobs": tuple(sorted({fake.job()[:60] for _ in range(200)})),
        "words": tuple(fake.word() for _ in range(400)),
        "sentences": tuple(fake.sentence(nb_words=12) for _ in range(300)),
    }


class Seeder:
    def __init__(self, team_id: uuid.UUID, seed: int, now: dt.datetime) -> None:
        self.team_id = team_id
        self.rng = random.Random(seed)
        pools = _pools(seed)
        self.first_names = pools["first_names"]
        self.last_names = pools["last_names"]
        self.companies = pools["companies"]
        self.jobs = pools["jobs"]
        self.words = pools["words"]
        self.sentences = pools["sentences"]
        self.now = now
        self.ids: dict[str, list[str]] = {}

    def _created(self, i: int, n: int) -> dt.datetime:
        # Spread over the last two years, in insertion order, one distinct instant each.
        span = dt.timedelta(days=730)
        return self.now - span + span * (i + 1) / (n + 1)

    def _sentence(self) -> str:
        return self.rng.choice(self.sentences)

    def _person(self, i: int) -> tuple[str, str, str]:
        first = self.rng.choice(self.first_names)
        last = self.rng.choice(self.last_names)
        domain = self.rng.choice(("example.com", "example.org", "example.net", "mail.test"))
        return first, last, f"{first}.{last}.{i}@{domain}".lower()

    def properties(self, segment: str, i: int) -> dict:
        r = self.rng
        ids = self.ids
        if segment == "organization":
            name = f"{r.choice(self.companies)}" + (f" {i}" if i >= len(self.companies) else "")
            slug = "".join(ch for ch in name.lower() if ch.isalnum())[:30]
            return {
                "name": name,
                "domain": f"{slug}.example.com",
                "website": f"https://{slug}.example.com",
                "industry": r.choice(["software", "finance", "healthcare", "retail", "manufacturing", "education"]),
                "employees": r.choice([5, 12, 40, 85, 150, 400, 1200, 5000]) + r.randint(0, 9),
            }
        if segment == "identity":
            first, last, email = self._person(i)
            return {"name": f"{first} {last}", "email": email}
        if segment == "contact":
            first, last, email = self._person(i)
            props = {
                "first_name": first,
                "last_name": last,
                "email": email,
                "status": r.choices(["lead", "customer", "churned"], weights=[5, 4, 1])[0],
                "score": r.randint(0, 100),
                "is_vip": r.random() < 0.08,
            }
            if r.random() < 0.7:
                props["phone"] = f"+1 555 {r.randint(100, 999)} {r.randint(1000, 9999)}"
            if r.random() < 0.6:
                props["title"] = r.choice(self.jobs)
            tags = [t for t in ("vip", "partner", "newsletter") if r.random() < 0.25]
            if tags:
                props["tags"] = tags
            if r.random() < 0.5:
                props["birthday"] = dt.date(r.randint(1950, 2004), r.randint(1, 12), r.randint(1, 28)).isoformat()
            if r.random() < 0.85:
                props["organization"] = r.choice(ids["organization"])
            if r.random() < 0.2:
                props["notes"] = self._sentence()
            return props
        if segment == "deal":
            close = self.now.date() + dt.timedelta(days=r.randint(-300, 200))
            return {
                "name": f"{r.choice(self.words).title()} {r.choice(['renewal', 'expansion', 'pilot', 'licence', 'onboarding'])}",
                "amount": r.randint(5, 500) * 100,
                "stage": r.choices(["prospect", "qualified", "proposal", "won", "lost"], weights=[4, 3, 2, 2, 1])[0],
                "close_date": close.isoformat(),
                "organization": r.choice(ids["organization"]),
                "owner": r.choice(ids["identity"]),
            }
        if segment == "action":
            return {
                "title": f"{r.choice(['Call', 'Email', 'Meet', 'Follow up with', 'Send proposal to'])} {r.choice(self.first_names)}",
                "done": r.random() < 0.4,
                "due_date": (self.now.date() + dt.timedelta(days=r.randint(-60, 60))).isoformat(),
                "deal": r.choice(ids["deal"]),
                "assignee": r.choice(ids["identity"]),
            }
        if segment == "document":
            word = r.choice(self.words)
            return {
                "title": f"{word.title()} {r.choice(['proposal', 'contract', 'brief', 'notes', 'deck'])}",
                "url": f"https://docs.example.com/{word}-{i}",
                "summary": self._sentence(),
                "deal": r.choice(ids["deal"]),
            }
        if segment == "event":
            start = self.now + dt.timedelta(hours=r.randint(-24 * 90, 24 * 60))
            return {
                "title": f"{r.choice(['Intro call', 'Demo', 'Quarterly review', 'Workshop', 'Lunch'])} with {r.choice(self.last_names)}",
                "starts_at": format_datetime(start),
                "ends_at": format_datetime(start + dt.timedelta(minutes=r.choice([30, 45, 60, 90]))),
                "attendee": r.choice(ids["identity"]),
            }
        raise ValueError(segment)

    def insert(self, segment: str, count: int, progress) -> None:
        made: list[str] = []
        for indices in chunks(range(count), BATCH):
            batch = []
            for i in indices:
                rid = uuid.UUID(int=self.rng.getrandbits(128), version=4)
                created = self._created(i, count)
                batch.append(
                    Record(
                        id=rid,
                        team_id=self.team_id,
                        segment=segment,
                        properties=self.properties(segment, i),
                        source="demo",
                        is_user_object=segment == "identity" and i < 3,
                        created_at=created,
                        updated_at=created,
                    )
                )
                made.append(str(rid))
            with transaction.atomic():
                Record.objects.bulk_create(batch, batch_size=1000)
            progress(segment, indices[-1] + 1, count)
        self.ids[segment] = made

    def link_identities_to_contacts(self) -> None:
        # Identities are created before the contacts they point at: link some now.
        contacts = self.ids.get("contact", [])
        if not contacts:
            return
        records = list(Record.objects.filter(id__in=self.ids["identity"][:500]))
        for record in records:
            record.properties = {**record.properties, "contact": self.rng.choice(contacts)}
        Record.objects.bulk_update(records, ["properties"], batch_size=500)


def restricted_records(team_id: uuid.UUID, now: dt.datetime) -> list[Record]:
    """The demo records with grants, with ids fixed per team (so they are made once).

    Grants are stored as PUT /{t}/{id}/grant stores them (clean_grant).
    """
    ada, eddie, sales = demo.ADA.prism_user_id, demo.EDDIE.prism_user_id, demo.SALES.id
    close = (now.date() + dt.timedelta(days=45)).isoformat()

    def record(segment: str, props: dict, grant: dict | None) -> Record:
        title = props[OBJECT_TYPES[segment].title_slug]
        return Record(
            id=uuid.uuid5(team_id, f"prism-sandbox-demo:{segment}:{title}"),
            team_id=team_id,
            segment=segment,
            properties=props,
            grant=clean_grant(team_id, grant) if grant is not None else None,
            source="demo",
            created_at=now,
            updated_at=now,
        )

    # No team entry: nobody but Ada (and team-admin keys) can read it.
    board_only = record(
        "deal",
        {"name": demo.BOARD_ONLY_DEAL, "amount": 2_500_000, "stage": "proposal", "close_date": close},
        {"user_id": [{ada: "a"}]},
    )
    pipeline = record(
        "deal",
        {"name": "Sales pipeline review", "amount": 120_000, "stage": "qualified", "close_date": close},
        {"user_id": [{ada: "a"}, {eddie: "w"}], "team_group_id": [{sales: "r"}]},
    )
    # Team-visible, but its deal is not: the reference must not give the deal away.
    briefing = record(
        "action",
        {"title": "Prepare the merger briefing", "done": False, "due_date": close, "deal": str(board_only.id)},
        None,
    )
    return [board_only, pipeline, briefing]


def seed_restricted(team_id: uuid.UUID, now: dt.datetime) -> int:
    """Insert the restricted demo records this team lacks; returns how many."""
    records = restricted_records(team_id, now)
    have = set(Record.objects.filter(id__in=[r.id for r in records]).values_list("id", flat=True))
    missing = [r for r in records if r.id not in have]
    Record.objects.bulk_create(missing)
    return len(missing)


class Command(BaseCommand):
    help = "Seed a sandbox team with realistic demo records of every type (bulk inserts)."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=200, help="Number of contacts (other types scale with it).")
        parser.add_argument("--team", default=None, help="Team id; defaults to MICRO_TEAM_ID.")
        parser.add_argument("--seed", type=int, default=42, help="Random seed, for repeatable data.")
        parser.add_argument("--reset", action="store_true", help="Delete the team's records first.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the team already has records.")

    def handle(self, *args, size, team, seed, reset, if_empty, **options):
        team = team or settings.MICRO_TEAM_ID
        if not team:
            raise CommandError("Give --team or set MICRO_TEAM_ID.")
        if size < 1:
            raise CommandError("--size must be at least 1.")
        try:
            team_id = uuid.UUID(team)
        except ValueError:
            raise CommandError(f"Team id {team!r} is not a UUID.") from None
        provision_team(team_id, "Demo team")
        existing = Record.objects.filter(team_id=team_id)
        if reset:
            existing.delete()
        elif if_empty and existing.exists():
            self.stdout.write("The team already has records; nothing seeded.")
            return
        started = time.perf_counter()
        seeder = Seeder(team_id, seed, timezone.now())
        counts = plan(size)
        last_report = [0.0]

        def progress(segment: str, done: int, total: int) -> None:
            now = time.perf_counter()
            if done == total or now - last_report[0] > 5:
                last_report[0] = now
                self.stdout.write(f"  {segment}: {done:,}/{total:,}")

        for segment, count in counts.items():
            seeder.insert(segment, count, progress)
        seeder.link_identities_to_contacts()
        restricted = seed_restricted(team_id, seeder.now)
        self.stdout.write(f"  records with grants for the demo people: {restricted}")
        if connection.vendor in ("sqlite", "postgresql"):
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        total = sum(counts.values()) + restricted
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Seeded {total:,} records in {elapsed:.1f}s ({total / elapsed:,.0f} records/s)."))

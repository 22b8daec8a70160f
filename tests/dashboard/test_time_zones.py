"""A person's time zone: detected once by the browser, kept in the profile, chosen on the
profile page, and the one every date and time of their pages is shown in."""

import datetime as dt
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone

from dashboard.board import changed_meanwhile_sentence
from dashboard.models import AuditEntry, Profile
from dashboard.prism import TypeSchema
from dashboard.property_types import BadValue, for_property
from dashboard.record_forms import RecordForm, initial_from
from prism_client import PropertyDefinition, PropertyOption, Record
from prism_sandbox.models import PropertyDefinition as SandboxProperty
from prism_sandbox.schemas import clear_schema_cache

from .forms_html import form_values


def zone(user) -> str:
    return Profile.objects.filter(user=user).values_list("time_zone", flat=True).first() or ""


def test_the_browsers_zone_is_kept_once_and_never_replaces_a_kept_one(viewer_client):
    user = viewer_client.get("/me/").wsgi_request.user
    page = viewer_client.get("/me/").content.decode()
    assert 'data-time-zone-url="/me/time-zone/"' in page  # unknown yet: the page asks the browser

    detected = viewer_client.post("/me/time-zone/", {"time_zone": "Asia/Tokyo", "detected": "1"})
    assert detected.json() == {"kept": True, "time_zone": "Asia/Tokyo"} and zone(user) == "Asia/Tokyo"
    assert "data-time-zone-url" not in viewer_client.get("/me/").content.decode()

    again = viewer_client.post("/me/time-zone/", {"time_zone": "America/Lima", "detected": "1"})
    assert again.json() == {"kept": False, "time_zone": "Asia/Tokyo"} and zone(user) == "Asia/Tokyo"


def test_the_profile_page_changes_the_zone_and_refuses_what_is_not_one(viewer_client):
    user = viewer_client.get("/me/").wsgi_request.user
    chosen = viewer_client.post("/me/time-zone/", {"time_zone": "Europe/Paris"}, follow=True)
    assert "Dates and times now show in Europe/Paris." in unescape(chosen.content.decode())
    assert zone(user) == "Europe/Paris"
    assert re.search(r"<option selected>Europe/Paris</option>", chosen.content.decode())

    bad = viewer_client.post("/me/time-zone/", {"time_zone": "Mars/Olympus_Mons"}, follow=True)
    assert bad.status_code == 200
    assert "“Mars/Olympus_Mons” is not a time zone; choose one from the list." in unescape(bad.content.decode())
    assert zone(user) == "Europe/Paris"
    detected_bad = viewer_client.post("/me/time-zone/", {"time_zone": "<script>", "detected": "1"})
    assert detected_bad.json()["kept"] is False


def test_pages_show_times_in_the_persons_zone(viewer_client, prism):
    viewer_client.post("/me/time-zone/", {"time_zone": "Asia/Kolkata"})
    record = prism.request("POST", "contact", json={"default": {"first_name": "Zoe", "last_name": "Zone"}}).json()
    html = viewer_client.get(f"/records/contact/{record['id']}/").content.decode()
    # Shown as a relative time; the exact time, on hover and focus, in the person's zone.
    assert re.search(r'<time class="when" datetime="[^"]+Z" title="[A-Z][a-z]{2} \d+, \d{4}, \d\d:\d\d IST"', html)


# --- datetimes are edited and filtered in the person's zone, sent in UTC ---------------------------

WHEN = PropertyDefinition("starts_at", "Starts at", "datetime")
EVENT = TypeSchema("event", (PropertyDefinition("title", "Title", "text"), WHEN))


@pytest.mark.parametrize(
    ("typed", "wire"),
    [
        ("2026-07-01T12:00", "2026-07-01T10:00:00Z"),  # summer: Berlin is UTC+2
        ("2026-01-15T12:00:30", "2026-01-15T11:00:30Z"),  # winter: UTC+1
        ("2026-07-01T12:00:00Z", "2026-07-01T12:00:00Z"),  # a time with its zone is that time
    ],
)
def test_a_filters_time_is_the_persons_and_is_shown_back_in_their_zone(typed, wire):
    kind = for_property(WHEN)
    with timezone.override("Europe/Berlin"):
        assert kind.filter_value(typed) == wire
        assert kind.filter_value(kind.filter_input_value(wire)) == wire  # shown, then sent again: unchanged
    with timezone.override("UTC"):
        assert kind.filter_input_value("2026-07-01T10:00:00Z") == "2026-07-01T10:00"


def test_a_filter_time_utc_cannot_hold_is_a_sentence():
    with timezone.override("Asia/Tokyo"), pytest.raises(BadValue, match="outside the years 1 to 9999"):
        for_property(WHEN).filter_value("0001-01-01T03:00")


def test_the_form_shows_and_takes_times_in_the_persons_zone():
    with timezone.override("Europe/Berlin"):
        shown = RecordForm(EVENT, initial=initial_from({"starts_at": "2026-07-01T10:00:00Z"}, EVENT))
        assert 'value="2026-07-01T12:00:00"' in str(shown["starts_at"])
        assert shown.fields["starts_at"].help_text == "Time zone: Europe/Berlin"

        untouched = RecordForm(EVENT, data={"title": "Launch", "starts_at": "2026-07-01T12:00:00"})
        assert untouched.is_valid(), untouched.errors
        assert untouched.values()["starts_at"] == "2026-07-01T10:00:00Z"  # saving it untouched changes nothing

        skipped = RecordForm(EVENT, data={"title": "Launch", "starts_at": "2026-03-29T02:30:00"})  # clocks go 2:00 → 3:00
        assert not skipped.is_valid() and "Europe/Berlin" in skipped.errors["starts_at"][0]
    with timezone.override("Asia/Tokyo"):
        too_early = RecordForm(EVENT, data={"title": "Launch", "starts_at": "0001-01-01T03:00:00"})
        assert not too_early.is_valid() and "outside the years 1 to 9999" in too_early.errors["starts_at"][0]


def test_a_time_the_persons_zone_cannot_show_is_left_as_sent():
    with timezone.override("America/New_York"):
        assert not for_property(WHEN).fits("0001-01-01T00:00:00Z")  # would be the year 0 there
        assert for_property(WHEN).fits("2026-07-01T10:00:00Z")


@pytest.fixture
def follow_up_at(prism):
    """A contact datetime a person can write: the default schema's datetimes are all
    read-only (events cannot be written), so the team gets one of its own."""
    SandboxProperty.objects.create(
        team_id=prism.team_id, segment="contact", slug="follow_up_at", name="Follow up at", type="datetime", position=99
    )
    clear_schema_cache()
    cache.clear()  # the dashboard's cached schema
    yield "follow_up_at"
    clear_schema_cache()
    cache.clear()


def test_a_contacts_follow_up_time_is_edited_in_the_persons_zone(editor_client, prism, follow_up_at):
    editor_client.post("/me/time-zone/", {"time_zone": "Europe/Berlin"})
    created = prism.request("POST", "contact", json={"default": {"first_name": "Ada", follow_up_at: "2026-07-01T10:00:00Z"}})
    record_id = created.json()["id"]
    page = editor_client.get(f"/records/contact/{record_id}/edit/").content.decode()
    assert re.search(r'name="follow_up_at" value="2026-07-01T12:00:00"', page) and "Time zone: Europe/Berlin" in page

    data = form_values(page, "record-form")
    data[follow_up_at] = ["2026-07-01T13:30:00"]
    saved = editor_client.post(f"/records/contact/{record_id}/edit/", data)
    assert saved.status_code == 302, unescape(saved.content.decode())[:2000]
    assert prism.request("GET", f"contact/{record_id}").json()["default"][follow_up_at] == "2026-07-01T11:30:00.000Z"


def test_who_changed_a_record_meanwhile_is_told_at_a_time_in_the_persons_zone():
    stage = PropertyDefinition("stage", "Stage", "select", options=(PropertyOption(id="o1", slug="won", name="Won", color="green"),))
    who = AuditEntry(username="ana", created_at=dt.datetime(2026, 7, 1, 10, 0, 5, tzinfo=dt.UTC))
    with timezone.override("Europe/Berlin"):
        board = unescape(str(changed_meanwhile_sentence("deal", stage, Record(id="d1", default={"stage": "won"}), who)))
        conflict = unescape(render_to_string("partials/other_change.html", {"other_change": who}))
    assert board.startswith("ana changed this deal at 12:00:05 CEST, so it was not moved.")
    assert re.sub(r"<[^>]+>", "", conflict).strip() == "ana saved a change at 12:00:05 CEST."

"""A person's time zone: detected once by the browser, kept in the profile, chosen on the
profile page, and the one every date and time of their pages is shown in."""

import re
from html import unescape

from dashboard.models import Profile


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

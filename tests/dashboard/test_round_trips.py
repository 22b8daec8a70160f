"""One round trip per page (dashboard/home.py, fan_out.py) and the concurrent CSV export
(dashboard/exporting.py), measured at the sandbox: its request log says when each API call
arrived and ended, and chaos latency stands for an API across the internet."""

import csv
import io
import math
import re
import time
from html import unescape

import pytest

from dashboard.audit import log
from dashboard.models import AuditEntry
from prism_sandbox import chaos

LATENCY = 1.0  # seconds added to every API call: large beside the work of a page on a busy, shared machine
STAGES = ("prospect", "qualified", "proposal", "won", "lost")  # the demo schema's deal stages


def api_rows(sandbox, segment: str, query: dict) -> list[dict]:
    """Every row of a query, by cursor, straight from the API."""
    rows, cursor = [], None
    while True:
        body = {"query": query, **({"cursor": cursor} if cursor else {})}
        data = sandbox.request("POST", f"{segment}/query", json=body).json()
        rows += data["data"]
        if not data["has_more"]:
            return rows
        cursor = data["next_cursor"]


def test_home_sends_every_call_in_one_round(viewer_client, prism):
    contact, deal = (api_rows(prism, t, {"select": [], "limit": 1})[0]["id"] for t in ("contact", "deal"))
    for segment, record_id in (("contact", contact), ("deal", deal)):
        log(None, AuditEntry.Action.UPDATE, segment, record_id, record_repr=f"a {segment}")
    assert viewer_client.get("/").status_code == 200  # the schema cache is warm from here on

    chaos.configure(latency_ms=int(LATENCY * 1000))
    chaos.clear_request_log()
    started = time.monotonic()
    response = viewer_client.get("/")
    took = time.monotonic() - started

    calls = prism.logged_requests()
    assert response.status_code == 200 and all(c.status == 200 for c in calls), calls
    # 7 counts, 5 stage counts, one readability check per type among the latest changes
    assert len(calls) == 7 + len(STAGES) + 2
    assert chaos.sequential_rounds(calls) == 1
    assert took < 2 * LATENCY, f"home took {took:.2f} s with {LATENCY} s per API call"
    assert [e.record_id for e in response.context["latest_changes"]] == [deal, contact]


def test_stage_bars_link_to_the_deals_table_filtered_by_that_stage(viewer_client, prism):
    chart = viewer_client.get("/").context["chart"]
    assert [bar["slug"] for bar in chart] == list(STAGES)
    for bar in chart:
        table = viewer_client.get(bar["url"] + "&total=1")
        assert table.status_code == 200
        rows = table.context["page"].rows
        assert table.context["page"].total == bar["total"]
        assert all(row.properties["stage"] == bar["slug"] for row in rows)
    html = unescape(viewer_client.get("/").content.decode())
    won = next(bar for bar in chart if bar["slug"] == "won")
    assert re.search(rf'<a href="{re.escape(won["url"])}">Won</a>', html)


@pytest.fixture
def many_contacts(prism):
    """500 contacts beside the demo's 60, many sharing a status (ties the sort must break)."""
    for start in range(0, 440, 100):
        rows = [
            {"default": {"first_name": f"Export {i:04}", "status": ("lead", "customer")[i % 2]}}
            for i in range(start, min(start + 100, 440))
        ]
        assert prism.request("POST", "contact/import", json={"objects": rows}).status_code == 200
    return prism


def test_the_export_reads_pages_side_by_side_and_writes_every_row_once_in_order(viewer_client, many_contacts):
    table = "/records/contact/export.csv?cols=first_name,status&sort=status"
    expected = [row["id"] for row in api_rows(many_contacts, "contact", {"select": [], "sort": [{"status": "asc"}], "limit": 50})]
    assert len(expected) == 500
    viewer_client.get("/records/contact/")  # the schema cache is warm from here on

    chaos.configure(latency_ms=int(LATENCY * 1000))
    chaos.clear_request_log()
    started = time.monotonic()
    response = viewer_client.get(table)
    body = b"".join(response.streaming_content).decode()
    took = time.monotonic() - started

    assert response["X-Total-Count"] == "500"
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["id", "First name", "Last name", "Status"]  # the title's parts first
    assert [row[0] for row in rows[1:]] == expected  # in order, none missing, none twice
    calls = many_contacts.logged_requests()
    assert len(calls) == math.ceil(500 / 50) and all(c.status == 200 for c in calls)
    # page 1 (with the total), then pages 2-10 side by side
    assert chaos.sequential_rounds(calls) == 2
    assert took < 3 * LATENCY, f"the export took {took:.2f} s with {LATENCY} s per API call"


def test_an_export_that_fails_half_way_says_so_in_its_last_line(viewer_client, many_contacts, settings):
    settings.PRISM_CONCURRENCY = 2
    viewer_client.get("/records/contact/")
    response = viewer_client.get("/records/contact/export.csv?cols=first_name")
    lines = iter(response.streaming_content)
    first_rows = [next(lines) for _ in range(60)]  # page 1 and some of page 2
    chaos.configure(error_rate=1.0, error_status=503)
    rest = b"".join(lines).decode()
    last = rest.strip().splitlines()[-1]
    assert last.startswith("# Export stopped after") and "rows" in last
    written = len(first_rows) - 1 + len(rest.strip().splitlines()) - 1
    assert f"after {written:,} rows" in last

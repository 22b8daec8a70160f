"""How many API calls a page makes, counted at the sandbox: at most two with a warm
schema cache, never one per row. (No browser: Django's test client drives the
dashboard, which calls the sandbox over HTTP through live_server.)"""

import math

import pytest

from dashboard.roles import Role
from prism_sandbox import chaos

TABLE = "/records/contact/?cols=first_name,organization.name,status,tags&size=50&sort=-score&f0=status&o0=in&v0=lead&v0=customer"


@pytest.fixture
def viewer_client(client, dashboard):
    client.force_login(dashboard.users[Role.VIEWER])
    return client


def api_calls(dashboard) -> list[tuple[str, str]]:
    prefix = f"/sandbox/v2/prism/{dashboard.sandbox.team_id}/"
    calls = dashboard.sandbox.logged_requests()
    assert all(call.status == 200 for call in calls), calls
    return [(call.method, call.path.removeprefix(prefix)) for call in calls]


def test_a_list_page_makes_one_query_with_a_warm_schema_cache(viewer_client, dashboard):
    chaos.clear_request_log()
    response = viewer_client.get(TABLE)
    assert response.status_code == 200
    assert api_calls(dashboard) == [("GET", "properties"), ("POST", "contact/query")]  # cold schema cache

    chaos.clear_request_log()
    response = viewer_client.get(TABLE)
    assert response.status_code == 200
    assert len(response.context["page"].rows) == 50  # a related column on every row, still one call
    assert api_calls(dashboard) == [("POST", "contact/query")]

    # The table fragment htmx asks for, and the next page through the cursor.
    chaos.clear_request_log()
    fragment = viewer_client.get(TABLE, headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content
    next_url = response.context["next_url"]
    assert viewer_client.get(f"/records/contact/{next_url}").status_code == 200
    assert api_calls(dashboard) == [("POST", "contact/query")] * 2


def test_a_record_page_makes_one_call(viewer_client, dashboard):
    viewer_client.get("/records/contact/")  # warms the schema cache
    record_id = viewer_client.get("/records/contact/").context["page"].rows[0].id
    chaos.clear_request_log()
    response = viewer_client.get(f"/records/contact/{record_id}/")
    assert response.status_code == 200
    assert api_calls(dashboard) == [("GET", f"contact/{record_id}")]


def test_an_export_reads_fifty_rows_a_call(viewer_client, dashboard):
    matching = len(dashboard.api_rows("contact", {"select": [], "filter": [{"status": {"in": ["lead", "customer"]}}], "limit": 50}))
    viewer_client.get("/records/contact/")  # warms the schema cache
    chaos.clear_request_log()
    response = viewer_client.get(TABLE.replace("/records/contact/", "/records/contact/export.csv"))
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == matching + 1
    assert api_calls(dashboard) == [("POST", "contact/query")] * math.ceil(matching / 50)

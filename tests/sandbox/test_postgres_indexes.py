"""On PostgreSQL, a sort by an indexed property is read from its index in both directions.

The sandbox sorts NULL as the smallest value; migration 0004 builds PostgreSQL's property
indexes with NULLS FIRST so that order (and its reverse) needs no sort of the whole team.
The suite runs on PostgreSQL in scripts/test's second pass; on SQLite there is nothing to check.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prism_sandbox.models import Record
from prism_sandbox.teams import create_key, provision_team

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's NULL order only")

KEY = "sk_test_postgres_indexes_0123456789ab"


@pytest.mark.django_db
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_a_number_sort_reads_its_index_in_order(client, direction):
    team = provision_team("5e570000-0000-4000-8000-0000000000a1")
    create_key(team, KEY)
    Record.objects.bulk_create(
        Record(team=team, segment="contact", properties={"first_name": f"n{i}", "score": None if i % 3 else i}) for i in range(300)
    )
    with CaptureQueriesContext(connection) as queries:
        answer = client.post(
            f"/sandbox/v2/prism/{team.id}/contact/query",
            {"query": {"sort": [{"score": direction}], "limit": 25}},
            content_type="application/json",
            headers={"x-api-key": KEY},
        )
    assert answer.status_code == 200
    scores = [row["properties"].get("score") for row in answer.json()["data"]]
    assert scores[:5] == ([None] * 5 if direction == "asc" else [297, 294, 291, 288, 285])
    [sql] = [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"] and "prism_sandbox_record" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE prism_sandbox_record")  # the planner's counts, as a real team's would have
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "rec_p_score" in plan, plan
    assert " Sort " not in f" {plan} ".replace("\n", " "), plan  # the index gives the order: no sort step

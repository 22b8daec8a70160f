"""No lost update: concurrent read-modify-write increments through the edit service with If-Match."""

import threading

from dashboard import prism as dashboard_prism
from dashboard.editing import NeedsResolution, Saved, save_changes, values_of

THREADS, ROUNDS = 8, 50


def test_concurrent_increments_lose_no_update(prism, settings):
    settings.PRISM_ACCESS = "shared"  # no person here: the service acts with the team key
    record_id = prism.request("POST", "contact", json={"default": {"first_name": "Counter", "score": 0}}).json()["id"]
    service = dashboard_prism.client().service("contact")
    schema = dashboard_prism.schema("contact")
    succeeded, conflicted, errors = [], [], []

    def worker() -> None:
        for _ in range(ROUNDS):
            try:
                record = service.get(record_id)
                base = values_of(record, schema)
                mine = {**base, "score": base["score"] + 1}
                # max_automatic_merges=0: a conflict is reported, never merged, so
                # every success is exactly one increment of the value it read.
                outcome = save_changes(service, schema, record_id, base, mine, record.etag, max_automatic_merges=0).outcome
            except Exception as exc:
                errors.append(exc)
                continue
            (succeeded if isinstance(outcome, Saved) else conflicted).append(outcome)
            assert isinstance(outcome, (Saved, NeedsResolution))

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert len(succeeded) + len(conflicted) == THREADS * ROUNDS
    final = prism.request("GET", f"contact/{record_id}").json()["default"]["score"]
    assert final == len(succeeded)
    assert conflicted, "with 8 writers some saves must have met a newer version"

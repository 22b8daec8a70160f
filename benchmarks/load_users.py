"""benchmarks/load.py's virtual users, as a locustfile (run by load.py, not by hand).

    LOAD_CONFIG=… LOAD_SIDE=dashboard|admin locust -f benchmarks/load_users.py --headless …

Each user is one signed-in person (a session of their own, made by load.py) who, with
a short think time between tasks, browses, filters, opens and edits contacts in the
proportions of TASKS (benchmarks/load_pages.py says what each means on either side).
Every request is named by its kind in locust's statistics; a page that does not show
what it should (its table, its form) counts as a failure, and a save that meets a
conflict is counted as "save (conflict)", a valid outcome.
"""

import itertools
import json
import os
import random
import sys
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, between, task
from requests.cookies import create_cookie

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_pages

CONFIG = json.loads(Path(os.environ["LOAD_CONFIG"]).read_text())
SIDE = load_pages.SIDES[os.environ["LOAD_SIDE"]]
SESSIONS: list[str] = CONFIG["sessions"][SIDE.name]
CONTACTS: list[str] = CONFIG["contacts"]
_numbers = itertools.count()


class Person(FastHttpUser):
    wait_time = between(*CONFIG["think_seconds"])

    def on_start(self) -> None:
        n = next(_numbers)
        self.rng = random.Random(n)
        self.client.cookiejar.set_cookie(create_cookie("sessionid", SESSIONS[n % len(SESSIONS)], domain="127.0.0.1", path="/"))

    def page(self, kind: str, url: str, ok) -> str | None:
        with self.client.get(url, name=kind, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return None
            text = response.text or ""
            if not ok(text):
                response.failure("the page lacks what it should show")
                return None
            return text

    @task(CONFIG["tasks"]["browse"])
    def browse(self) -> None:
        html = self.page("browse", SIDE.page_one(), SIDE.table_ok)
        following = SIDE.next_page(html) if html else None
        if following:
            self.page("browse", following, SIDE.table_ok)

    @task(CONFIG["tasks"]["filter"])
    def filter(self) -> None:
        self.page("filter", SIDE.filtered(self.rng.choice(load_pages.STATUSES)), SIDE.table_ok)

    @task(CONFIG["tasks"]["open"])
    def open(self) -> None:
        record_id = self.rng.choice(CONTACTS)
        self.page("open", SIDE.record(record_id), lambda html: SIDE.record_ok(html, record_id))

    @task(CONFIG["tasks"]["edit"])
    def edit(self) -> None:
        record_id = self.rng.choice(CONTACTS)
        html = self.page("edit form", SIDE.edit(record_id), lambda html: SIDE.edit_form(html, "") is not None)
        if html is None:
            return
        fields = SIDE.edit_form(html, f"Load tester {self.rng.randrange(10**6)}")
        url = SIDE.edit(record_id)
        headers = {"Referer": f"{self.host}{url}", "Content-Type": "application/x-www-form-urlencoded"}
        with self.client.post(
            url, data=urlencode(fields), headers=headers, name="save", catch_response=True, allow_redirects=False
        ) as response:
            outcome = SIDE.save_outcome(response.status_code, response.headers.get("Location", ""))
            if outcome == "conflict":
                response.request_meta["name"] = "save (conflict)"
                response.success()
            elif outcome == "saved":
                response.success()
            else:
                response.failure(outcome)

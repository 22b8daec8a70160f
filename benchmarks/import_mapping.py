"""The CSV import wizard with a large file: the upload, then the mapping page loaded again and again.

    .venv/bin/python benchmarks/import_mapping.py [--rows 50000] [--columns 190] [--loads 3]

Migrates a throwaway SQLite database (benchmarks/.data/) and starts `manage.py runserver
--noreload` for the sandbox API (the mapping page reads the property schema from it).
In this process, Django's test client signs in and uploads a contact file of `--rows`
rows and `--columns` columns (50,000 × 190 is about 18 MB: five contact columns, the
rest short extras), loads the mapping page `--loads` times, changes the mapping once
(the htmx preview) and starts the import (the rows sent to the API in chunks). Prints
each request's wall and CPU time, then the same requests again under tracemalloc: the peak of Python memory each one allocated.
"""

import argparse
import io
import secrets
import sys
import time
import tracemalloc
from functools import partial

import harness  # benchmarks/ is on sys.path when a script runs

ROOT, DATA = harness.ROOT, harness.DATA
DB = DATA / "import_mapping.sqlite3"
TEAM = "b0000000-0000-4000-8000-000000000009"
KEY = f"sk_bench_{secrets.token_urlsafe(16)}"
PORT = 8799


def make_csv(rows: int, columns: int) -> bytes:
    out = io.StringIO()
    extras = columns - 5
    out.write(",".join(["first_name", "last_name", "email", "score", "status", *(f"extra_{i}" for i in range(extras))]) + "\n")
    filler = ",".join("7" if i % 5 else "" for i in range(extras))
    for i in range(rows):
        out.write(f"Ann{i},Bench{i % 97},ann{i}@bench.test,{i % 100},{('lead', 'customer', 'churned')[i % 3]},{filler}\n")
    return out.getvalue().encode()


def measure(label: str, call, traced: bool):
    if traced:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    response = call()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    figure = f"{elapsed:6.2f} s ({cpu:.2f} s CPU)"
    if traced:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        figure = f"{peak / 2**20:6.0f} MB peak"
    print(f"  {label:<28} {response.status_code}  {figure}", flush=True)
    return response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--columns", type=int, default=190)
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args()

    # The test settings: production ones with plain static file names (no collectstatic needed).
    env = harness.django_env(DB, TEAM, KEY, settings="dashboard.settings_test", base_url=f"http://127.0.0.1:{PORT}/sandbox")
    harness.fresh_database(DB, env)
    server = harness.manage("runserver", "--noreload", f"127.0.0.1:{PORT}", env=env)
    try:
        harness.wait_until_up(f"http://127.0.0.1:{PORT}/sandbox/")
        run(make_csv(args.rows, args.columns), args.loads)
    finally:
        server.terminate()
        server.wait()


def run(body: bytes, loads: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from dashboard.models import ImportRun

    print(f"file: {len(body) / 2**20:.1f} MB", flush=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.create_superuser("bench", "bench@bench.test", secrets.token_urlsafe(12)))
    client.get("/records/contact/")  # the schema is cached from here on
    for traced in (False, True):
        print("memory (tracemalloc)" if traced else "time", flush=True)
        upload = {"file": SimpleUploadedFile("big.csv", body, content_type="text/csv")}
        response = measure("upload", partial(client.post, "/import/contact/", upload), traced)
        assert response.status_code == 302, response.status_code
        run_ = ImportRun.objects.latest("created_at")
        page = f"/imports/{run_.pk}/"
        for n in range(loads):
            assert measure(f"mapping page, load {n + 1}", partial(client.get, page), traced).status_code == 200
        form = {f"col{i}": run_.mapping.get(c, "") for i, c in enumerate(run_.headers)}
        form.update({"col3": "", "dedupe_by": "", "action": "preview"})  # score no longer imported
        measure("mapping changed (preview)", partial(client.post, page, form, HTTP_HX_REQUEST="true"), traced)
        # The rows go to the API in chunks (answered with jobs, which no worker runs here).
        assert measure("import started", partial(client.post, page, {**form, "action": "import"}), traced).status_code == 302


if __name__ == "__main__":
    sys.exit(main())

"""gunicorn settings for the dashboard, in the shape docs/performance.md measures:

    gunicorn -c python:dashboard.gunicorn_conf dashboard.wsgi

gthread workers, each a fixed pool of threads (2 workers × 4 threads unless
WEB_CONCURRENCY / GUNICORN_THREADS, or -w / --threads, say otherwise), bound to
127.0.0.1:$PORT (8000) unless --bind says otherwise. Once listening, it tells the
dashboard where (PRISM_SERVED_AT, inherited by the workers), so the start-up check that
MICRO_BASE_URL is not this very server compares ports instead of guessing (serving.py).
"""

import os

bind = [f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# gunicorn ≥ 25 opens a control socket at one path per user; the sandbox's server beside
# this one (scripts/serve-demo) would take it over.
control_socket_disable = True


def when_ready(server) -> None:
    # Called in the arbiter once the sockets are bound, before any worker is forked.
    os.environ["PRISM_SERVED_AT"] = ",".join(str(listener) for listener in server.LISTENERS)

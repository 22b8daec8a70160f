"""gunicorn settings for the sandbox served on its own (scripts/serve-demo):

    gunicorn -c python:prism_sandbox.server.gunicorn_conf prism_sandbox.server.wsgi

Bound to 127.0.0.1:$SANDBOX_PORT (8001): the dashboard on this machine is its only
client. 2 gthread workers × 8 threads (SANDBOX_WORKERS / SANDBOX_THREADS): a dashboard of
2 × 4 threads, each page fanning out up to 4 calls (PRISM_CONCURRENCY), keeps up to 32
calls in flight; the rest wait in the listen backlog, never on the dashboard itself.
"""

import os

bind = [f"127.0.0.1:{os.environ.get('SANDBOX_PORT', '8001')}"]
workers = int(os.environ.get("SANDBOX_WORKERS", "2"))
threads = int(os.environ.get("SANDBOX_THREADS", "8"))
worker_class = "gthread"
raw_env = ["DJANGO_SETTINGS_MODULE=prism_sandbox.server.settings"]
# gunicorn ≥ 25 opens a control socket at one path per user; two servers would share it.
control_socket_disable = True

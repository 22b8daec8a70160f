"""The sandbox as a WSGI application of its own (see prism_sandbox/server/settings.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prism_sandbox.server.settings")
application = get_wsgi_application()

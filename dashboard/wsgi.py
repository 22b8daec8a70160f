import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
application = get_wsgi_application()

# WSGI servers run no system checks; the one about serving (is MICRO_BASE_URL this very
# server, under a bounded pool?) must still be said at start-up, in the server's log.
from dashboard import serving  # noqa: E402

serving.report_at_start()

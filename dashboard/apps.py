from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Prism Dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Django's development server (runserver, and live_server in tests) writes
        # a response's headers and body in separate sends; with Nagle's algorithm on,
        # the body waits for the peer's delayed ACK, adding ~40 ms to every
        # keep-alive request. socketserver has a switch for exactly this.
        from django.core.servers.basehttp import WSGIRequestHandler

        from . import checks  # noqa: F401  (registers the system checks)

        WSGIRequestHandler.disable_nagle_algorithm = True

"""The sandbox served on its own: settings, URLs and a WSGI entry point, without the dashboard."""

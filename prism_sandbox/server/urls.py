"""Only the sandbox's routes, under /sandbox/ as when mounted in the dashboard."""

from django.urls import include, path

urlpatterns = [path("sandbox/", include("prism_sandbox.urls"))]

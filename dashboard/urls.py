"""The dashboard's URLs, built from the routed views: each view class declares its route,
URL name and permission beside its code (routing.DashboardView). Importing a view module
registers its views; the order below is the order URLs are matched in.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import (  # noqa: F401  (imported for the views they register)
    access_views,
    auth_views,
    board_views,
    bulk_views,
    editor_views,
    history_views,
    import_views,
    inline_views,
    lookup_views,
    profile_views,
    record_action_views,
    search_views,
    views,
)
from .routing import url_patterns
from .serving import SANDBOX_MOUNT

urlpatterns = [*url_patterns(), path("admin/", admin.site.urls)]
if settings.PRISM_SANDBOX_MOUNTED:
    urlpatterns.append(path(SANDBOX_MOUNT, include("prism_sandbox.urls")))

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
]
if settings.PRISM_SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("prism_sandbox.urls")))

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("records/<str:segment>/", views.RecordListView.as_view(), name="record-list"),
    path("records/<str:segment>/filter-row/", views.filter_row, name="filter-row"),
    path("records/<str:segment>/export.csv", views.export_csv, name="record-export"),
    path("records/<str:segment>/views/", views.saved_view_create, name="saved-view-create"),
    path("records/<str:segment>/<str:record_id>/", views.record_detail, name="record-detail"),
    path("views/<int:pk>/", views.saved_view_open, name="saved-view"),
    path("views/<int:pk>/edit/", views.saved_view_edit, name="saved-view-edit"),
    path("admin/", admin.site.urls),
]
if settings.PRISM_SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("prism_sandbox.urls")))

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as django_auth
from django.urls import include, path, register_converter
from django.urls.converters import UUIDConverter

from . import access_views, auth_views, bulk_views, editor_views, import_views, views
from .auth_views import reset_enabled


class RecordIdConverter(UUIDConverter):
    """A Prism record id: a UUID (Django's pattern), so "..", slashes or any other path syntax
    is a 404 before a view could put it into an API path. Views get it as text."""

    def to_python(self, value: str) -> str:
        return value


register_converter(RecordIdConverter, "record_id")

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", django_auth.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", django_auth.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", django_auth.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password_reset/", reset_enabled(auth_views.ThrottledPasswordResetView.as_view()), name="password_reset"),
    path("accounts/password_reset/done/", reset_enabled(django_auth.PasswordResetDoneView.as_view()), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", reset_enabled(django_auth.PasswordResetConfirmView.as_view()), name="password_reset_confirm"),
    path("accounts/reset/done/", reset_enabled(django_auth.PasswordResetCompleteView.as_view()), name="password_reset_complete"),
    path("records/<str:segment>/", views.RecordListView.as_view(), name="record-list"),
    path("records/<str:segment>/filter-row/", views.filter_row, name="filter-row"),
    path("records/<str:segment>/export.csv", views.export_csv, name="record-export"),
    path("records/<str:segment>/views/", views.saved_view_create, name="saved-view-create"),
    path("records/<str:segment>/new/", editor_views.RecordCreateView.as_view(), name="record-create"),
    path("records/<str:segment>/options/", editor_views.reference_options, name="reference-options"),
    path("records/<str:segment>/bulk/", bulk_views.bulk_action, name="bulk-action"),
    path("records/<str:segment>/bulk/value-field/", bulk_views.bulk_value_field, name="bulk-value-field"),
    path("records/<str:segment>/<record_id:record_id>/", views.record_detail, name="record-detail"),
    path("records/<str:segment>/<record_id:record_id>/edit/", editor_views.RecordEditView.as_view(), name="record-edit"),
    path("records/<str:segment>/<record_id:record_id>/resolve/", editor_views.ConflictResolveView.as_view(), name="record-resolve"),
    path("records/<str:segment>/<record_id:record_id>/delete/", editor_views.record_delete, name="record-delete"),
    path("records/<str:segment>/<record_id:record_id>/restore/", editor_views.record_restore, name="record-restore"),
    path("records/<str:segment>/<record_id:record_id>/duplicate/", editor_views.record_duplicate, name="record-duplicate"),
    path("records/<str:segment>/<record_id:record_id>/history/", editor_views.record_history, name="record-history"),
    path("records/<str:segment>/<record_id:record_id>/permissions/", access_views.record_permissions, name="record-permissions"),
    path("bulk/<uuid:pk>/", bulk_views.bulk_job, name="bulk-job"),
    path("directory/", access_views.directory, name="directory"),
    path("directory/<int:pk>/delete/", access_views.directory_delete, name="directory-delete"),
    path("lookup/", editor_views.lookup, name="lookup"),
    path("lookup/create/", editor_views.lookup_create, name="lookup-create"),
    path("audit/", editor_views.audit_log, name="audit"),
    # CSV import wizard
    path("import/<str:segment>/", import_views.upload, name="import-upload"),
    path("imports/<uuid:pk>/", import_views.run_page, name="import-run"),
    path("imports/<uuid:pk>/progress/", import_views.run_progress, name="import-progress"),
    path("imports/<uuid:pk>/failed.csv", import_views.failed_rows, name="import-failed"),
    path("views/<int:pk>/", views.saved_view_open, name="saved-view"),
    path("views/<int:pk>/edit/", views.saved_view_edit, name="saved-view-edit"),
    path("admin/", admin.site.urls),
]
if settings.PRISM_SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("prism_sandbox.urls")))

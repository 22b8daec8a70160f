"""Every dashboard route with the permission it needs, declared once (permissions.guard).

Reads need `view_records`; a route without a declaration is refused by
DenyByDefaultMiddleware. Record ids must be UUIDs (RecordIdConverter).
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as django_auth
from django.urls import include, path, register_converter
from django.urls.converters import UUIDConverter

from . import access_views, auth_views, bulk_views, editor_views, import_views, profile_views, serving, views
from .auth_views import reset_enabled
from .permissions import PUBLIC, SIGNED_IN, guard


class RecordIdConverter(UUIDConverter):
    """A Prism record id: a UUID (Django's pattern), so "..", slashes or any other path syntax
    is a 404 before a view could put it into an API path. Views get it as text."""

    def to_python(self, value: str) -> str:
        return value


register_converter(RecordIdConverter, "record_id")

VIEW = "view_records"
CHANGE = "change_records"
BULK = "bulk_change_records"
IMPORT = "import_records"
AUDIT = "view_audit"
DIRECTORY = "manage_directory"
RECORD = "records/<str:segment>/<record_id:record_id>/"

urlpatterns = [
    path("", guard(VIEW, views.home), name="home"),
    path("accounts/login/", guard(PUBLIC, auth_views.SignInView), name="login"),
    path("accounts/logout/", guard(SIGNED_IN, django_auth.LogoutView), name="logout"),
    path("accounts/password_change/", guard(SIGNED_IN, django_auth.PasswordChangeView), name="password_change"),
    path("accounts/password_change/done/", guard(SIGNED_IN, django_auth.PasswordChangeDoneView), name="password_change_done"),
    path("accounts/password_reset/", guard(PUBLIC, reset_enabled(auth_views.ThrottledPasswordResetView.as_view())), name="password_reset"),
    path(
        "accounts/password_reset/done/",
        guard(PUBLIC, reset_enabled(django_auth.PasswordResetDoneView.as_view())),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        guard(PUBLIC, reset_enabled(django_auth.PasswordResetConfirmView.as_view())),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        guard(PUBLIC, reset_enabled(django_auth.PasswordResetCompleteView.as_view())),
        name="password_reset_complete",
    ),
    path("me/", guard(SIGNED_IN, profile_views.profile), name="profile"),
    path("me/key/", guard(SIGNED_IN, profile_views.key_change), name="profile-key"),
    path("records/<str:segment>/", guard(VIEW, views.RecordListView), name="record-list"),
    path("records/<str:segment>/filter-row/", guard(VIEW, views.filter_row), name="filter-row"),
    path("records/<str:segment>/export.csv", guard(VIEW, views.export_csv), name="record-export"),
    path("records/<str:segment>/views/", guard(VIEW, views.saved_view_create), name="saved-view-create"),
    path("records/<str:segment>/new/", guard(CHANGE, editor_views.RecordCreateView), name="record-create"),
    path("records/<str:segment>/options/", guard(VIEW, editor_views.reference_options), name="reference-options"),
    path("records/<str:segment>/bulk/", guard(BULK, bulk_views.bulk_action), name="bulk-action"),
    path("records/<str:segment>/bulk/value-field/", guard(BULK, bulk_views.bulk_value_field), name="bulk-value-field"),
    path(RECORD, guard(VIEW, views.record_detail), name="record-detail"),
    path(RECORD + "edit/", guard(CHANGE, editor_views.RecordEditView), name="record-edit"),
    path(RECORD + "resolve/", guard(CHANGE, editor_views.ConflictResolveView), name="record-resolve"),
    path(RECORD + "delete/", guard(CHANGE, editor_views.record_delete), name="record-delete"),
    path(RECORD + "restore/", guard(CHANGE, editor_views.record_restore), name="record-restore"),
    path(RECORD + "duplicate/", guard(CHANGE, editor_views.record_duplicate), name="record-duplicate"),
    path(RECORD + "history/", guard(VIEW, editor_views.record_history), name="record-history"),
    # Reading a grant needs view_records; changing it, manage_grants (checked in the view).
    path(RECORD + "permissions/", guard(VIEW, access_views.record_permissions), name="record-permissions"),
    path("bulk/<uuid:pk>/", guard(VIEW, bulk_views.bulk_job), name="bulk-job"),
    path("directory/", guard(DIRECTORY, access_views.directory), name="directory"),
    path("directory/<int:pk>/", guard(DIRECTORY, access_views.directory_person), name="directory-person"),
    path("directory/<int:pk>/delete/", guard(DIRECTORY, access_views.directory_delete), name="directory-delete"),
    path("directory/users/<int:user_pk>/revoke-key/", guard(DIRECTORY, access_views.revoke_key), name="revoke-key"),
    path("lookup/", guard(VIEW, editor_views.lookup), name="lookup"),
    path("lookup/create/", guard(CHANGE, editor_views.lookup_create), name="lookup-create"),
    path("audit/", guard(AUDIT, editor_views.audit_log), name="audit"),
    # CSV import wizard
    path("import/<str:segment>/", guard(IMPORT, import_views.upload), name="import-upload"),
    path("imports/<uuid:pk>/", guard(IMPORT, import_views.run_page), name="import-run"),
    path("imports/<uuid:pk>/progress/", guard(IMPORT, import_views.run_progress), name="import-progress"),
    path("imports/<uuid:pk>/failed.csv", guard(IMPORT, import_views.failed_rows), name="import-failed"),
    path("views/<int:pk>/", guard(VIEW, views.saved_view_open), name="saved-view"),
    path("views/<int:pk>/edit/", guard(VIEW, views.saved_view_edit), name="saved-view-edit"),
    path("admin/", admin.site.urls),
]
if settings.PRISM_SANDBOX_MOUNTED:
    urlpatterns.append(path(serving.SANDBOX_MOUNT, include("prism_sandbox.urls")))

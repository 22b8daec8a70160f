"""Every dashboard route with the permission it needs, declared once (permissions.guard).

Reads need `view_records`; a route without a declaration is refused by
DenyByDefaultMiddleware. Record ids are checked by each view's API call.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import access_views, auth_views, bulk_views, editor_views, import_views, profile_views, views
from .permissions import PUBLIC, SIGNED_IN, guard

VIEW = "view_records"
CHANGE = "change_records"
BULK = "bulk_change_records"
IMPORT = "import_records"
AUDIT = "view_audit"
DIRECTORY = "manage_directory"

urlpatterns = [
    path("", guard(VIEW, views.home), name="home"),
    path("accounts/login/", guard(PUBLIC, auth_views.ThrottledLoginView), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
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
    path("records/<str:segment>/<str:record_id>/", guard(VIEW, views.record_detail), name="record-detail"),
    path("records/<str:segment>/<str:record_id>/edit/", guard(CHANGE, editor_views.RecordEditView), name="record-edit"),
    path("records/<str:segment>/<str:record_id>/resolve/", guard(CHANGE, editor_views.ConflictResolveView), name="record-resolve"),
    path("records/<str:segment>/<str:record_id>/delete/", guard(CHANGE, editor_views.record_delete), name="record-delete"),
    path("records/<str:segment>/<str:record_id>/restore/", guard(CHANGE, editor_views.record_restore), name="record-restore"),
    path("records/<str:segment>/<str:record_id>/duplicate/", guard(CHANGE, editor_views.record_duplicate), name="record-duplicate"),
    path("records/<str:segment>/<str:record_id>/history/", guard(VIEW, editor_views.record_history), name="record-history"),
    # Reading a grant needs view_records; changing it, manage_grants (checked in the view).
    path("records/<str:segment>/<str:record_id>/permissions/", guard(VIEW, access_views.record_permissions), name="record-permissions"),
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
if settings.PRISM_SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("prism_sandbox.urls")))

"""The dashboard's own data: roles' permissions, saved table views and the audit trail."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Access(models.Model):
    """Holds the dashboard's permissions (no table): roles are groups of these."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_records", "Can browse and export records"),
            ("change_records", "Can create, edit and delete records"),
            ("bulk_change_records", "Can run bulk actions"),
            ("import_records", "Can import CSV files"),
            ("manage_grants", "Can change who may see and change a record"),
            ("view_audit", "Can read the audit trail of every user"),
            ("manage_directory", "Can keep the user and group directory"),
        ]


class SavedViewQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SavedViewQuerySet":
        return self.filter(models.Q(owner=user) | models.Q(shared=True))


class SavedView(models.Model):
    """A named table state (columns, filters, sort, page size) of one object type."""

    objects = SavedViewQuerySet.as_manager()

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    object_type = models.CharField(max_length=20)
    query_string = models.TextField(blank=True, help_text="The table's URL state, without cursors.")
    shared = models.BooleanField(default=False, help_text="Visible to everyone in the team.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["object_type", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "object_type", "name"], name="saved_view_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """One write made through the dashboard: who did what to which record, and how it went."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        RESTORE = "restore", "Restored"
        DUPLICATE = "duplicate", "Duplicated"
        UPSERT = "upsert", "Upserted"
        GRANT = "grant", "Changed permissions of"
        BULK_UPDATE = "bulk_update", "Bulk-updated"
        BULK_DELETE = "bulk_delete", "Bulk-deleted"
        IMPORT = "import", "Imported"

    class Outcome(models.TextChoices):
        OK = "ok", "Succeeded"
        FAILED = "failed", "Failed"
        CONFLICT = "conflict", "Conflicted"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, help_text="Kept when the user is deleted.")
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=20)
    record_id = models.CharField(max_length=64, blank=True)
    record_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "record_id", "-created_at"], name="audit_record")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.username} {self.get_action_display().lower()} {self.object_type} {self.record_repr or self.record_id}"

"""The dashboard's own data: roles' permissions, saved table views and the audit trail."""

import uuid

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

    def __str__(self) -> str:
        return "Dashboard permissions"


class SavedViewQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SavedViewQuerySet":
        return self.filter(models.Q(owner=user) | models.Q(shared=True))


class SavedView(models.Model):
    """A named table state (columns, filters, sort, page size) of one object type."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    segment = models.CharField(max_length=20)
    query_string = models.TextField(blank=True, help_text="The table's URL state, without cursors.")
    shared = models.BooleanField(default=False, help_text="Visible to everyone in the team.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["segment", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "segment", "name"], name="saved_view_unique_name"),
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
    segment = models.CharField(max_length=20)
    record_id = models.CharField(max_length=64, blank=True)
    record_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=100, blank=True)
    prism_user_id = models.CharField(
        "Prism identity", max_length=128, blank=True, help_text="The Prism user whose key made the call (empty: the shared team key)."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["segment", "record_id", "-created_at"], name="audit_record")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.username} {self.get_action_display().lower()} {self.segment} {self.record_repr or self.record_id}"


class DirectoryEntry(models.Model):
    """A Prism person or team group, by name: the one place for who is who.

    A person has a Prism user id, the team groups they belong to, and may be linked to
    a dashboard sign-in (whose key then acts as them). Grants name ids; the Permissions
    tab reads this directory to show names and to work out who has access.
    """

    class Kind(models.TextChoices):
        USER = "user", "Person"
        GROUP = "group", "Team group"

    kind = models.CharField(max_length=5, choices=Kind.choices)
    external_id = models.CharField("Prism id", max_length=128)
    name = models.CharField(max_length=200)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="prism_identity",
        verbose_name="dashboard sign-in",
    )
    groups = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="members", limit_choices_to={"kind": "group"}, verbose_name="team groups"
    )
    team_admin = models.BooleanField("Prism team admin", default=False, help_text="Team admins see and change every record.")

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "external_id"], name="directory_unique_id")]
        verbose_name_plural = "directory entries"

    def __str__(self) -> str:
        return self.name


class PrismKey(models.Model):
    """A person's own Micro API key, encrypted at rest (dashboard.key_vault)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prism_key")
    token = models.TextField(help_text="The key, Fernet-encrypted. Never the key itself.")
    last4 = models.CharField(max_length=4)
    checked_at = models.DateTimeField(help_text="When one API call last accepted the key.")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Prism key …{self.last4} of {self.user}"

    @classmethod
    def store(cls, user, api_key: str) -> "PrismKey":
        """Keep (or replace) a person's key, encrypted; the caller has checked it."""
        from .key_vault import encrypt

        stored, _ = cls.objects.update_or_create(
            user=user, defaults={"token": encrypt(api_key), "last4": api_key[-4:], "checked_at": timezone.now()}
        )
        return stored


class Progress(models.Model):
    """Counters of a long-running piece of work, shown as a progress bar and a report."""

    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class BulkJob(Progress):
    """One bulk action over selected records or all records matching a table's filters."""

    class Action(models.TextChoices):
        SET = "set", "Set a property"
        DELETE = "delete", "Delete"
        RESTORE = "restore", "Restore"
        GRANT = "grant", "Apply permissions"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Finished"
        FAILED = "failed", "Stopped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    segment = models.CharField(max_length=20)
    action = models.CharField(max_length=10, choices=Action.choices)
    params = models.JSONField(default=dict, help_text="The property and value, or the grant.")
    ids = models.JSONField(default=list, blank=True, help_text="Selected record ids (empty with a query).")
    query = models.JSONField(null=True, blank=True, help_text="For 'all matching': the table's query body.")
    description = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(null=True, blank=True)
    failures = models.JSONField(default=list, blank=True, help_text="[{id, error}] for each record that failed.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on {self.segment} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else (100 if self.status == "complete" else 0)


class ImportRun(Progress):
    """A CSV import through the wizard: the file, its column mapping, the API jobs and the results."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Being prepared"
        RUNNING = "running", "Importing"
        COMPLETE = "complete", "Finished"
        FAILED = "failed", "Stopped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    segment = models.CharField(max_length=20)
    filename = models.CharField(max_length=255, blank=True)
    csv_text = models.TextField(blank=True, help_text="The uploaded file, decoded; deleted when the run ends.")
    headers = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(default=0)
    preview_rows = models.JSONField(default=list, blank=True, help_text="The first rows, read at upload (samples, preview).")
    checked = models.JSONField(default=dict, blank=True, help_text="{key, bad_rows}: the rows that cannot be imported, for a mapping.")
    labels = models.JSONField(default=list, blank=True, help_text="Each row's first values, kept when the file is deleted.")
    failed_csv = models.TextField(blank=True, help_text="The failed rows' download, kept for a while after the run.")
    mapping = models.JSONField(default=dict, help_text="{column: property slug} (unmapped columns are left out).")
    dedupe_by = models.CharField(max_length=63, blank=True)
    case_insensitive = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    job_ids = models.JSONField(default=list, blank=True, help_text="The API's import jobs, one per chunk of rows.")
    results = models.JSONField(default=list, blank=True, help_text="One result per CSV row, in order.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import of {self.filename or 'pasted CSV'} into {self.segment}"


class Profile(models.Model):
    """What the dashboard keeps of a person's own preferences: their time zone, in which
    every date and time is shown to them (detected from their browser, editable)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(max_length=64, blank=True, help_text="An IANA zone such as Europe/Paris; empty: not known yet (UTC).")

    def __str__(self) -> str:
        return f"Profile of {self.user}"

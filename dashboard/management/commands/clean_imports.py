"""Delete what CSV imports keep of uploaded files once it is no longer needed. Run it daily (cron, a scheduler)."""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from dashboard import importing
from dashboard.models import ImportRun
from prism_client import PrismError

Status = ImportRun.Status
ENDED = (Status.COMPLETE, Status.FAILED)


class Command(BaseCommand):
    help = (
        "Delete uploaded CSV text: drafts uploaded more than IMPORT_RETENTION_DAYS ago, and the failed-rows "
        "file of imports that ended longer ago than that; imports still running that long are checked once "
        "with the API; ended imports that still hold their file (from before runs let go of it) let go of it."
    )

    def handle(self, *args, **options) -> None:
        cutoff = timezone.now() - dt.timedelta(days=settings.IMPORT_RETENTION_DAYS)
        for run in ImportRun.objects.filter(status=Status.RUNNING, updated_at__lt=cutoff).iterator(chunk_size=10):
            try:
                importing.poll(run)  # the API forgets a job after a day: the run ends, and lets go of its file
            except PrismError as exc:
                self.stderr.write(f"Import {run.pk} could not be checked: {exc}")
        archived = 0
        for run in ImportRun.objects.filter(status__in=ENDED).exclude(csv_text="").iterator(chunk_size=10):
            importing.archive(run)
            archived += 1
        drafts, _ = ImportRun.objects.filter(status=Status.DRAFT, created_at__lt=cutoff).delete()
        failed_files = ImportRun.objects.filter(status__in=ENDED, updated_at__lt=cutoff).exclude(failed_csv="").update(failed_csv="")
        self.stdout.write(
            f"Deleted {drafts} draft import(s) and {failed_files} failed-rows file(s) older than {settings.IMPORT_RETENTION_DAYS} days; "
            f"{archived} ended import(s) let go of their file."
        )

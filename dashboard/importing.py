"""CSV import runs: send the planned rows to the API in chunks, follow its jobs, keep the results.

Rows the dashboard cannot convert fail before the API sees them. The others go to
`POST /{type}/import` in chunks of at most 10,000 rows (the API's limit). Small
chunks are answered at once; larger ones come back as jobs, which the run's
progress page polls (`poll`): there is no dashboard task waiting on the API's
task, so one task worker can never deadlock on its own queue.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from prism_client import APIConnectionError, ImportJob, NotFound, PrismError

from . import acting, audit, csv_import, prism
from .errors import describe
from .models import AuditEntry, ImportRun

Status = ImportRun.Status


class StartFailed(Exception):
    """Nothing could be sent: the run is a draft again, and the message says why."""


@dataclass(frozen=True)
class Progress:
    processed: int
    succeeded: int
    failed: int
    total: int
    notice: str = ""  # the API could not be read this time (polling goes on)

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 100


def progress_of(run: ImportRun, notice: str = "") -> Progress:
    return Progress(run.processed, run.succeeded, run.failed, run.row_count, notice)


def table_of(run: ImportRun) -> csv_import.CsvTable:
    return csv_import.parse(run.csv_text)


def start(run: ImportRun, schema, user) -> None:
    """Send the run's rows to the API. Small imports end here; large ones leave jobs to poll.

    StartFailed when no chunk could be sent (the run goes back to being a draft).
    """
    if not ImportRun.objects.filter(pk=run.pk, status=Status.DRAFT).update(status=Status.RUNNING, updated_at=timezone.now()):
        run.refresh_from_db()
        return  # started already (a second click, another tab)
    plans = list(csv_import.plan(table_of(run), run.mapping, schema.properties))
    results = csv_import.initial_results(plans)
    service = prism.client().service(run.object_type)
    job_ids: list[str] = []
    sent, last_error = 0, None
    for chunk in csv_import.chunks(csv_import.pending_slots(results)):
        rows = [plans[i].values for i in chunk]
        try:
            job = service.import_(
                rows,
                dedupe_by=run.dedupe_by or None,
                case_insensitive=run.case_insensitive if run.dedupe_by else None,
                idempotency_key=chunk_key(run, rows),
            )
        except PrismError as exc:
            last_error = exc
            csv_import.fill(results, chunk, (), stopped=f"Not imported: {describe(exc)}")
            continue
        sent += 1
        if job.finished:
            csv_import.fill(results, chunk, job.results, stopped=_stopped(job))
        else:
            csv_import.assign(results, chunk, len(job_ids))
            job_ids.append(job.job_id)
    if last_error is not None and not sent:
        ImportRun.objects.filter(pk=run.pk).update(status=Status.DRAFT, updated_at=timezone.now())
        run.refresh_from_db()
        audit.log(
            user,
            AuditEntry.Action.IMPORT,
            run.object_type,
            record_repr=_name(run),
            after=_summary(run, results),
            outcome=AuditEntry.Outcome.FAILED,
            error=last_error,
        )
        if isinstance(last_error, APIConnectionError):
            # No answer is not a refusal: the rows may have gone in. Each chunk keeps its
            # Idempotency-Key (chunk_key), so importing again cannot import them twice.
            raise StartFailed(
                f"{describe(last_error)} Whether the rows went in is not known; importing again is safe, "
                "as rows already imported are not imported twice."
            )
        raise StartFailed(f"Nothing was imported. {describe(last_error)}")
    run.job_ids, run.results = job_ids, results
    _count(run, csv_import.tally(results))
    run.save(update_fields=["job_ids", "results", "processed", "succeeded", "failed", "updated_at"])
    if not job_ids:
        finish(run, results)


def chunk_key(run: ImportRun, rows: list[dict]) -> str:
    """One Idempotency-Key per run and chunk: starting a run again after a failure whose
    import did reach the API (the answer was lost) replays it instead of importing twice."""
    options = [run.dedupe_by, run.case_insensitive if run.dedupe_by else None]
    digest = hashlib.sha256(json.dumps([rows, options], sort_keys=True, default=str).encode()).hexdigest()[:24]
    return f"dashboard-import-{run.pk}-{digest}"


def poll(run: ImportRun) -> Progress:
    """Read the run's API jobs once: progress, or the results when every job has ended."""
    if run.status != Status.RUNNING:
        return progress_of(run)
    # The API's import jobs are readable only by the key that started them: whoever
    # opens the page, the run is read with its owner's key.
    with acting.acting_as(run.user):
        try:
            client = prism.client()
        except acting.NoPrismKey:
            return progress_of(run, "The person who started this import has no Prism key connected now, so its progress cannot be read.")
        return _poll(run, client)


def _poll(run: ImportRun, client) -> Progress:
    jobs: list[ImportJob] = []
    try:
        for job_id in run.job_ids:
            jobs.append(client.imports.get(job_id))
    except NotFound:
        gone = "The Prism API no longer knows this import's job (it keeps them for 24 hours)."
        jobs += [ImportJob(job_id=j, status="failed", total=0) for j in run.job_ids[len(jobs) :]]
        return _end(run, jobs, gone)
    except PrismError as exc:
        return progress_of(run, f"{describe(exc)} The import goes on; this page keeps checking.")
    if all(job.finished for job in jobs):
        return _end(run, jobs)
    known = csv_import.tally(run.results)
    run.processed = known.processed + sum(j.processed for j in jobs)
    run.succeeded = known.succeeded + sum(j.succeeded for j in jobs)
    run.failed = known.failed + sum(j.failed for j in jobs)
    ImportRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
        processed=run.processed, succeeded=run.succeeded, failed=run.failed, updated_at=timezone.now()
    )
    return progress_of(run)


def _end(run: ImportRun, jobs: list[ImportJob], error: str = "") -> Progress:
    results = list(run.results)
    for index, job in enumerate(jobs):
        csv_import.fill(results, csv_import.pending_slots(results, index), job.results, stopped=error or _stopped(job))
    stopped = [j for j in jobs if j.status == "failed"]
    if stopped and not error:
        error = _stopped(stopped[0])
    finish(run, results, error=error)
    return progress_of(run)


def finish(run: ImportRun, results: list[dict], *, error: str = "") -> None:
    """Store the results and counts, once (concurrent pollers race here), and audit the import."""
    counts = csv_import.tally(results)
    with transaction.atomic():
        won = ImportRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
            status=Status.FAILED if error else Status.COMPLETE,
            results=results,
            processed=counts.processed,
            succeeded=counts.succeeded,
            failed=counts.failed,
            error=error,
            updated_at=timezone.now(),
        )
        if won:
            audit.log(
                run.user,
                AuditEntry.Action.IMPORT,
                run.object_type,
                record_repr=_name(run),
                after=_summary(run, results),
                outcome=AuditEntry.Outcome.FAILED if error else AuditEntry.Outcome.OK,
                message=error or f"{counts.created:,} created, {counts.updated:,} updated, {counts.failed:,} failed",
            )
    run.refresh_from_db()


def _count(run: ImportRun, counts: csv_import.Tally) -> None:
    run.processed, run.succeeded, run.failed = counts.processed, counts.succeeded, counts.failed
    run.updated_at = timezone.now()


def _stopped(job: ImportJob) -> str:
    if job.status != "failed":
        return ""
    reason = (job.error.message if job.error else None) or "the Prism API stopped the import"
    return f"Not imported: {reason}"


def _name(run: ImportRun) -> str:
    return run.filename or "pasted CSV"


def _summary(run: ImportRun, results: list[dict]) -> dict:
    counts = csv_import.tally(results)
    return {
        "rows": run.row_count,
        "created": counts.created,
        "updated": counts.updated,
        "failed": counts.failed,
        "dedupe_by": run.dedupe_by or None,
        "import_run": str(run.pk),
    }

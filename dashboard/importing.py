"""CSV import runs: send the planned rows to the API in chunks, follow its jobs, keep the results.

Rows the dashboard cannot convert fail before the API sees them. The others go to
`POST /{type}/import` in chunks of at most 10,000 rows (the API's limit). Small
chunks are answered at once; larger ones come back as jobs, which the run's
progress page polls (`poll`): there is no dashboard task waiting on the API's
task, so one task worker can never deadlock on its own queue.
"""

import hashlib
import itertools
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
    """The run's file, its rows read from the stored text as they are needed (never all at once)."""
    text = run.csv_text
    return csv_import.CsvTable(tuple(run.headers), csv_import.StoredRows(text), csv_import.sniff_delimiter(text))


def preview_table(run: ImportRun) -> csv_import.CsvTable:
    """The first rows, kept at upload: what the mapping page shows, without reading the file."""
    if not run.preview_rows and run.csv_text:  # uploaded before runs kept them
        run.preview_rows = list(itertools.islice(table_of(run).rows, csv_import.FIRST_ROWS))
        ImportRun.objects.filter(pk=run.pk).update(preview_rows=run.preview_rows)
    return csv_import.CsvTable(tuple(run.headers), tuple(tuple(row) for row in run.preview_rows))


def check_key(mapping: dict, properties) -> str:
    """What the count of rows that cannot be imported depends on: the mapping and the properties."""
    props = sorted(repr(p) for p in csv_import.importable(properties))
    return hashlib.sha256(json.dumps([mapping, props], sort_keys=True).encode()).hexdigest()


def _checked(run: ImportRun, properties) -> dict:
    """How many rows cannot be imported with the run's mapping, and the first of those past
    the preview (number and cells): counted at upload, and again (one reading of the stored
    file, row by row) only after the mapping or the properties changed."""
    key = check_key(run.mapping, properties)
    if run.checked.get("key") != key or "invalid" not in run.checked:
        table = table_of(run)
        props = {p.slug: p for p in csv_import.importable(properties)}
        mapped = csv_import.mapped_columns(table.headers, run.mapping, props)
        bad, invalid = 0, []
        for number, row in enumerate(table.rows, start=1):
            if not csv_import.plan_row(number, row, table.headers, run.mapping, props, mapped=mapped).ok:
                bad += 1
                if number > csv_import.PREVIEW_ROWS and len(invalid) < csv_import.MAX_INVALID_SHOWN:
                    invalid.append([number, list(row)])
        run.checked = {"key": key, "bad_rows": bad, "invalid": invalid}
        ImportRun.objects.filter(pk=run.pk).update(checked=run.checked)
    return run.checked


def bad_rows(run: ImportRun, properties) -> int:
    return _checked(run, properties)["bad_rows"]


def invalid_rows(run: ImportRun, properties) -> list[csv_import.RowPlan]:
    """The rows past the preview's first ones that cannot be imported, with every cell's outcome."""
    props = {p.slug: p for p in csv_import.importable(properties)}
    return [
        csv_import.plan_row(number, row, tuple(run.headers), run.mapping, props, with_cells=True)
        for number, row in _checked(run, properties)["invalid"]
    ]


def start(run: ImportRun, schema, user) -> None:
    """Send the run's rows to the API. Small imports end here; large ones leave jobs to poll.

    StartFailed when no chunk could be sent (the run goes back to being a draft).
    """
    if not ImportRun.objects.filter(pk=run.pk, status=Status.DRAFT).update(status=Status.RUNNING, updated_at=timezone.now()):
        run.refresh_from_db()
        return  # started already (a second click, another tab)
    # Two readings of the file, row by row, rather than every row's plan in memory at once: the
    # first finds the rows that fail here, the second sends the others, one chunk at a time.
    table = table_of(run)
    results = csv_import.initial_results(csv_import.plan(table, run.mapping, schema.properties))
    good = (p.values for p in csv_import.plan(table, run.mapping, schema.properties) if p.ok)  # the pending slots' rows, in order
    service = prism.client().service(run.segment)
    job_ids: list[str] = []
    sent, last_error = 0, None
    for chunk in csv_import.chunks(csv_import.pending_slots(results)):
        rows = list(itertools.islice(good, len(chunk)))
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
            run.segment,
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
    labels, failed_csv = outcome_of(run, results)
    with transaction.atomic():
        won = ImportRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
            status=Status.FAILED if error else Status.COMPLETE,
            results=results,
            labels=labels,
            failed_csv=failed_csv,
            csv_text="",  # the uploaded file is not kept once the run has ended
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
                run.segment,
                record_repr=_name(run),
                after=_summary(run, results),
                outcome=AuditEntry.Outcome.FAILED if error else AuditEntry.Outcome.OK,
                message=error or f"{counts.created:,} created, {counts.updated:,} updated, {counts.failed:,} failed",
            )
    run.refresh_from_db()


def outcome_of(run: ImportRun, results: list[dict]) -> tuple[list[str], str]:
    """What an ended run keeps of its file: each row's label, and the failed rows as CSV."""
    if not run.csv_text:  # already let go of (nothing to keep)
        return list(run.labels), run.failed_csv
    labels: list[str] = []
    failed_csv = csv_import.failed_rows_csv(table_of(run), results, labels)
    return labels, failed_csv


def archive(run: ImportRun) -> None:
    """An ended run that still holds its file (ended before runs let go of it): keep what
    its results page needs, delete the file."""
    if run.status in (Status.COMPLETE, Status.FAILED) and run.csv_text:
        run.labels, run.failed_csv = outcome_of(run, run.results)
        run.csv_text = ""
        run.save(update_fields=["labels", "failed_csv", "csv_text"])


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

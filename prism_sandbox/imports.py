"""Imports: many rows in one request; a bad row fails alone, results keep input order.

Rows are validated one by one in Python, with the references of a whole chunk
checked in one query per target type, and the valid ones inserted together (with
dedupe_by, each row is applied in turn in its own savepoint instead).

Up to SYNC_IMPORT_LIMIT rows are applied during the request. Larger imports become
an ImportJob that a background task (Django tasks, `manage.py db_worker`) works
through in chunks, committing progress after each so that pollers see the
counters grow.
"""

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Value
from django.db.models.lookups import Exact
from django.tasks import task
from django.utils import timezone

from .errors import ApiError, bad_request, not_found
from .expressions import TEXT_KINDS, PropValue
from .grants import access_checker, visible_records
from .models import ApiKey, ImportJob, Record
from .query import equals, operand
from .records import References, clean_list_values, clean_properties
from .schemas import TypeSchema, team_schemas
from .values import InvalidValue, format_datetime

logger = logging.getLogger(__name__)

CHUNK = 250
JOB_TTL = dt.timedelta(hours=24)
STALLED_AFTER = dt.timedelta(seconds=60)


def parse_import(schema: TypeSchema, body: dict) -> tuple[list, dict]:
    objects = body.get("objects")
    if not isinstance(objects, list):
        raise bad_request("`objects` must be a list of {default, list} objects.", field="objects")
    limit = settings.PRISM_SANDBOX["MAX_IMPORT_ROWS"]
    if len(objects) > limit:
        raise ApiError(413, "too_many_items", f"An import takes at most {limit:,} rows; got {len(objects):,}.")
    raw_options = body.get("options") or {}
    if not isinstance(raw_options, dict):
        raise bad_request("`options` must be an object.", field="options")
    options: dict[str, Any] = {"case_insensitive": bool(raw_options.get("caseInsensitive", False))}
    dedupe_by = raw_options.get("dedupe_by")
    if dedupe_by is not None:
        prop = schema.get(dedupe_by) if isinstance(dedupe_by, str) else None
        if prop is None or prop.system:
            raise bad_request(f"`dedupe_by`: unknown property `{dedupe_by}`.", field="options.dedupe_by")
        options["dedupe_by"] = dedupe_by
    if raw_options.get("list_id") is not None:
        try:
            options["list_id"] = str(uuid.UUID(str(raw_options["list_id"])))
        except ValueError:
            raise bad_request("`list_id` must be a UUID.", field="options.list_id") from None
    return objects, options


def _dedupe_match(base_qs, schema: TypeSchema, slug: str, raw: Any, case_insensitive: bool) -> list[Record]:
    prop = schema.get(slug)
    wanted = operand(prop, raw, "=")
    if prop.type in TEXT_KINDS and not case_insensitive:
        # The indexed LOWER() comparison narrows, the exact one decides.
        cond = equals(prop, wanted) & Exact(PropValue(slug), Value(wanted))
    else:
        cond = equals(prop, wanted)
    return list(base_qs.filter(deleted_at__isnull=True).filter(cond)[:2])


def _error(code: str, message: str) -> dict:
    return {"id": None, "created": False, "existing": False, "error": {"code": code, "message": message}}


def _error_of(exc: ApiError | InvalidValue) -> dict:
    if isinstance(exc, InvalidValue):
        return _error("validation_error", str(exc))
    fields = exc.details.get("fields")
    message = "; ".join(f"{k}: {v}" for k, v in fields.items()) if fields else exc.message
    return _error(exc.code, message)


def _row_body(row: Any, options: dict) -> dict:
    """The row as a record write {default, list}; ApiError if it is not one."""
    if not isinstance(row, dict):
        raise ApiError(400, "invalid_row", "Each row must be an object {default, list}.")
    default = row.get("default") or {}
    if not isinstance(default, dict):
        raise ApiError(400, "invalid_row", "`default` must be an object of {slug: value}.")
    if options.get("list_id") and row.get("list") is None:
        return {"default": {}, "list": {options["list_id"]: default}}
    return {"default": default, "list": row.get("list")}


def apply_row(team_id, schemas, segment: str, row: Any, options: dict, key: ApiKey | None, refs: References) -> dict:
    """Apply one import row in its own savepoint; returns its result. Never raises for a bad row.

    Dedupe matches only records the key can read: a hidden one is no match (the row
    creates a record, as with no match at all); a readable one it may not write is 403.
    """
    try:
        body = _row_body(row, options)
        with transaction.atomic():
            dedupe_by = options.get("dedupe_by")
            default = row.get("default") or {}  # dedupe reads the row's values, wherever they go
            if dedupe_by and default.get(dedupe_by) is not None:
                base_qs = visible_records(team_id, segment, key)
                matches = _dedupe_match(base_qs, schemas[segment], dedupe_by, default[dedupe_by], options["case_insensitive"])
                if len(matches) > 1:
                    return _error("multiple_matches", f"Several records have {dedupe_by} = {default[dedupe_by]!r}.")
                if matches:
                    record = matches[0]
                    access_checker(key, "w")(record)
                    props = clean_properties(refs, schemas, segment, body["default"], current=record.properties)
                    lists = clean_list_values(refs, schemas, segment, body["list"], record.list_values)
                    if props != record.properties or lists != record.list_values:
                        record.properties, record.list_values = props, lists
                        record.revision += 1
                        record.updated_at = timezone.now()
                        record.save(update_fields=["properties", "list_values", "revision", "updated_at"])
                    return {"id": str(record.id), "created": False, "existing": True, "error": None}
            record = _new_record(team_id, schemas, segment, body, refs)
            record.save(force_insert=True)
            return {"id": str(record.id), "created": True, "existing": False, "error": None}
    except (ApiError, InvalidValue) as exc:
        return _error_of(exc)


def _new_record(team_id, schemas, segment: str, body: dict, refs: References) -> Record:
    """A validated, unsaved record for a create row (what create_record would insert)."""
    props = clean_properties(refs, schemas, segment, body["default"])
    lists = clean_list_values(refs, schemas, segment, body["list"])
    now = timezone.now()
    return Record(
        team_id=team_id,
        segment=segment,
        properties=props,
        list_values=lists,
        source="import",
        created_at=now,
        updated_at=now,
    )


def apply_rows(team_id, schemas, segment: str, rows: list, options: dict, key: ApiKey | None) -> list[dict]:
    """Apply rows in input order, as `key` (the one that started the import).

    One result per row, a bad row failing alone. References are checked with one
    query per target type for all the rows. Without dedupe_by, rows are validated in
    Python and the valid ones go in with one bulk INSERT. With dedupe_by each row is
    applied in turn (in its own savepoint), so a row can match the record an earlier
    row created.
    """
    refs = References(team_id, key)
    refs.prefetch(schemas[segment], rows)
    if options.get("dedupe_by"):
        return [apply_row(team_id, schemas, segment, row, options, key, refs) for row in rows]
    results: list[dict] = []
    pending: list[tuple[int, Record]] = []
    for row in rows:
        try:
            record = _new_record(team_id, schemas, segment, _row_body(row, options), refs)
        except (ApiError, InvalidValue) as exc:
            results.append(_error_of(exc))
            continue
        pending.append((len(results), record))
        results.append({"id": str(record.id), "created": True, "existing": False, "error": None})
    try:
        with transaction.atomic():
            Record.objects.bulk_create([record for _, record in pending])
    except DatabaseError:
        # Something only the database refuses: find which rows, one at a time.
        for index, record in pending:
            try:
                with transaction.atomic():
                    record.save(force_insert=True)
            except DatabaseError as exc:
                logger.warning("Import row refused by the database: %s", exc)
                results[index] = _error("invalid_row", "The database refused this row.")
    return results


def snapshot(job: ImportJob) -> dict:
    """The job as GET /imports/{jobId} shows it; results once it has finished."""
    done = job.status != ImportJob.Status.PROCESSING
    return {
        "job_id": str(job.id),
        "status": job.status,
        "total": job.total,
        "processed": job.processed,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "results": job.results if done else None,
        "error": job.error,
        "created_at": format_datetime(job.created_at),
        "updated_at": format_datetime(job.updated_at),
        "expires_at": format_datetime(job.expires_at),
    }


def run_sync(team_id, schemas, segment: str, objects: list, options: dict, key: ApiKey) -> dict:
    started = timezone.now()
    results = apply_rows(team_id, schemas, segment, objects, options, key)
    failed = sum(1 for r in results if r["error"])
    return {
        "job_id": None,
        "status": ImportJob.Status.COMPLETE,
        "total": len(objects),
        "processed": len(objects),
        "succeeded": len(objects) - failed,
        "failed": failed,
        "results": results,
        "error": None,
        "created_at": format_datetime(started),
        "updated_at": format_datetime(timezone.now()),
        "expires_at": None,
    }


def start_job(team_id, api_key, segment: str, objects: list, options: dict) -> ImportJob:
    now = timezone.now()
    job = ImportJob.objects.create(
        team_id=team_id,
        api_key=api_key,
        segment=segment,
        total=len(objects),
        objects_json=objects,
        options=options,
        created_at=now,
        updated_at=now,
        expires_at=now + JOB_TTL,
    )
    transaction.on_commit(lambda: run_import.enqueue(str(job.id)))
    return job


def get_job(team_id, job_id: str, key: ApiKey) -> ImportJob:
    """A live job of the team, if `key` started it or is a team admin; else 404, as for a missing job."""
    try:
        pk = uuid.UUID(job_id)
    except ValueError:
        raise not_found(f"No import job {job_id}.") from None
    jobs = ImportJob.objects.filter(team_id=team_id, pk=pk, expires_at__gt=timezone.now())
    if not key.is_admin:
        jobs = jobs.filter(api_key=key)
    job = jobs.defer("objects_json").first()
    if job is None:
        raise not_found(f"No import job {job_id}.")
    resume_if_stalled(job)
    return job


def resume_if_stalled(job: ImportJob) -> None:
    """A worker that died mid-job leaves it 'processing' forever: enqueue it again.

    The task resumes after the last committed chunk, so no row is applied twice.
    """
    cutoff = timezone.now() - STALLED_AFTER
    if job.status != ImportJob.Status.PROCESSING or job.updated_at > cutoff:
        return
    bumped = ImportJob.objects.filter(pk=job.pk, updated_at=job.updated_at).update(updated_at=timezone.now())
    if bumped:  # one poller re-enqueues, not every one
        logger.warning("Import job %s stalled; enqueued again.", job.pk)
        run_import.enqueue(str(job.pk))


@task()
def run_import(job_id: str) -> None:
    """Work through a job chunk by chunk; safe to run twice (a stalled job re-enqueued)."""
    job = ImportJob.objects.select_related("api_key").get(pk=job_id)
    if job.status != ImportJob.Status.PROCESSING:
        return
    schemas = team_schemas(job.team_id)
    rows = job.objects_json
    try:
        while True:
            with transaction.atomic():
                # Re-read under lock: another run of this job may have moved on.
                current = ImportJob.objects.select_for_update().defer("objects_json").get(pk=job_id)
                if current.status != ImportJob.Status.PROCESSING:
                    return
                start = current.processed
                if start >= len(rows):
                    break
                chunk = apply_rows(job.team_id, schemas, job.segment, rows[start : start + CHUNK], job.options, job.api_key)
                failed = sum(1 for r in chunk if r["error"])
                current.results = [*current.results, *chunk]
                current.processed += len(chunk)
                current.failed += failed
                current.succeeded += len(chunk) - failed
                current.updated_at = timezone.now()
                current.save(update_fields=["processed", "failed", "succeeded", "results", "updated_at"])
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.COMPLETE, objects_json=[], updated_at=timezone.now())
    except Exception as exc:  # a job-level failure is reported on the job, not lost
        logger.exception("Import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            error={"code": "import_failed", "message": f"The import stopped: {exc.__class__.__name__}."},
            updated_at=timezone.now(),
        )

"""Bulk actions: set a property, delete, restore or apply a grant to many records, 100 at a time.

Selected records run during the request; "all matching" runs as a Django task. Either
way a BulkJob keeps the progress and, per record that failed, the reason — so the
person can leave, come back, and select the failed ones again.
"""

import logging
from collections.abc import Iterable

from django.tasks import task
from django.utils import timezone

from prism_client import (
    BatchResult,
    Filter,
    Grant,
    PrismError,
    Query,
    RecordPatch,
    RecordService,
    Sort,
)
from prism_client.resources import chunked

from . import acting, prism
from .errors import describe
from .models import AuditEntry, BulkJob

logger = logging.getLogger(__name__)
CHUNK = 100
# "All matching" reads at most this many pages of ids (100,000 records at 50 a page).
MAX_PAGES = 2_000
AUDIT_ACTIONS = {
    BulkJob.Action.SET: AuditEntry.Action.BULK_UPDATE,
    BulkJob.Action.DELETE: AuditEntry.Action.BULK_DELETE,
    BulkJob.Action.RESTORE: AuditEntry.Action.RESTORE,
    BulkJob.Action.GRANT: AuditEntry.Action.GRANT,
}


def _one_by_one(ids: Iterable[str], call) -> list[tuple[str, str | None]]:
    out = []
    for record_id in ids:
        try:
            call(record_id)
            out.append((record_id, None))
        except PrismError as exc:
            out.append((record_id, getattr(exc, "message", None) or describe(exc)))
    return out


def batch_outcomes(ids: list[str], result: BatchResult) -> list[tuple[str, str | None]]:
    """(id, error or None) per id sent. Results come in input order, so they are matched by
    position and named by the id sent (not whatever id the answer holds); an id with no
    result counts as failed, since nothing says it was done."""
    out: list[tuple[str, str | None]] = []
    for position, record_id in enumerate(ids):
        if position >= len(result.results):
            out.append((record_id, "The Prism API sent no result for this record."))
            continue
        item = result.results[position]
        out.append((record_id, None if item.ok else ((item.error.message if item.error else None) or "failed")))
    return out


def apply_chunk(service: RecordService, job: BulkJob, ids: list[str]) -> list[tuple[str, str | None]]:
    """(id, error or None) for each record of one chunk (≤ 100)."""
    if job.action == BulkJob.Action.SET:
        patches = [RecordPatch(i, {job.params["slug"]: job.params["value"]}) for i in ids]
        return batch_outcomes(ids, service.batch_update(patches))
    if job.action == BulkJob.Action.DELETE:
        return batch_outcomes(ids, service.batch_delete(ids))
    if job.action == BulkJob.Action.RESTORE:
        return _one_by_one(ids, service.restore)
    if job.action == BulkJob.Action.GRANT:
        grant = Grant.from_wire(job.params["grant"])
        return _one_by_one(ids, lambda i: service.put_grant(i, grant))
    raise ValueError(f"unknown bulk action {job.action!r}")


def record_chunk(job: BulkJob, outcomes: list[tuple[str, str | None]]) -> None:
    failures = [{"id": i, "error": e} for i, e in outcomes if e]
    job.processed += len(outcomes)
    job.failed += len(failures)
    job.succeeded += len(outcomes) - len(failures)
    job.failures = [*job.failures, *failures]
    job.updated_at = timezone.now()
    job.save(update_fields=["processed", "failed", "succeeded", "failures", "updated_at"])
    after = job.params.get("grant") or ({job.params["slug"]: job.params["value"]} if "slug" in job.params else None)
    AuditEntry.objects.bulk_create(
        AuditEntry(
            user_id=job.user_id,
            username=job.user.username if job.user else "",
            action=AUDIT_ACTIONS[job.action],
            segment=job.segment,
            record_id=i,
            after=after,
            outcome=AuditEntry.Outcome.FAILED if e else AuditEntry.Outcome.OK,
            message=e or f"Bulk action {job.pk}",
        )
        for i, e in outcomes
    )


def _finish(job: BulkJob, error: str = "") -> None:
    job.status = BulkJob.Status.FAILED if error else BulkJob.Status.COMPLETE
    job.error = error
    job.updated_at = timezone.now()
    job.save(update_fields=["status", "error", "updated_at"])


def run_selected(job: BulkJob) -> None:
    """Selected records: during the request, in chunks of 100."""
    service = prism.client().service(job.segment)
    job.status, job.total = BulkJob.Status.RUNNING, len(job.ids)
    job.save(update_fields=["status", "total"])
    try:
        for ids in chunked(list(job.ids), CHUNK):
            record_chunk(job, apply_chunk(service, job, ids))
    except PrismError as exc:
        _finish(job, describe(exc))
        return
    _finish(job)


@task()
def run_bulk_job(job_id: str) -> None:
    job = BulkJob.objects.select_related("user").get(pk=job_id)
    if job.status != BulkJob.Status.QUEUED:
        return  # delivered twice: do nothing twice
    # The job acts as the person who started it: their key, so their grants.
    with acting.acting_as(job.user):
        try:
            service = prism.client().service(job.segment)
        except acting.NoPrismKey:
            _finish(job, "Not started: the person who started it no longer has a Prism key connected.")
            return
        _run_all_matching(job, service)


def _run_all_matching(job: BulkJob, service) -> None:
    try:
        # Read every id first: changing records while paging through them could move
        # them across pages (say, a filter on the very property being set).
        # The walk always ends: prism_client stops a cursor that does not advance, and
        # MAX_PAGES bounds it. An id sent twice (pages that shifted) is changed once.
        pages = service.iter_pages(query_from_wire(job.query), max_pages=MAX_PAGES)
        ids = list(dict.fromkeys(row.id for page in pages for row in page.rows))
        job.status, job.total = BulkJob.Status.RUNNING, len(ids)
        job.save(update_fields=["status", "total"])
        for chunk in chunked(ids, CHUNK):
            record_chunk(job, apply_chunk(service, job, chunk))
    except PrismError as exc:
        logger.warning("Bulk job %s stopped: %s", job.pk, exc)
        _finish(job, describe(exc))
        return
    _finish(job)


def query_from_wire(body: dict) -> Query:
    """The table's query (as stored on the job), to walk every matching record."""
    q = body.get("query", {})
    filters = tuple(Filter(slug, op, value) for item in q.get("filter", []) for slug, ops in item.items() for op, value in ops.items())
    sort = tuple(Sort(slug, direction) for item in q.get("sort", []) for slug, direction in item.items())
    return Query(
        select=tuple(q.get("select", ()))[:1],
        filters=filters,
        combinator=q.get("combinator", "AND"),
        sort=sort,
        limit=50,
        deleted=bool(body.get("deleted")),
        ids=tuple(body.get("id", ()) or ()),
    )

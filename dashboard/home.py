"""The home page: record counts, deals by stage and the latest changes made here.

The counts, then the stage counts, then the readability checks of the latest changes,
each go out at once (fan_out.py); one Outage is shared by all three, so a page that
finds the API down does not ask it anything more.
"""

from functools import partial

from prism_client import OBJECT_TYPES, PrismError, Query

from . import changes, prism, visibility
from .errors import describe
from .fan_out import Outage, fan_out
from .models import AuditEntry

LATEST_CHANGES = 10
# One count request per stage: a schema listing hundreds of options must not mean hundreds of requests.
MAX_STAGES = 20


def _count(segment: str) -> int:
    return prism.client().service(segment).count()


def counts(outage: Outage | None = None) -> list[dict]:
    results = fan_out([partial(_count, t.segment) for t in OBJECT_TYPES], outage=outage)
    out = []
    for t, result in zip(OBJECT_TYPES, results, strict=True):
        failed = isinstance(result, PrismError)
        out.append({"type": t, "total": None if failed else result, "error": result if failed else None})
    return out


def _deal_schema():
    return prism.schema("deal")


def _stage_total(slug: str) -> int:
    page = prism.client().service("deal").query(Query(select=("stage",), limit=1, include_total=True).where("stage", "=", slug))
    return page.total or 0


def deals_by_stage(outage: Outage | None = None) -> list[dict]:
    """One count per stage option (include_total, limit 1): a handful of small calls."""
    outage = outage or Outage()
    [schema] = fan_out([_deal_schema], outage=outage)
    if isinstance(schema, PrismError):
        raise schema
    stage = schema.get("stage")
    if stage is None or not stage.options:
        return []
    options = stage.options[:MAX_STAGES]
    totals = fan_out([partial(_stage_total, option.slug) for option in options], outage=outage)
    failed = next((t for t in totals if isinstance(t, PrismError)), None)
    if failed is not None:
        raise failed
    bars = [
        {"slug": option.slug, "label": option.name, "color": option.color or "gray", "total": total}
        for option, total in zip(options, totals, strict=True)
    ]
    biggest = max((b["total"] for b in bars), default=0) or 1
    for bar in bars:
        bar["percent"] = round(100 * bar["total"] / biggest)
    return bars


def overview(user) -> dict:
    outage = Outage()
    numbers = counts(outage)
    try:
        chart = deals_by_stage(outage)
        chart_error = None
    except PrismError as exc:
        chart, chart_error = [], exc
    failed = next((c["error"] for c in numbers if c["error"] is not None), None)
    recent = list(AuditEntry.objects.select_related("user")[: LATEST_CHANGES * 5])
    # Only changes to records this person can read now (asked of the API with their key),
    # with the names of the records they touched and refer to, in the same calls.
    # The schemas through the page's Outage: an API found down is not waited for again here.
    [schemas] = fan_out([prism.schemas], outage=outage)
    schemas = {} if isinstance(schemas, PrismError) else schemas
    latest, found = visibility.visible_entries(
        recent, LATEST_CHANGES, outage=outage, also=changes.references(recent, schemas), schemas=schemas
    )
    return {
        "counts": numbers,
        "counts_error": describe(failed) if failed else "",
        "chart": chart,
        "chart_error": chart_error,
        "latest_changes": changes.described(latest, found, schemas),
    }

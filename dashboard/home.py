"""The home page: record counts, deals by stage and the latest changes made here."""

from prism_client import OBJECT_TYPES, APIConnectionError, PrismError, Query, RateLimited, ServerError

from . import prism, visibility
from .errors import describe
from .models import AuditEntry

LATEST_CHANGES = 10
# One count request per stage: a schema listing hundreds of options must not mean hundreds of requests.
MAX_STAGES = 20


def counts() -> list[dict]:
    out = []
    down: PrismError | None = None
    for t in OBJECT_TYPES:
        total: int | None = None
        error = down
        if down is None:
            try:
                total = prism.client().service(t.segment).count()
            except PrismError as exc:
                error = exc
                # Unreachable, too slow or refusing for now: the next count would wait just
                # as long to fail the same way, so the page does not ask again.
                if isinstance(exc, (APIConnectionError, RateLimited, ServerError)):
                    down = exc
        out.append({"type": t, "total": total, "error": error})
    return out


def deals_by_stage() -> list[dict]:
    """One count per stage option (include_total, limit 1): a handful of small calls."""
    stage = prism.schema("deal").get("stage")
    if stage is None or not stage.options:
        return []
    service = prism.client().service("deal")
    bars = []
    for option in stage.options[:MAX_STAGES]:
        page = service.query(Query(select=("stage",), limit=1, include_total=True).where("stage", "=", option.slug))
        bars.append({"slug": option.slug, "label": option.name, "color": option.color or "gray", "total": page.total or 0})
    biggest = max((b["total"] for b in bars), default=0) or 1
    for bar in bars:
        bar["percent"] = round(100 * bar["total"] / biggest)
    return bars


def overview(user) -> dict:
    try:
        chart = deals_by_stage()
        chart_error = None
    except PrismError as exc:
        chart, chart_error = [], exc
    numbers = counts()
    failed = next((c["error"] for c in numbers if c["error"] is not None), None)
    return {
        "counts": numbers,
        "counts_error": describe(failed) if failed else "",
        "chart": chart,
        "chart_error": chart_error,
        # Only changes to records this person can read now (asked of the API with their key).
        "latest_changes": visibility.visible_entries(AuditEntry.objects.select_related("user")[: LATEST_CHANGES * 5], LATEST_CHANGES),
    }

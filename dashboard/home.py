"""The home page: record counts, deals by stage and the latest changes made here.

Every API call of the page goes out in one round (fan_out.py): the counts, one count per
stage and the readability checks of the latest changes are independent of each other, and
the stages come from the cached schema (prism.schemas()), so home waits for its slowest
call, not for their sum. One Outage is shared by all of them: once the API is found down,
nothing more is asked of it.
"""

from functools import partial
from urllib.parse import urlencode

from django.urls import reverse

from prism_client import OBJECT_TYPES, PrismError, Query

from . import changes, prism, visibility
from .errors import describe
from .fan_out import Outage, fan_out
from .list_state import ROW_OPERATOR, ROW_PROPERTY, ROW_VALUE
from .models import AuditEntry

LATEST_CHANGES = 10
# One count request per stage: a schema listing hundreds of options must not mean hundreds of requests.
MAX_STAGES = 20
STAGE = "stage"


def _count(segment: str) -> int:
    return prism.client().service(segment).count()


def _stage_total(slug: str) -> int:
    page = prism.client().service("deal").query(Query(select=(STAGE,), limit=1, include_total=True).where(STAGE, "=", slug))
    return page.total or 0


def stage_options(outage: Outage) -> tuple[list, PrismError | None]:
    """The deal stages to chart (from the cached schema), or the error that hid them."""
    try:
        schema = prism.schema("deal")
    except PrismError as exc:
        outage.record(exc)  # a cold cache found the API down: the round below is not sent
        return [], exc
    stage = schema.get(STAGE)
    return (list(stage.options[:MAX_STAGES]) if stage is not None else []), None


def stage_link(slug: str) -> str:
    """The deals table filtered to one stage (the chart's bars link there)."""
    query = urlencode({f"{ROW_PROPERTY}0": STAGE, f"{ROW_OPERATOR}0": "=", f"{ROW_VALUE}0": slug})
    return f"{reverse('record-list', args=['deal'])}?{query}"


def chart_of(options: list, totals: list) -> list[dict]:
    bars = [
        {"slug": o.slug, "label": o.name, "color": o.color or "gray", "total": total, "url": stage_link(o.slug)}
        for o, total in zip(options, totals, strict=True)
    ]
    biggest = max((b["total"] for b in bars), default=0) or 1
    for bar in bars:
        bar["percent"] = round(100 * bar["total"] / biggest)
    return bars


def counts_of(results: list) -> list[dict]:
    out = []
    for t, result in zip(OBJECT_TYPES, results, strict=True):
        failed = isinstance(result, PrismError)
        out.append({"type": t, "total": None if failed else result, "error": result if failed else None})
    return out


def overview(user) -> dict:
    outage = Outage()
    options, chart_error = stage_options(outage)
    # The schemas are cached (stage_options read them): names for the changes, no call here.
    schemas = {} if outage.error else prism.schemas()
    recent = list(AuditEntry.objects.select_related("user")[: LATEST_CHANGES * 5])
    # Only changes to records this person can read now (asked of the API with their key),
    # with the names of the records they touched and refer to, in the same calls.
    checks = visibility.readable_calls([*visibility.pairs_of(recent), *changes.references(recent, schemas)], schemas)
    count_calls = [partial(_count, t.segment) for t in OBJECT_TYPES]
    stage_calls = [partial(_stage_total, o.slug) for o in options]
    results = fan_out([*count_calls, *stage_calls, *checks], outage=outage)
    stages_end = len(count_calls) + len(stage_calls)
    counted, totals, checked = results[: len(count_calls)], results[len(count_calls) : stages_end], results[stages_end:]
    numbers = counts_of(counted)
    chart_error = chart_error or next((t for t in totals if isinstance(t, PrismError)), None)
    failed = next((c["error"] for c in numbers if c["error"] is not None), None)
    found = visibility.collect(checked)
    return {
        "counts": numbers,
        "counts_error": describe(failed) if failed else "",
        "chart": [] if chart_error else chart_of(options, totals),
        "chart_error": chart_error,
        "latest_changes": changes.described(visibility.keep_visible(recent, found, LATEST_CHANGES), found, schemas),
    }

"""Batch update and delete: up to MAX_BATCH_ITEMS items, each applied on its own.

A failing item rolls back alone (savepoint) and is reported in its place; the
request answers 200 with per-item results in input order and a summary.
"""

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from .errors import ApiError, bad_request
from .grants import access_checker, visible_records
from .models import ApiKey, Record
from .records import Expander, patch_record, read_shape, soft_delete


def check_size(items: Any, name: str) -> list:
    if not isinstance(items, list):
        raise bad_request(f"`{name}` must be a list.", field=name)
    limit = settings.PRISM_SANDBOX["MAX_BATCH_ITEMS"]
    if len(items) > limit:
        raise ApiError(413, "too_many_items", f"A batch takes at most {limit} items; got {len(items)}.")
    return items


def _item_id(raw: Any) -> str | None:
    try:
        return str(uuid.UUID(str(raw))) if isinstance(raw, str) else None
    except ValueError:
        return None


def _run(items: list, apply: Callable[[Any], dict], raw_id: Callable[[Any], Any]) -> dict:
    results = []
    for item in items:
        try:
            with transaction.atomic():
                results.append(apply(item))
        except ApiError as exc:
            fields = exc.details.get("fields")
            message = exc.message + (" " + "; ".join(f"{k}: {v}" for k, v in fields.items()) if fields else "")
            item_id = raw_id(item)
            results.append(
                {
                    "id": item_id if isinstance(item_id, str) else None,
                    "status": "error",
                    "error": {"code": exc.code, "message": message},
                    "record": None,
                }
            )
    failed = sum(1 for r in results if r["status"] == "error")
    return {
        "results": results,
        "summary": {"total": len(results), "succeeded": len(results) - failed, "failed": failed},
    }


def _load(team_id, segment: str, raw_id: Any, key: ApiKey) -> Record:
    """The item's record, if the key may write it (a hidden one is 404, as a missing one)."""
    record_id = _item_id(raw_id)
    if record_id is None:
        raise bad_request(f"{raw_id!r} is not a record id.")
    visible = visible_records(team_id, segment, key)
    record = visible.select_for_update().filter(id=record_id, deleted_at__isnull=True).first()
    if record is None:
        raise ApiError(404, "not_found", f"No {segment} with id {record_id}.")
    access_checker(key, "w")(record)
    return record


def batch_update(team_id, schemas, key: ApiKey, segment: str, items: list) -> dict:
    expander = Expander(team_id, schemas, key)

    def apply(item: Any) -> dict:
        if not isinstance(item, dict):
            raise bad_request("Each item must be an object {id, default, list}.")
        record = _load(team_id, segment, item.get("id"), key)
        record = patch_record(team_id, schemas, record, item, key=key)
        return {"id": str(record.id), "status": "ok", "error": None, "record": read_shape(record, expander)}

    return _run(items, apply, lambda item: item.get("id") if isinstance(item, dict) else None)


def batch_delete(team_id, schemas, key: ApiKey, segment: str, ids: list) -> dict:
    expander = Expander(team_id, schemas, key)

    def apply(raw_id: Any) -> dict:
        record = _load(team_id, segment, raw_id, key)
        soft_delete(record)
        return {"id": str(record.id), "status": "ok", "error": None, "record": read_shape(record, expander)}

    return _run(ids, apply, lambda raw_id: raw_id)

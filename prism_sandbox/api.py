"""The HTTP layer every endpoint shares: auth, team scope, JSON bodies, errors, idempotency."""

import json
import logging
import re
import threading
import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from .errors import ApiError, bad_request, not_found
from .grants import access_checker, visible_records
from .idempotency import run_idempotent
from .models import ApiKey, Record, hash_key
from .object_types import OBJECT_TYPES
from .records import get_live
from .schemas import TypeSchema, team_schemas
from .teams import create_key, provision_team

logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def error_response(exc: ApiError, request_id: str) -> JsonResponse:
    response = JsonResponse({"error": {"code": exc.code, "message": exc.message, "details": exc.details}}, status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    response["x-request-id"] = request_id
    return mark_retry(response)


def mark_retry(response: HttpResponse) -> HttpResponse:
    # The official SDK retries 409 and 5xx unless told not to: every 4xx except
    # 408 and 429 says so, replayed ones included.
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        response["x-should-retry"] = "false"
    return response


# --- auth -----------------------------------------------------------------------------

_provisioned = threading.Event()


def provision_from_settings() -> None:
    """With MICRO_TEAM_ID and MICRO_API_KEY set, those are a team and its admin key."""
    if _provisioned.is_set() or not (settings.MICRO_TEAM_ID and settings.MICRO_API_KEY):
        return
    try:
        team = provision_team(settings.MICRO_TEAM_ID, "Demo team")
    except ValueError:
        logger.warning("MICRO_TEAM_ID is not a UUID; the sandbox does not provision it.")
        _provisioned.set()
        return
    create_key(team, settings.MICRO_API_KEY, label="MICRO_API_KEY")
    _provisioned.set()


def authenticate(request: HttpRequest, team_id: str) -> ApiKey:
    raw = request.headers.get("x-api-key", "")
    if not raw:
        raise ApiError(401, "unauthorized", "Missing API key: send it in the x-api-key header.")
    provision_from_settings()
    key = ApiKey.objects.filter(key_hash=hash_key(raw)).first()
    if key is None:
        raise ApiError(401, "unauthorized", "Unknown API key.")
    try:
        path_team = uuid.UUID(team_id)
    except ValueError:
        raise ApiError(403, "forbidden", "This API key does not belong to that team.") from None
    if key.team_id != path_team:
        raise ApiError(403, "forbidden", "This API key does not belong to that team.")
    return key


# --- the base view --------------------------------------------------------------------


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")  # API keys, not sessions
class ApiView(View):
    """Parses auth, path and body; turns ApiError into the JSON error body."""

    #: methods that change data (these take an Idempotency-Key)
    write_methods: frozenset[str] = WRITE_METHODS
    #: whether the view takes an {objectType} path segment
    typed = True
    #: whether its writes change records (refused on read-only types)
    changes_records = True

    api_key: ApiKey
    request_id: str
    team_id: uuid.UUID
    segment: str
    schemas: dict[str, TypeSchema]
    body: dict[str, Any]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request_id = request.headers.get("x-request-id") or f"req_{uuid.uuid4().hex[:20]}"
        started = time.perf_counter()
        self.request_id = request_id
        try:
            response = mark_retry(self._dispatch(request, *args, **kwargs))
        except ApiError as exc:
            response = error_response(exc, request_id)
        except Exception:  # never an HTML traceback from the API
            logger.exception("Sandbox error on %s %s", request.method, request.path)
            response = error_response(ApiError(500, "internal_error", "Internal error."), request_id)
            response["x-should-retry"] = "true"
        response["x-request-id"] = request_id
        response["x-response-time-ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
        return response

    def _dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.typed and kwargs["segment"] not in OBJECT_TYPES:
            # an unknown type is an unknown route, whatever the method
            raise not_found(f"Unknown object type `{kwargs['segment']}`.")
        method = request.method.lower()
        handler = getattr(self, method, None) if method in self.http_method_names else None
        if handler is None or method == "options":
            allowed = ", ".join(m.upper() for m in self.http_method_names if hasattr(self, m) and m != "options")
            raise ApiError(405, "method_not_allowed", f"{request.method} is not allowed here.", headers={"Allow": allowed})
        team_id = kwargs.pop("team_id")
        self.api_key = authenticate(request, team_id)
        self.team_id = self.api_key.team_id
        self.schemas = team_schemas(self.team_id)
        if self.typed:
            segment = kwargs.pop("segment")
            self.segment = segment
            if request.method in self.write_methods and self.changes_records and not OBJECT_TYPES[segment].writable:
                raise ApiError(
                    405,
                    "method_not_allowed",
                    f"{segment} records are read-only.",
                    headers={"Allow": "GET"},
                )
        raw = self._read_body(request)
        self.body = self._parse_json(raw) if request.method in ("POST", "PUT", "PATCH") else {}
        key = request.headers.get("Idempotency-Key")
        if request.method in self.write_methods and key is not None:
            return run_idempotent(
                self.api_key,
                key,
                request.method,
                request.get_full_path(),
                raw,
                lambda: self._answer(handler, request, *args, **kwargs),
            )
        if request.method in self.write_methods:
            with transaction.atomic():
                return handler(request, *args, **kwargs)
        return handler(request, *args, **kwargs)

    def _answer(self, handler, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The handler's response, or its error as a response: a key replays either.

        The savepoint undoes whatever the handler wrote before it failed.
        """
        try:
            with transaction.atomic():
                return handler(request, *args, **kwargs)
        except ApiError as exc:
            return error_response(exc, self.request_id)

    @staticmethod
    def _read_body(request: HttpRequest) -> bytes:
        try:
            return request.body
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            raise ApiError(413, "payload_too_large", f"Request body larger than {limit} bytes.") from None

    @staticmethod
    def _parse_json(raw: bytes) -> dict[str, Any]:
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:  # ValueError: also ints over Python's digit limit
            raise bad_request(f"Malformed JSON body: {exc}") from None
        if not isinstance(data, dict):
            raise bad_request("The JSON body must be an object.")
        if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(data):
            raise bad_request("Malformed JSON body: a \\u escape names half a UTF-16 surrogate pair.")
        return data

    # helpers for subclasses

    @property
    def schema(self) -> TypeSchema:
        return self.schemas[self.segment]

    def records(self):
        """This team's records of the view's type that the key may read."""
        return visible_records(self.team_id, self.segment, self.api_key)

    def checker(self, need: str):
        return access_checker(self.api_key, need)

    def load(self, record_id: str, need: str, *, lock: bool = False, deleted: bool = False) -> Record:
        """One record of the view's type, if the key has `need` (r, w or a) on it."""
        record = get_live(self.team_id, self.segment, record_id, lock=lock, deleted=deleted)
        self.checker(need)(record)
        return record


def json_response(data: Any, status: int = 200, etag: str | None = None, **headers: str) -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    if etag:
        response["ETag"] = etag
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _refuse_constant(name: str) -> None:
    # NaN and Infinity are Python's extension, not JSON.
    raise ValueError(f"{name} is not valid JSON")


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(data: Any) -> bool:
    # A lone surrogate cannot be stored as UTF-8 or sent back; escaped pairs (emoji)
    # decode to one character and are fine.
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@csrf_exempt  # an API 404, not a form: POSTs to unknown routes get JSON too
@login_not_required
def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return error_response(ApiError(404, "not_found", f"No endpoint at {request.path}."), f"req_{uuid.uuid4().hex[:20]}")


def check_uuid(value: str, what: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise not_found(f"No {what} with id {value}.") from None

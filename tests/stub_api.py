"""A stub Prism API for tests: contract-shaped answers by default, odd ones on demand.

Not the sandbox. The sandbox answers exactly as API_CONTRACT.md says; a real server may
not, and the API reference's own example responses show shapes the sandbox never
sends. This stub is a plain ``ThreadingHTTPServer`` holding a handful of records
(`Store`), whose answers a test changes per route (`StubAPI.on`) or all at once (the
`ODD_ANSWERS` behaviours, and `reference_examples` for the reference's examples as
printed). Every request is recorded (`StubAPI.calls`) and every write the store
applies too (`Store.applied`), so a test can show there was no endless loop and that
nothing was written twice.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

TEAM_ID = "5705ab00-0000-4000-8000-000000000001"
API_KEY = "sk_test_stub_api_key_0000000000000000"
PREFIX = "/v2/prism/"
MAX_DELAY = 10.0  # no answer is held longer than this, whatever a test asks
SEGMENTS = ("contact", "organization", "identity", "deal", "action", "document", "event")
TYPE = "(?P<t>contact|organization|identity|deal|action|document|event)"
# A record id: any one segment but the words the routes use themselves.
ID = "(?P<id>(?!(?:count|properties|query|import|batch|by)$)[^/]+)"
WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True)
class Call:
    """One request as the stub received it; ``path`` is the part after ``/v2/prism/{team}/``."""

    method: str
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: object
    at: float

    @property
    def is_write(self) -> bool:
        return self.method in WRITES and not self.path.endswith("/query")


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: object = None  # JSON-able; bytes are sent as they are; None sends no body
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (bounded by MAX_DELAY)


Handler = Callable[[Call, dict[str, str]], Answer]
Filter = Callable[[Call, Answer], Answer]


def error(status: int, code: str, message: str, details: dict | None = None, headers: dict | None = None) -> Answer:
    body: dict = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return Answer(status, {"error": body}, headers or {})


# --- the records ---------------------------------------------------------------------------------


def _prop(slug: str, name: str, type_: str, **extra) -> dict:
    return {
        "slug": slug,
        "name": name,
        "type": type_,
        "options": [],
        "target": None,
        "multiple": False,
        "required": False,
        "read_only": False,
        **extra,
    }


def _options(*slugs: str) -> list[dict]:
    return [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, s)), "slug": s, "name": s.capitalize(), "color": "blue"} for s in slugs]


SYSTEM = [
    _prop("created_at", "Created", "datetime", read_only=True),
    _prop("updated_at", "Updated", "datetime", read_only=True),
]


def default_schema() -> dict[str, list[dict]]:
    titled = {t: [_prop("title" if t in ("action", "document", "event") else "name", "Name", "text"), *SYSTEM] for t in SEGMENTS}
    titled["contact"] = [
        _prop("first_name", "First name", "text"),
        _prop("last_name", "Last name", "text"),
        _prop("email", "Email", "email"),
        _prop("score", "Score", "number"),
        _prop("active", "Active", "boolean"),
        _prop("status", "Status", "select", options=_options("lead", "customer")),
        _prop("tags", "Tags", "multiselect", options=_options("vip", "new")),
        _prop("birthday", "Birthday", "date"),
        _prop("organization", "Organization", "reference", target="organization"),
        *SYSTEM,
    ]
    titled["deal"] = [
        _prop("name", "Name", "text"),
        _prop("stage", "Stage", "select", options=_options("prospect", "won")),
        *SYSTEM,
    ]
    return titled


ORG = "0a000000-0000-4000-8000-000000000001"
CONTACTS = (
    "c0000000-0000-4000-8000-000000000001",
    "c0000000-0000-4000-8000-000000000002",
    "c0000000-0000-4000-8000-000000000003",
)
DEAL = "d0000000-0000-4000-8000-000000000001"
STAMP = "2024-05-01T10:00:00Z"


class Store:
    """A few records per type, read and written the way the contract says."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.schema = default_schema()
        self.records: dict[str, dict[str, dict]] = {t: {} for t in SEGMENTS}
        self.grants: dict[str, dict] = {}
        self.applied: list[tuple[str, str, str]] = []  # (what, type, record id) per write applied
        self._replays: dict[tuple[str, str, str], Answer] = {}
        self.add("organization", {"name": "Analytical Engines"}, ORG)
        people = [
            ("Ada", "Lovelace", 90, True, "lead", ["vip"]),
            ("Grace", "Hopper", 75, False, "customer", []),
            ("Alan", "Turing", 60, True, "lead", ["new"]),
        ]
        for record_id, (first, last, score, active, status, tags) in zip(CONTACTS, people, strict=True):
            self.add(
                "contact",
                {
                    "first_name": first,
                    "last_name": last,
                    "email": f"{first.lower()}@example.com",
                    "score": score,
                    "active": active,
                    "status": status,
                    "tags": tags,
                    "birthday": "1990-01-31",
                    "organization": ORG,
                },
                record_id,
            )
        self.add("deal", {"name": "Big deal", "stage": "prospect"}, DEAL)
        self.applied.clear()

    # records

    def add(self, segment: str, values: dict, record_id: str | None = None) -> dict:
        record = {
            "id": record_id or str(uuid.uuid4()),
            "default": {"created_at": STAMP, "updated_at": STAMP, **values},
            "rev": 1,
            "deleted": False,
        }
        self.records[segment][record["id"]] = record
        self.applied.append(("create", segment, record["id"]))
        return record

    def live(self, segment: str, deleted: bool = False) -> list[dict]:
        return [r for r in self.records[segment].values() if r["deleted"] == deleted]

    def etag(self, record: dict) -> str:
        return f'"rev-{record["rev"]}"'

    def shape(self, segment: str, values: dict, select: list[str]) -> dict:
        """Selected values (all without select), references read as {id, properties}."""
        types = {p["slug"]: p for p in self.schema.get(segment, [])}
        top = [s.split(".", 1)[0] for s in select] or list(values)
        out = {}
        for slug in dict.fromkeys(top):
            if slug not in values:
                continue
            value = values[slug]
            prop = types.get(slug)
            if prop and prop["type"] == "reference" and isinstance(value, str):
                nested = [s.split(".", 1)[1] for s in select if s.startswith(f"{slug}.")]
                target = self.records.get(prop["target"] or "", {}).get(value)
                props = {n: target["default"].get(n) for n in nested} if target else {}
                value = {"id": value, "properties": props}
            out[slug] = value
        return out

    def read(self, segment: str, record: dict, select: list[str] = ()) -> Answer:
        body = {"id": record["id"], "default": self.shape(segment, record["default"], list(select)), "list": {}}
        return Answer(200, body, {"ETag": self.etag(record)})

    def row(self, segment: str, record: dict, select: list[str]) -> dict:
        return {
            "id": record["id"],
            "properties": self.shape(segment, record["default"], select),
            "is_user_object": False,
            "source": [],
        }

    def find(self, segment: str, record_id: str) -> dict | None:
        record = self.records[segment].get(record_id)
        return record if record and not record["deleted"] else None

    def write(self, what: str, segment: str, record: dict, values: dict) -> None:
        for slug, value in values.items():
            if value is None:
                record["default"].pop(slug, None)
            else:
                record["default"][slug] = value
        record["rev"] += 1
        self.applied.append((what, segment, record["id"]))

    # pages

    def page(self, segment: str, request: dict, *, offset: int | None = None) -> dict:
        """One page for a query body (or list parameters as the same dict)."""
        query = request.get("query") or {}
        cursor = query.get("cursor") or request.get("cursor")
        start = offset if offset is not None else (int(cursor[1:]) if isinstance(cursor, str) and cursor[1:].isdigit() else 0)
        limit = int(query.get("limit") or 25)
        rows = self.live(segment, bool(request.get("deleted")))
        ids = request.get("id")
        if ids:
            wanted = set(ids if isinstance(ids, list) else [ids])
            rows = [r for r in rows if r["id"] in wanted]
        for item in query.get("filter") or []:
            for slug, ops in item.items():
                for op, value in ops.items():
                    rows = [r for r in rows if _matches(r["default"].get(slug), op, value)]
        chunk = rows[start : start + limit]
        more = start + limit < len(rows)
        body = {
            "data": [self.row(segment, r, list(query.get("select") or [])) for r in chunk],
            "has_more": more,
            "next_cursor": f"o{start + limit}" if more else None,
        }
        if request.get("include_total"):
            body["total"] = len(rows)
        return body

    # idempotency: the first answer to a key is replayed, nothing is done twice

    def replay(self, call: Call) -> Answer | None:
        key = call.headers.get("idempotency-key")
        found = self._replays.get((key, call.method, call.path)) if key else None
        return replace(found, headers={**found.headers, "Idempotent-Replayed": "true"}) if found else None

    def remember(self, call: Call, answer: Answer) -> None:
        key = call.headers.get("idempotency-key")
        if key and answer.status < 300:
            self._replays[(key, call.method, call.path)] = answer


def _matches(have: object, op: str, want: object) -> bool:
    if op == "=":
        return str(have).lower() == str(want).lower() if have is not None else False
    if op == "contains" and isinstance(want, str):
        return want.lower() in str(have or "").lower()
    return True  # other operators are not the point of this stub: everything matches


def _list_request(call: Call) -> dict:
    """GET /{t} parameters as a query body, so one pager serves both."""
    p = {k: v[-1] for k, v in call.params.items()}
    query = {
        "limit": min(int(p.get("limit", "25") or 25), 50),
        "cursor": p.get("cursor"),
        "select": [s for s in p.get("select", "").split(",") if s],
    }
    return {"query": query, "include_total": p.get("include_total") == "true", "deleted": p.get("deleted") == "true"}


# --- the server ----------------------------------------------------------------------------------


class StubAPI:
    """The stub server. ``on`` overrides a route; ``filters`` rewrite every answer."""

    def __init__(self) -> None:
        self.team_id = TEAM_ID
        self.api_key = API_KEY
        self.store = Store()
        self.calls: list[Call] = []
        self.filters: list[Filter] = []
        self._overrides: list[tuple[str, re.Pattern[str], Handler]] = []
        self._defaults: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        _contract_routes(self)

    # configuration

    def on(self, method: str, pattern: str, answer: Answer | Handler) -> None:
        """Answer ``method pattern`` (a regex over the path after the team, ``*`` any method)
        with ``answer``; the newest override wins."""
        handler: Handler = answer if callable(answer) else (lambda call, m, a=answer: a)
        self._overrides.insert(0, (method, re.compile(pattern), handler))

    def _default(self, method: str, pattern: str, handler: Handler) -> None:
        self._defaults.append((method, re.compile(pattern), handler))

    # what was asked

    def calls_to(self, method: str | None = None, pattern: str | None = None) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if (method is None or c.method == method) and (pattern is None or re.fullmatch(pattern, c.path))]

    def reset_log(self) -> None:
        with self._lock:
            self.calls.clear()
        with self.store.lock:
            self.store.applied.clear()

    # serving

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stub first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "") -> str:
        return f"{self.base_url}{PREFIX}{self.team_id}/{path.lstrip('/')}"

    def start(self) -> StubAPI:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        server.daemon_threads = True
        server.stub = self  # type: ignore[attr-defined]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes) -> Answer:
        split = urlsplit(raw_path)
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = raw_body.decode("utf-8", "replace")
        prefix = f"{PREFIX}{self.team_id}/"
        path = unquote(split.path[len(prefix) :]) if split.path.startswith(prefix) else split.path
        call = Call(method, path, parse_qs(split.query, keep_blank_values=True), headers, body, time.monotonic())
        with self._lock:
            self.calls.append(call)
        if headers.get("x-api-key") != self.api_key:
            return error(401, "unauthorized", "Missing or unknown API key.")
        if not split.path.startswith(prefix):
            return error(404, "not_found", "No such endpoint.")
        answer = self._route(call)
        for rewrite in self.filters:
            answer = rewrite(call, answer)
        return answer

    def _route(self, call: Call) -> Answer:
        for routes in (self._overrides, self._defaults):
            for method, pattern, handler in routes:
                match = pattern.fullmatch(call.path)
                if match and method in ("*", call.method):
                    return handler(call, match.groupdict())
        return error(404, "not_found", f"No route for {call.method} {call.path}.")


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # a client that goes quiet does not hold a thread for ever

    def _serve(self) -> None:
        stub: StubAPI = self.server.stub  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        answer = stub.answer(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
        if answer.delay:
            time.sleep(min(answer.delay, MAX_DELAY))
        if answer.body is None:
            payload = b""
        elif isinstance(answer.body, bytes):
            payload = answer.body
        else:
            payload = json.dumps(answer.body).encode()
        try:
            self.send_response(answer.status)
            if payload and not any(k.lower() == "content-type" for k in answer.headers):
                self.send_header("Content-Type", "application/json")
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test): its answer is lost, as on a real network

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        pass


# --- the contract's routes, served from the Store ------------------------------------------------


def _contract_routes(stub: StubAPI) -> None:
    store = stub.store

    def locked(handler: Handler) -> Handler:
        def run(call: Call, m: dict[str, str]) -> Answer:
            with store.lock:
                if call.is_write:
                    replayed = store.replay(call)
                    if replayed is not None:
                        return replayed
                answer = handler(call, m)
                if call.is_write:
                    store.remember(call, answer)
                return answer

        return run

    def body_of(call: Call) -> dict:
        return call.body if isinstance(call.body, dict) else {}

    def select_of(call: Call) -> list[str]:
        return [s for s in (call.params.get("select", [""])[-1]).split(",") if s]

    def precondition(call: Call, record: dict) -> Answer | None:
        wanted = call.headers.get("if-match")
        if wanted and wanted != "*" and wanted != store.etag(record):
            current = store.read(call.path.split("/")[0], record)
            return error(412, "precondition_failed", "The record changed.", {"current": current.body, "etag": store.etag(record)})
        return None

    def properties_all(call, m):
        return Answer(200, {"data": copy.deepcopy(store.schema)})

    def properties_one(call, m):
        return Answer(200, {"data": copy.deepcopy(store.schema[m["t"]])})

    def query(call, m):
        return Answer(200, store.page(m["t"], body_of(call)))

    def listing(call, m):
        return Answer(200, store.page(m["t"], _list_request(call)))

    def count(call, m):
        return Answer(200, {"total": len(store.live(m["t"]))})

    def create(call, m):
        record = store.add(m["t"], dict(body_of(call).get("default") or {}))
        answer = store.read(m["t"], record)
        return replace(answer, status=201)

    def get(call, m):
        record = store.find(m["t"], m["id"])
        return store.read(m["t"], record, select_of(call)) if record else error(404, "not_found", f"No {m['t']} with id {m['id']}.")

    def writable(call, m):
        """The record a PATCH or DELETE may change, or the refusal to answer with."""
        record = store.find(m["t"], m["id"])
        if record is None:
            return None, error(404, "not_found", f"No {m['t']} with id {m['id']}.")
        return record, precondition(call, record)

    def patch(call, m):
        record, refused = writable(call, m)
        if refused:
            return refused
        store.write("update", m["t"], record, dict(body_of(call).get("default") or {}))
        return store.read(m["t"], record)

    def delete(call, m):
        record, refused = writable(call, m)
        if refused:
            return refused
        record["deleted"] = True
        store.write("delete", m["t"], record, {})
        return Answer(204)

    def restore(call, m):
        record = store.records[m["t"]].get(m["id"])
        if record is None:
            return error(404, "not_found", "No such record.")
        record["deleted"] = False
        store.write("restore", m["t"], record, {})
        return store.read(m["t"], record)

    def duplicate(call, m):
        record = store.find(m["t"], m["id"])
        if record is None:
            return error(404, "not_found", "No such record.")
        return replace(store.read(m["t"], store.add(m["t"], dict(record["default"]))), status=201)

    def matching(segment: str, slug: str, value: str) -> list[dict]:
        return [r for r in store.live(segment) if str(r["default"].get(slug, "")).lower() == value.lower()]

    def find(call, m):
        found = matching(m["t"], m["slug"], m["value"])
        if len(found) > 1:
            return error(409, "multiple_matches", "Several records match.")
        return store.read(m["t"], found[0]) if found else error(404, "not_found", "No record matches.")

    def upsert(call, m):
        found = matching(m["t"], m["slug"], m["value"])
        values = dict(body_of(call).get("default") or {})
        if len(found) > 1:
            return error(409, "multiple_matches", "Several records match.")
        if found:
            store.write("update", m["t"], found[0], values)
            return store.read(m["t"], found[0])
        return replace(store.read(m["t"], store.add(m["t"], {m["slug"]: m["value"], **values})), status=201)

    def import_(call, m):
        body = body_of(call)
        dedupe = (body.get("options") or {}).get("dedupe_by")
        results = []
        for item in body.get("objects") or []:
            values = dict(item.get("default") or {})
            existing = matching(m["t"], dedupe, str(values.get(dedupe, ""))) if dedupe and values.get(dedupe) else []
            if existing:
                store.write("import", m["t"], existing[0], values)
                results.append({"id": existing[0]["id"], "created": False, "existing": True, "error": None})
            else:
                results.append({"id": store.add(m["t"], values)["id"], "created": True, "existing": False, "error": None})
        n = len(results)
        return Answer(
            200,
            {
                "job_id": None,
                "status": "complete",
                "total": n,
                "processed": n,
                "succeeded": n,
                "failed": 0,
                "results": results,
                "created_at": STAMP,
                "updated_at": STAMP,
                "expires_at": STAMP,
            },
        )

    def batch_update(call, m):
        results = []
        for item in body_of(call).get("items") or []:
            record = store.find(m["t"], str(item.get("id")))
            if record is None:
                results.append(
                    {
                        "id": item.get("id"),
                        "status": "error",
                        "error": {"code": "not_found", "message": "No such record."},
                    }
                )
                continue
            store.write("batch_update", m["t"], record, dict(item.get("default") or {}))
            results.append({"id": record["id"], "status": "ok", "record": store.read(m["t"], record).body})
        return Answer(200, _batch(results))

    def batch_delete(call, m):
        results = []
        for record_id in body_of(call).get("ids") or []:
            record = store.find(m["t"], str(record_id))
            if record is None:
                results.append({"id": record_id, "status": "error", "error": {"code": "not_found", "message": "No such record."}})
                continue
            record["deleted"] = True
            store.write("batch_delete", m["t"], record, {})
            results.append({"id": record["id"], "status": "ok"})
        return Answer(200, _batch(results))

    def grant_get(call, m):
        return Answer(200, store.grants.get(m["id"], {"team_id": {}, "user_id": [], "team_group_id": []}))

    def grant_put(call, m):
        store.grants[m["id"]] = body_of(call)
        store.applied.append(("grant", m["t"], m["id"]))
        return Answer(200, body_of(call))

    routes = [
        ("GET", "properties", properties_all),
        ("GET", f"{TYPE}/properties", properties_one),
        ("GET", "imports/(?P<job>[^/]+)", lambda call, m: error(404, "not_found", "No such import job.")),
        ("POST", f"{TYPE}/query", query),
        ("GET", f"{TYPE}/count", count),
        ("GET", TYPE, listing),
        ("POST", TYPE, create),
        ("POST", f"{TYPE}/import", import_),
        ("POST", f"{TYPE}/batch/update", batch_update),
        ("POST", f"{TYPE}/batch/delete", batch_delete),
        ("GET", f"{TYPE}/by/(?P<slug>[^/]+)/(?P<value>[^/]+)", find),
        ("PUT", f"{TYPE}/by/(?P<slug>[^/]+)/(?P<value>[^/]+)", upsert),
        ("GET", f"{TYPE}/{ID}/grant", grant_get),
        ("PUT", f"{TYPE}/{ID}/grant", grant_put),
        ("POST", f"{TYPE}/{ID}/restore", restore),
        ("POST", f"{TYPE}/{ID}/duplicate", duplicate),
        ("GET", f"{TYPE}/{ID}", get),
        ("PATCH", f"{TYPE}/{ID}", patch),
        ("DELETE", f"{TYPE}/{ID}", delete),
    ]
    for method, pattern, handler in routes:
        stub._default(method, pattern, locked(handler))


def _batch(results: list[dict]) -> dict:
    ok = sum(r["status"] == "ok" for r in results)
    return {"results": results, "summary": {"total": len(results), "succeeded": ok, "failed": len(results) - ok}}


# --- odd but valid answers -----------------------------------------------------------------------


def _pages(stub: StubAPI, change: Callable[[Call, str, dict], dict]) -> None:
    """Every list and query answer of every type, rewritten by ``change(call, type, page)``."""

    def query(call: Call, m: dict[str, str]) -> Answer:
        with stub.store.lock:
            body = call.body if isinstance(call.body, dict) else {}
            return Answer(200, change(call, m["t"], stub.store.page(m["t"], body, offset=0)))

    def listing(call: Call, m: dict[str, str]) -> Answer:
        with stub.store.lock:
            return Answer(200, change(call, m["t"], stub.store.page(m["t"], _list_request(call), offset=0)))

    stub.on("POST", f"{TYPE}/query", query)
    stub.on("GET", TYPE, listing)


def same_cursor(stub: StubAPI) -> None:
    """Page one again and again, each time with has_more and the same next_cursor."""
    _pages(stub, lambda call, t, page: {**page, "has_more": True, "next_cursor": "next_cursor"})


def repeated_page(stub: StubAPI) -> None:
    """A new cursor every time, but always the same records."""
    fresh = itertools.count(1)
    _pages(stub, lambda call, t, page: {**page, "has_more": True, "next_cursor": f"cursor-{next(fresh)}"})


def more_but_empty(stub: StubAPI) -> None:
    """has_more: true beside no rows at all, with a fresh cursor each time."""
    fresh = itertools.count(1)
    _pages(stub, lambda call, t, page: {**page, "data": [], "has_more": True, "next_cursor": f"empty-{next(fresh)}"})


def _totals(stub: StubAPI, total: Callable[[int], int]) -> None:
    def change(call: Call, t: str, page: dict) -> dict:
        # Paging stays right (page one's window of the records); only the count lies.
        return {**page, "total": total(len(page["data"]))} if "total" in page else page

    def query(call: Call, m: dict[str, str]) -> Answer:
        with stub.store.lock:
            return Answer(200, change(call, m["t"], stub.store.page(m["t"], call.body if isinstance(call.body, dict) else {})))

    stub.on("POST", f"{TYPE}/query", query)
    stub.on("GET", f"{TYPE}/count", lambda call, m: Answer(200, {"total": total(len(stub.store.live(m["t"])))}))


def total_zero(stub: StubAPI) -> None:
    """total: 0 (and a count of 0) beside rows that are there."""
    _totals(stub, lambda rows: 0)


def total_too_high(stub: StubAPI) -> None:
    """A total far above the rows the pages hold."""
    _totals(stub, lambda rows: rows + 5_000)


# Values of shapes the schema does not promise, and slugs it does not know.
ODD_VALUES = {
    "first_name": {"given": {"latin": "Ada"}},  # a nested object where text was expected
    "last_name": ["Love", "lace"],  # a list where a string was expected
    "email": ["ada@example.com", "ada@work.example"],
    "score": "90",  # a number as a string
    "active": "false",  # a boolean as a string
    "status": ["lead", "customer"],  # several options on a single select
    "tags": "vip",  # one string on a multiselect
    "birthday": 19901231,  # a number where a date was expected
    "organization": ORG,  # a bare id where {id, properties} was expected
    "mystery": {"deep": [1, {"x": "y"}]},  # a slug the schema does not know
    "legacy_code": 7,
}


def odd_values(stub: StubAPI) -> None:
    """One record holding odd shapes and unknown slugs, and a property of an unknown type."""
    with stub.store.lock:
        stub.store.records["contact"][CONTACTS[0]]["default"].update(ODD_VALUES)
        stub.store.schema["contact"].insert(3, _prop("rating", "Rating", "stars", options="five"))
        stub.store.records["contact"][CONTACTS[0]]["default"]["rating"] = [{"of": 5}]
    store = stub.store

    def raw_row(call: Call, m: dict[str, str]) -> Answer:
        # References stay as sent (a bare id), not expanded into {id, properties}.
        with store.lock:
            page = store.page(m["t"], call.body if isinstance(call.body, dict) else {})
            for row in page["data"]:
                if row["id"] == CONTACTS[0]:
                    select = [s.split(".", 1)[0] for s in ((call.body or {}).get("query") or {}).get("select") or []]
                    row["properties"] = {
                        k: v
                        for k, v in store.records["contact"][row["id"]]["default"].items()
                        if not select or k in select or k in ODD_VALUES
                    }
            return Answer(200, page)

    stub.on("POST", "(?P<t>contact)/query", raw_row)

    def raw_get(call: Call, m: dict[str, str]) -> Answer:
        with store.lock:
            record = store.find("contact", m["id"])
            if record is None:
                return error(404, "not_found", "No such record.")
            return Answer(200, {"id": record["id"], "default": dict(record["default"]), "list": {}}, {"ETag": store.etag(record)})

    stub.on("GET", f"contact/{ID}", raw_get)


def no_etag(stub: StubAPI) -> None:
    """Records are read and written with no ETag header at all."""
    stub.filters.append(lambda call, answer: replace(answer, headers={k: v for k, v in answer.headers.items() if k.lower() != "etag"}))


def bare_412(stub: StubAPI) -> None:
    """Every record PATCH and DELETE is refused with a 412 that has no details (no current record, no ETag)."""
    stub.on("PATCH", f"{TYPE}/{ID}", error(412, "precondition_failed", "Precondition failed."))
    stub.on("DELETE", f"{TYPE}/{ID}", error(412, "precondition_failed", "Precondition failed."))


def bare_429(stub: StubAPI) -> None:
    """Every request is refused with a 429 that has no Retry-After."""
    stub.on("*", ".*", error(429, "rate_limited", "Too many requests."))


def slow(seconds: float, *, writes_only: bool = False) -> Callable[[StubAPI], None]:
    """Every answer (or every write's) comes ``seconds`` late. The work is done first, as
    on a slow server: a client that stops waiting loses the answer, not the write."""

    def install(stub: StubAPI) -> None:
        stub.filters.append(lambda call, answer: replace(answer, delay=seconds) if call.is_write or not writes_only else answer)

    return install


# --- the API reference's example responses, exactly as printed ----------------------------------

EXAMPLE_ID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"
EXAMPLE_RECORD = {"id": EXAMPLE_ID, "default": {"foo": "bar"}, "list": {}}
EXAMPLE_PAGE = {
    "data": [{"id": EXAMPLE_ID, "is_user_object": True, "properties": {"foo": "bar"}, "source": EXAMPLE_ID}],
    "has_more": True,
    "next_cursor": "next_cursor",
    "total": 0,
}
EXAMPLE_COUNT = {"total": 0}
EXAMPLE_IMPORT = {
    "job_id": "job_id",
    "status": "complete",
    "total": 0,
    "created_at": "2019-12-27T18:11:19.117Z",
    "error": {"code": "code", "message": "message"},
    "expires_at": "2019-12-27T18:11:19.117Z",
    "failed": 0,
    "processed": 0,
    "results": [{"id": EXAMPLE_ID, "created": True, "error": {"code": "code", "message": "message"}, "existing": True}],
    "succeeded": 0,
    "updated_at": "2019-12-27T18:11:19.117Z",
}
EXAMPLE_BATCH = {
    "results": [{"id": "id", "status": "ok", "error": {"code": "code", "message": "message"}, "record": EXAMPLE_RECORD}],
    "summary": {"failed": 0, "succeeded": 0, "total": 0},
}
EXAMPLE_GRANT = {"team_group_id": [{"foo": "a"}], "team_id": {"foo": "a"}, "user_id": [{"foo": "a"}]}


def reference_examples(stub: StubAPI) -> None:
    """A stateless server answering every route with the API reference's example response
    (no ETag, no properties endpoint, DELETE with no body), whatever was asked."""
    record, page = Answer(200, EXAMPLE_RECORD), Answer(200, EXAMPLE_PAGE)
    routes = [
        ("*", ".*", error(404, "not_found", "Not found.")),  # e.g. the properties endpoints: not in the reference
        ("POST", TYPE, replace(record, status=201)),
        ("GET", TYPE, page),
        ("POST", f"{TYPE}/query", page),
        ("GET", f"{TYPE}/count", Answer(200, EXAMPLE_COUNT)),
        ("GET", f"{TYPE}/{ID}", record),
        ("PATCH", f"{TYPE}/{ID}", record),
        ("DELETE", f"{TYPE}/{ID}", Answer(204)),
        ("GET", f"{TYPE}/by/[^/]+/[^/]+", record),
        ("PUT", f"{TYPE}/by/[^/]+/[^/]+", record),
        ("POST", f"{TYPE}/import", Answer(200, EXAMPLE_IMPORT)),
        ("GET", "imports/[^/]+", Answer(200, EXAMPLE_IMPORT)),
        ("POST", f"{TYPE}/batch/(update|delete)", Answer(200, EXAMPLE_BATCH)),
        ("POST", f"{TYPE}/{ID}/(duplicate|restore)", record),
        ("GET", f"{TYPE}/{ID}/grant", Answer(200, EXAMPLE_GRANT)),
        ("PUT", f"{TYPE}/{ID}/grant", Answer(200, EXAMPLE_GRANT)),
    ]
    for method, pattern, answer in routes:
        stub.on(method, pattern, answer)


ODD_ANSWERS: dict[str, Callable[[StubAPI], None]] = {
    "same_cursor": same_cursor,
    "repeated_page": repeated_page,
    "more_but_empty": more_but_empty,
    "total_zero": total_zero,
    "total_too_high": total_too_high,
    "odd_values": odd_values,
    "no_etag": no_etag,
    "bare_412": bare_412,
    "bare_429": bare_429,
}

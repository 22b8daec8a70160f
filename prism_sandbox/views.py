"""The Prism endpoints (docs/sandbox.md), one small view per route."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from . import batch, grants, imports
from . import records as ops
from .api import ApiView, json_response
from .errors import ApiError, not_found
from .object_types import OBJECT_TYPES
from .query import page_of, parse_list_params, parse_query_body, parse_select
from .records import Expander, read_shape, row_shapes, select_tree


class RecordReadMixin:
    def respond_record(self, record, status: int = 200, select=None) -> HttpResponse:
        expander = Expander(self.team_id, self.schemas, self.api_key)
        tree = select_tree(select)
        return json_response(read_shape(record, expander, tree), status=status, etag=record.etag)

    def respond_page(self, pq) -> HttpResponse:
        rows, has_more, next_cursor, total = page_of(self.records(), pq)
        expander = Expander(self.team_id, self.schemas, self.api_key, pq.list_id)
        body = {
            "data": row_shapes(rows, self.segment, expander, select_tree(pq.select)),
            "has_more": has_more,
            "next_cursor": next_cursor,
        }
        if total is not None:
            body["total"] = total
        return json_response(body)


class CollectionView(RecordReadMixin, ApiView):
    """GET /{t}: list with query-string sugar. POST /{t}: create."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.respond_page(parse_list_params(self.schemas, self.segment, request.GET))

    def post(self, request: HttpRequest) -> HttpResponse:
        record = ops.create_record(self.team_id, self.schemas, self.segment, self.body, key=self.api_key)
        return self.respond_record(record, status=201)


class QueryView(RecordReadMixin, ApiView):
    write_methods = frozenset()  # POST, but a read

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.respond_page(parse_query_body(self.schemas, self.segment, self.body))


class CountView(ApiView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return json_response({"total": self.records().filter(deleted_at__isnull=True).count()})


class RecordView(RecordReadMixin, ApiView):
    """GET, PATCH, DELETE /{t}/{id}."""

    def get(self, request: HttpRequest, record_id: str) -> HttpResponse:
        select = parse_select(self.schemas, self.segment, request.GET.get("select"))
        deleted = request.GET.get("deleted", "").lower() == "true"
        record = self.load(record_id, "r", deleted=deleted)
        return self.respond_record(record, select=select)

    def patch(self, request: HttpRequest, record_id: str) -> HttpResponse:
        record = self.load(record_id, "w", lock=True)
        ops.check_if_match(record, request.headers.get("If-Match"), Expander(self.team_id, self.schemas, self.api_key))
        record = ops.patch_record(self.team_id, self.schemas, record, self.body, key=self.api_key)
        return self.respond_record(record)

    def delete(self, request: HttpRequest, record_id: str) -> HttpResponse:
        record = self.load(record_id, "w", lock=True)
        ops.check_if_match(record, request.headers.get("If-Match"), Expander(self.team_id, self.schemas, self.api_key))
        ops.soft_delete(record)
        response = HttpResponse(status=204)
        response["ETag"] = record.etag
        return response


class DuplicateView(RecordReadMixin, ApiView):
    def post(self, request: HttpRequest, record_id: str) -> HttpResponse:
        record = self.load(record_id, "r")
        return self.respond_record(ops.duplicate(record), status=201)


class RestoreView(RecordReadMixin, ApiView):
    def post(self, request: HttpRequest, record_id: str) -> HttpResponse:
        record = self.load(record_id, "w", lock=True, deleted=True)
        return self.respond_record(ops.restore(record))


class LookupView(RecordReadMixin, ApiView):
    """GET /{t}/by/{slug}/{value}: find. PUT: upsert."""

    def get(self, request: HttpRequest, slug: str, value: str) -> HttpResponse:
        matches = ops.find_matches(self.records(), self.schema, slug, value)
        if not matches:
            raise not_found(f"No {self.segment} with {slug} = {value!r}.")
        if len(matches) > 1:
            raise ApiError(409, "multiple_matches", f"Several {self.segment} records have {slug} = {value!r}.")
        return self.respond_record(matches[0])

    def put(self, request: HttpRequest, slug: str, value: str) -> HttpResponse:
        record, created = ops.upsert(self.team_id, self.schemas, self.api_key, self.segment, slug, value, self.body)
        return self.respond_record(record, status=201 if created else 200)


class TypePropertiesView(ApiView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return json_response({"data": _properties(self.schema, request.GET.get("term"))})


class AllPropertiesView(ApiView):
    typed = False

    def get(self, request: HttpRequest) -> HttpResponse:
        term = request.GET.get("term")
        return json_response({"data": {t: _properties(s, term) for t, s in self.schemas.items()}})


def _properties(schema, term: str | None) -> list[dict]:
    props = [p.as_wire() for p in schema.properties.values()]
    if term:
        needle = term.lower()
        props = [p for p in props if needle in p["slug"].lower() or needle in p["name"].lower()]
    return props


class ImportView(ApiView):
    """POST /{t}/import: sync up to SYNC_IMPORT_LIMIT rows, else a background job."""

    def post(self, request: HttpRequest) -> HttpResponse:
        objects, options = imports.parse_import(self.schema, self.body)
        if len(objects) <= settings.PRISM_SANDBOX["SYNC_IMPORT_LIMIT"]:
            result = imports.run_sync(self.team_id, self.schemas, self.segment, objects, options, self.api_key)
            return json_response(result)
        job = imports.start_job(self.team_id, self.api_key, self.segment, objects, options)
        location = f"/v2/prism/{self.team_id}/imports/{job.id}"
        return json_response(imports.snapshot(job), status=202, Location=location)


class ImportJobView(ApiView):
    typed = False

    def get(self, request: HttpRequest, job_id: str) -> HttpResponse:
        return json_response(imports.snapshot(imports.get_job(self.team_id, job_id, self.api_key)))


class BatchUpdateView(ApiView):
    def post(self, request: HttpRequest) -> HttpResponse:
        items = batch.check_size(self.body.get("items"), "items")
        result = batch.batch_update(self.team_id, self.schemas, self.api_key, self.segment, items)
        return json_response(result)


class BatchDeleteView(ApiView):
    def post(self, request: HttpRequest) -> HttpResponse:
        ids = batch.check_size(self.body.get("ids"), "ids")
        result = batch.batch_delete(self.team_id, self.schemas, self.api_key, self.segment, ids)
        return json_response(result)


class GrantView(ApiView):
    """GET/PUT /{t}/{id}/grant, on the types that have grants (events too: grants are not record writes)."""

    changes_records = False  # so events, read-only otherwise, take grant changes

    def _record(self, record_id: str, need: str):
        if not OBJECT_TYPES[self.segment].has_grant:
            raise not_found(f"{self.segment} records have no grants.")
        return self.load(record_id, need, lock=need == "a")

    def get(self, request: HttpRequest, record_id: str) -> HttpResponse:
        record = self._record(record_id, "r")
        return json_response(record.grant or grants.open_grant(self.team_id), etag=record.etag)

    def put(self, request: HttpRequest, record_id: str) -> HttpResponse:
        record = self._record(record_id, "a")
        record.grant = grants.clean_grant(self.team_id, self.body)
        record.revision += 1
        record.updated_at = timezone.now()
        record.save(update_fields=["grant", "revision", "updated_at"])
        return json_response(record.grant, etag=record.etag)

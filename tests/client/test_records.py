"""prism_client.records: tolerant parsing of every response shape."""

from datetime import UTC, datetime

import pytest

from prism_client import (
    BatchResult,
    ErrorInfo,
    Grant,
    ImportJob,
    Page,
    PropertyDefinition,
    Record,
    RecordPatch,
    Row,
)
from prism_client.records import as_mapping


def test_as_mapping_of_non_dict_is_empty():
    assert as_mapping(["a"]) == {}
    assert as_mapping(None) == {}


def test_record_from_wire():
    record = Record.from_wire({"id": "r1", "default": {"first_name": "Ada"}, "list": {"L1": {"stage": "won"}}}, etag='"3"')
    assert record == Record("r1", {"first_name": "Ada"}, {"L1": {"stage": "won"}}, '"3"')


def test_record_without_etag_or_properties():
    record = Record.from_wire({"id": "r1"})
    assert (record.default, record.list, record.etag) == ({}, {}, None)


def test_record_with_odd_list_shape():
    assert Record.from_wire({"id": "r1", "list": {"L1": "x"}, "default": None}).list == {"L1": {}}


def test_record_is_frozen():
    with pytest.raises(AttributeError):
        Record("r1").id = "r2"


def test_row_from_wire():
    row = Row.from_wire({"id": "r1", "properties": {"a": 1}, "is_user_object": False, "source": ["csv"]})
    assert row == Row("r1", {"a": 1}, False, ("csv",))


def test_row_tolerates_missing_and_odd_fields():
    row = Row.from_wire({"id": "r1", "is_user_object": "yes", "source": "api"})
    assert row == Row("r1", {}, None, ("api",))


def test_row_source_of_unknown_type():
    assert Row.from_wire({"id": "r1", "source": 5}).source == ()


def test_page_from_wire():
    page = Page.from_wire({"data": [{"id": "a"}], "has_more": True, "next_cursor": "c", "total": 7})
    assert page == Page((Row("a"),), True, "c", 7)


def test_page_without_total_or_rows():
    assert Page.from_wire({"has_more": False}) == Page((), False, None, None)


def test_page_with_boolean_total_is_zero():
    assert Page.from_wire({"data": [], "total": True}).total == 0


def test_import_job_sync():
    job = ImportJob.from_wire(
        {
            "job_id": None,
            "status": "complete",
            "total": 2,
            "processed": 2,
            "succeeded": 1,
            "failed": 1,
            "results": [
                {"id": "r1", "created": True, "existing": False},
                {"id": None, "created": False, "error": {"code": "validation_error", "message": "bad"}},
            ],
            "created_at": "2024-05-01T12:00:00Z",
            "expires_at": "not a date",
        }
    )
    assert job.finished and job.job_id is None
    assert job.results[0].id == "r1" and job.results[0].created
    assert job.results[1].error == ErrorInfo("validation_error", "bad")
    assert job.created_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert job.expires_at is None and job.updated_at is None


def test_import_job_unknown_status_counts_as_processing():
    job = ImportJob.from_wire({"job_id": "j", "status": "queued", "total": 5})
    assert job.status == "processing" and not job.finished
    assert job.results == ()


def test_import_job_failed_is_finished():
    job = ImportJob.from_wire({"job_id": "j", "status": "failed", "total": 5, "error": {"code": "x"}})
    assert job.finished and job.error == ErrorInfo("x", None)


def test_error_info_of_non_dict():
    assert ErrorInfo.from_wire("oops") is None


def test_batch_result_from_wire():
    result = BatchResult.from_wire(
        {
            "results": [
                {"id": "a", "status": "ok", "record": {"id": "a", "default": {"x": 1}}},
                {"id": "b", "status": "error", "error": {"code": "not_found", "message": "gone"}},
            ],
            "summary": {"total": 2, "succeeded": 1, "failed": 1},
        }
    )
    assert result.results[0].record == Record("a", {"x": 1})
    assert result.failures[0].id == "b" and result.failures[0].error.code == "not_found"
    assert (result.summary.total, result.summary.succeeded, result.summary.failed) == (2, 1, 1)


def test_batch_result_without_summary_counts_items():
    result = BatchResult.from_wire({"results": [{"id": "a", "status": "ok"}, {"id": "b", "status": "error"}]})
    assert (result.summary.total, result.summary.succeeded, result.summary.failed) == (2, 1, 1)


def test_batch_result_without_results():
    assert BatchResult.from_wire({}).results == ()


def test_batch_result_merge_keeps_order_and_sums():
    one = BatchResult.from_wire({"results": [{"id": "a", "status": "ok"}]})
    two = BatchResult.from_wire({"results": [{"id": "b", "status": "error"}]})
    merged = BatchResult.merge([one, two])
    assert [r.id for r in merged.results] == ["a", "b"]
    assert (merged.summary.total, merged.summary.succeeded, merged.summary.failed) == (2, 1, 1)


def test_record_patch_to_wire():
    assert RecordPatch("a", {"x": None}).to_wire() == {"id": "a", "default": {"x": None}}
    assert RecordPatch("a", list={"L": {"y": 1}}).to_wire() == {"id": "a", "default": {}, "list": {"L": {"y": 1}}}


GRANT_WIRE = {"team_id": {"T": "r"}, "user_id": [{"U1": "w"}, {"U2": "a"}], "team_group_id": [{"G": "r"}]}


def test_grant_round_trips():
    grant = Grant.from_wire(GRANT_WIRE)
    assert grant == Grant(team={"T": "r"}, users={"U1": "w", "U2": "a"}, groups={"G": "r"})
    assert grant.to_wire() == GRANT_WIRE


def test_grant_from_wire_skips_unknown_letters_and_tolerates_missing_parts():
    assert Grant.from_wire({"user_id": [{"U": "x"}, "junk"]}) == Grant()


def test_empty_grant_to_wire():
    assert Grant().to_wire() == {"team_id": {}, "user_id": [], "team_group_id": []}


def test_grant_rejects_unknown_letter():
    with pytest.raises(ValueError, match="users\\[U\\]: access must be one of r, w, a"):
        Grant(users={"U": "x"})


def test_grant_rejects_empty_id():
    with pytest.raises(ValueError, match="empty id"):
        Grant(groups={"": "r"})


def test_property_definitions_from_wire():
    defs = PropertyDefinition.list_from_wire(
        {
            "data": [
                {
                    "slug": "status",
                    "name": "Status",
                    "type": "select",
                    "options": [{"id": "o1", "slug": "lead", "name": "Lead", "color": "blue"}, {"name": "no slug"}],
                    "required": True,
                },
                {"slug": "organization", "type": "reference", "target": "organization", "multiple": False},
                {"name": "no slug"},
            ]
        }
    )
    assert [d.slug for d in defs] == ["status", "organization"]
    status = defs[0]
    assert status.required and status.options[0].slug == "lead" and len(status.options) == 1
    assert defs[1].name == "organization" and defs[1].target == "organization"


def test_property_definitions_from_bare_list_with_defaults():
    (definition,) = PropertyDefinition.list_from_wire([{"slug": "x", "options": "junk"}])
    assert (definition.type, definition.options, definition.read_only) == ("text", (), False)


def test_property_definitions_from_unknown_shape():
    assert PropertyDefinition.list_from_wire({"properties": "?"}) == ()
    assert PropertyDefinition.list_from_wire("?") == ()

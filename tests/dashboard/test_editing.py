"""Diff and three-way merge of edits: every combination of unchanged / one side / both sides."""

import pytest

from dashboard.editing import EditConflict, diff, merge
from dashboard.property_types import for_property
from prism_client import PropertyDefinition

REF = PropertyDefinition("organization", "Organization", "reference", target="organization")
MULTI_REF = PropertyDefinition("owners", "Owners", "reference", target="identity", multiple=True)
TAGS = PropertyDefinition("tags", "Tags", "multiselect")
SCORE = PropertyDefinition("score", "Score", "number")
WHEN = PropertyDefinition("starts_at", "Starts at", "datetime")


def normalize(prop: PropertyDefinition, value: object) -> object:
    """The canonical form edits are compared and merged in (the property type's)."""
    return for_property(prop).normalize(value)


# (base, mine, theirs) -> (merged value, conflict?, auto-merged?, theirs kept?)
CASES = {
    "nobody changed": ("a", "a", "a", "a", False, False, False),
    "only mine changed": ("a", "b", "a", "b", False, True, False),
    "only theirs changed": ("a", "a", "c", "c", False, False, True),
    "both changed the same way": ("a", "b", "b", "b", False, False, False),
    "both changed differently": ("a", "b", "c", "c", True, False, False),
    "I cleared it": ("a", None, "a", None, False, True, False),
    "they cleared it": ("a", "a", None, None, False, False, True),
    "I cleared, they changed": ("a", None, "c", "c", True, False, False),
    "I set an empty one, they set it too": (None, "b", "c", "c", True, False, False),
    "both cleared": ("a", None, None, None, False, False, False),
}


@pytest.mark.parametrize(("base", "mine", "theirs", "merged", "conflict", "auto", "kept"), CASES.values(), ids=CASES.keys())
def test_merge_of_one_property(base, mine, theirs, merged, conflict, auto, kept):
    result = merge({"x": base}, {"x": mine}, {"x": theirs})
    assert result.merged == {"x": merged}
    assert bool(result.conflicts) is conflict
    assert ("x" in result.auto_merged) is auto
    assert ("x" in result.their_changes) is kept
    if conflict:
        assert result.conflicts == (EditConflict("x", base, mine, theirs),)


def test_merge_of_several_properties_keeps_each_sides_own_changes():
    base = {"first_name": "Ada", "score": 1, "status": "lead", "email": "a@x.io"}
    mine = {**base, "first_name": "Ada L.", "score": 2}
    theirs = {**base, "status": "customer", "score": 3}
    result = merge(base, mine, theirs)
    assert [c.slug for c in result.conflicts] == ["score"]
    assert result.merged == {"first_name": "Ada L.", "score": 3, "status": "customer", "email": "a@x.io"}
    assert result.changes(theirs) == {"first_name": "Ada L."}
    assert result.changes(theirs, {"score": 2}) == {"first_name": "Ada L.", "score": 2}
    assert result.changes(theirs, {"score": 3}) == {"first_name": "Ada L."}


def test_diff_sends_only_what_changed_and_none_to_clear():
    assert diff({"a": 1, "b": "x", "c": None}, {"a": 1, "b": None, "c": "new"}) == {"b": None, "c": "new"}
    assert diff({"a": 1}, {"a": 1}) == {}


def test_multiselect_compares_as_a_set():
    assert normalize(TAGS, ["vip", "partner"]) == normalize(TAGS, ["partner", "vip"])
    assert normalize(TAGS, []) is None
    base, mine, theirs = (normalize(TAGS, v) for v in (["vip"], ["vip", "partner"], ["newsletter"]))
    assert merge({"tags": base}, {"tags": mine}, {"tags": theirs}).conflicts[0].slug == "tags"


def test_references_compare_by_id_whether_read_or_written():
    read = {"id": "0b9e7c1e-8a6f-4c8e-9d55-8f0d3a2b1c11", "properties": {"name": "Acme"}}
    assert normalize(REF, read) == normalize(REF, "0b9e7c1e-8a6f-4c8e-9d55-8f0d3a2b1c11")
    assert normalize(MULTI_REF, [{"id": "a"}, {"id": "b"}]) == ["a", "b"]
    result = merge({"organization": "a"}, {"organization": "b"}, {"organization": "a"})
    assert result.changes({"organization": "a"}) == {"organization": "b"}


def test_numbers_and_datetimes_normalize():
    assert normalize(SCORE, "42") == 42 and normalize(SCORE, 42.0) == 42 and normalize(SCORE, "4.5") == 4.5
    assert normalize(WHEN, "2026-01-02T03:04:05.250Z") == normalize(WHEN, "2026-01-02T04:04:05+01:00") == "2026-01-02T03:04:05Z"

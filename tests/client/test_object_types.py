"""prism_client.object_types: the one table, held against API_CONTRACT.md."""

import pytest

from prism_client import OBJECT_TYPES, PrismClient, object_type

# The contract's "Object types" table: segment -> (writable, grant endpoints).
CONTRACT = {
    "contact": (True, False),
    "organization": (True, False),
    "identity": (True, False),
    "deal": (True, True),
    "action": (True, True),
    "document": (True, True),
    "event": (False, True),
}


def test_table_matches_the_contract():
    assert {t.segment: (t.writable, t.has_grant) for t in OBJECT_TYPES} == CONTRACT


def test_labels_are_filled_in():
    for t in OBJECT_TYPES:
        assert t.label and t.plural_label and t.label != t.plural_label


def test_attr_is_the_lower_case_plural():
    assert object_type("identity").attr == "identities"


def test_lookup_unknown_segment_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown Prism object type 'engagement'; known: contact"):
        object_type("engagement")


def test_client_has_one_service_per_type():
    client = PrismClient("http://127.0.0.1:9", "k", "t")
    for t in OBJECT_TYPES:
        service = getattr(client, t.attr)
        assert service.object_type is t
        assert client.service(t.segment) is service
    assert set(client.services) == set(CONTRACT)

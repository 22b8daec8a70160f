"""API failures reach people as sentences on the page, never as tracebacks, and pages recover."""

import uuid
from html import unescape

import pytest

from prism_sandbox import chaos

from ..conftest import connect_key, make_team

LIST = "/records/contact/"


def text(response) -> str:
    return unescape(response.content.decode())


def test_api_down_shows_a_sentence_and_recovers(viewer_client, settings, prism):
    settings.MICRO_BASE_URL = "http://127.0.0.1:9/sandbox"  # nothing listens on port 9
    response = viewer_client.get(LIST)
    assert response.status_code == 503
    assert "cannot be reached" in text(response)
    assert "Traceback" not in text(response)
    settings.MICRO_BASE_URL = prism.base_url
    assert viewer_client.get(LIST).status_code == 200


def person(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


def test_rejected_key_is_explained(viewer_client):
    connect_key(person(viewer_client), "sk_not_a_key")  # revoked in Micro, say
    response = viewer_client.get(LIST)
    assert response.status_code == 503
    assert "did not accept your API key" in text(response)
    assert "Traceback" not in text(response)


def test_key_of_another_team_is_forbidden(viewer_client):
    _, other_key = make_team()
    connect_key(person(viewer_client), other_key)
    response = viewer_client.get(LIST)
    assert response.status_code == 403
    assert "does not allow" in text(response)


def test_the_shared_team_key_is_named_in_shared_mode(viewer_client, settings):
    settings.PRISM_ACCESS = "shared"
    settings.MICRO_API_KEY = "sk_not_a_key"
    response = viewer_client.get(LIST)
    assert response.status_code == 503
    assert "did not accept the dashboard's API key" in text(response)


def test_missing_record_is_a_404_page(viewer_client):
    response = viewer_client.get(f"/records/contact/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert "does not exist" in text(response)


def test_unknown_object_type_is_a_404(viewer_client):
    assert viewer_client.get("/records/widgets/").status_code == 404


@pytest.mark.parametrize(
    ("status", "sentence"),
    [(503, "had a problem answering"), (500, "had a problem answering"), (429, "busy (too many requests)")],
)
def test_api_errors_are_sentences_and_the_page_recovers(viewer_client, status, sentence):
    chaos.configure(error_rate=1.0, error_status=status, retry_after=0)
    response = viewer_client.get(LIST)
    assert response.status_code == 503
    assert sentence in text(response)
    chaos.configure()
    recovered = viewer_client.get(LIST)
    assert recovered.status_code == 200
    assert recovered.text.count("<tr>") > 10


def test_timeout_is_explained(viewer_client, settings):
    settings.PRISM_TIMEOUT = 0.3
    chaos.configure(latency_ms=1000)
    response = viewer_client.get(LIST)
    assert response.status_code == 503
    assert "took too long" in text(response)


def test_htmx_requests_get_the_banner_in_place(viewer_client):
    chaos.configure(error_rate=1.0, error_status=503)
    response = viewer_client.get(LIST + "?size=10", headers={"HX-Request": "true"})
    assert response.status_code == 200  # htmx swaps only successful responses
    assert response["HX-Retarget"] == "#messages"
    assert 'role="alert"' in text(response) and "had a problem answering" in text(response)

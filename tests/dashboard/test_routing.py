"""Views have one shape: every route comes from a view class that declares its permission."""

import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dashboard.permissions import AUDIT, BULK, CHANGE, DIRECTORY, GRANTS, IMPORT, PUBLIC, SIGNED_IN, VIEW
from dashboard.roles import Role
from dashboard.routing import DashboardView
from dashboard.views import RecordDetail

from .conftest import login

KNOWN = {PUBLIC, SIGNED_IN, VIEW, CHANGE, BULK, IMPORT, GRANTS, AUDIT, DIRECTORY}


def dashboard_patterns(patterns=None) -> list[URLPattern]:
    out = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if not str(p.pattern).startswith(("admin/", "sandbox/")):
                out += dashboard_patterns(p.url_patterns)
        elif isinstance(p, URLPattern):
            out.append(p)
    return out


def test_every_url_pattern_comes_from_a_view_class_that_declares_a_known_permission():
    patterns = dashboard_patterns()
    assert len(patterns) >= 30
    for pattern in patterns:
        view_class = getattr(pattern.callback, "view_class", None)
        assert view_class is not None and issubclass(view_class, DashboardView), pattern.name
        assert view_class.permission in KNOWN, (pattern.name, view_class.permission)
        assert view_class.needs("POST") in KNOWN, pattern.name
        assert pattern.callback.required_permission == view_class.permission
        assert pattern.name == view_class.url_name


def test_each_route_is_declared_once():
    names = [p.name for p in dashboard_patterns()]
    routes = [str(p.pattern) for p in dashboard_patterns()]
    assert len(names) == len(set(names))
    assert len(routes) == len(set(routes))


def test_a_route_without_a_permission_is_refused_when_the_class_is_made():
    before = list(DashboardView.routed)
    with pytest.raises(ImproperlyConfigured, match="no permission"):

        class Forgotten(DashboardView):
            route = "forgotten/"
            url_name = "forgotten"

    assert DashboardView.routed == before  # not routed


def test_a_shape_without_a_route_is_not_routed():
    before = list(DashboardView.routed)

    class Shape(DashboardView):
        permission = VIEW

    assert DashboardView.routed == before


def test_writes_can_need_more_than_reads():
    from dashboard.access_views import RecordPermissions

    assert (RecordPermissions.needs("GET"), RecordPermissions.needs("HEAD"), RecordPermissions.needs("POST")) == (VIEW, VIEW, GRANTS)
    assert RecordDetail.needs("POST") == VIEW  # no write_permission: the same as reads


@pytest.mark.django_db
def test_a_viewer_is_refused_a_grant_change_before_any_api_call():
    # No sandbox here: the refusal must come before the view reads anything.
    viewer = login(Client(), Role.VIEWER)
    response = viewer.post(f"/records/deal/{uuid.uuid4()}/permissions/", {"team_level": "w"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_method_the_view_does_not_handle_is_405_not_a_page():
    editor = login(Client(), Role.EDITOR)
    assert editor.get(f"/records/deal/{uuid.uuid4()}/delete/").status_code == 405
    assert editor.post("/lookup/").status_code == 405


@pytest.mark.django_db
def test_an_unknown_or_read_only_type_is_404_after_the_permission_check():
    viewer = login(Client(), Role.VIEWER)
    editor = login(Client(), Role.EDITOR)
    assert viewer.get("/records/nothing/new/").status_code == 403  # no permission: says nothing more
    assert editor.get("/records/nothing/new/").status_code == 404
    assert editor.get("/records/event/new/").status_code == 404  # events are read-only

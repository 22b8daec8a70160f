"""Routes of the embedded Prism API, mounted under /sandbox/ (so /sandbox/v2/prism/...)."""

from django.urls import path, re_path

from . import views
from .api import not_found_view

T = "v2/prism/<str:team_id>"
O = T + "/<str:object_type>"

urlpatterns = [
    path(f"{T}/properties", views.AllPropertiesView.as_view()),
    path(f"{O}", views.CollectionView.as_view()),
    path(f"{O}/properties", views.TypePropertiesView.as_view()),
    path(f"{O}/query", views.QueryView.as_view()),
    path(f"{O}/count", views.CountView.as_view()),
    path(f"{O}/by/<str:slug>/<path:value>", views.LookupView.as_view()),
    path(f"{O}/<str:record_id>", views.RecordView.as_view()),
    path(f"{O}/<str:record_id>/duplicate", views.DuplicateView.as_view()),
    path(f"{O}/<str:record_id>/restore", views.RestoreView.as_view()),
    re_path(r"^.*$", not_found_view),
]

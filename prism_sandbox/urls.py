"""Routes of the embedded Prism API, mounted under /sandbox/ (so /sandbox/v2/prism/...)."""

from django.urls import path, register_converter
from django.urls.converters import PathConverter

from . import views
from .api import not_found_view


class LookupValueConverter(PathConverter):
    # A lookup value is any text, newlines included (`path` stops at a newline).
    regex = r"[\s\S]+"


register_converter(LookupValueConverter, "lookup_value")


class AnythingConverter(PathConverter):
    # Newlines included, so that no path under /sandbox/ gets Django's HTML 404; a
    # character class (not a (?s) flag) keeps the pattern reversible for reverse().
    regex = r"[\s\S]*"


register_converter(AnythingConverter, "anything")

T = "v2/prism/<str:team_id>"
TYPE = T + "/<str:segment>"

urlpatterns = [
    path(f"{T}/properties", views.AllPropertiesView.as_view()),
    path(f"{T}/imports/<str:job_id>", views.ImportJobView.as_view()),
    path(f"{TYPE}", views.CollectionView.as_view()),
    path(f"{TYPE}/properties", views.TypePropertiesView.as_view()),
    path(f"{TYPE}/query", views.QueryView.as_view()),
    path(f"{TYPE}/count", views.CountView.as_view()),
    path(f"{TYPE}/import", views.ImportView.as_view()),
    path(f"{TYPE}/batch/update", views.BatchUpdateView.as_view()),
    path(f"{TYPE}/batch/delete", views.BatchDeleteView.as_view()),
    path(f"{TYPE}/by/<str:slug>/<lookup_value:value>", views.LookupView.as_view()),
    path(f"{TYPE}/<str:record_id>", views.RecordView.as_view()),
    path(f"{TYPE}/<str:record_id>/duplicate", views.DuplicateView.as_view()),
    path(f"{TYPE}/<str:record_id>/restore", views.RestoreView.as_view()),
    path(f"{TYPE}/<str:record_id>/grant", views.GrantView.as_view()),
    path("<anything:rest>", not_found_view),
]

"""The global search: every type at once, from the header (Ctrl/⌘+K) or its own page."""

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers

from . import search
from .permissions import VIEW
from .routing import DashboardView


class GlobalSearch(DashboardView):
    """Matches in all seven types, grouped by type: the header's suggestions (htmx, the
    `options` partial), or a page of its own (Enter with nothing picked, or no JavaScript)."""

    route = "search/"
    url_name = "global-search"
    permission = VIEW
    template_name = "search.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        text = request.GET.get("q", "").strip()[: search.GLOBAL_MAX_TEXT]
        groups = search.global_search(text)
        context = {
            "text": text,
            "groups": groups,
            "shown": [g for g in groups if g.rows or g.error],
            "count": sum(len(g.rows) for g in groups),
        }
        partial = request.htmx and not request.htmx.boosted
        response = TemplateResponse(request, f"{self.template_name}#options" if partial else self.template_name, context)
        patch_vary_headers(response, ("HX-Request",))  # one URL, two bodies
        return response

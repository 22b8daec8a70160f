"""The dashboard's URLs plus a Django admin site over the sandbox's Record model.

The admin shows contacts the way the dashboard's list page does (the same four
columns, 25 a page, newest first) and is given every advantage the dashboard
has: its queryset is scoped to the team's live contacts so that ordering by
-created_at walks the sandbox's `rec_default_order` index, and the status filter
and score sort use the same JSON expressions as the expression indexes.
"""

from django.conf import settings
from django.contrib import admin
from django.db.models.lookups import Exact
from django.urls import path

from dashboard.urls import urlpatterns as dashboard_urlpatterns
from prism_sandbox.expressions import PropValue
from prism_sandbox.models import Record


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("lead", "Lead"), ("customer", "Customer"), ("churned", "Churned")]

    def queryset(self, request, queryset):
        if self.value():
            # json_extract(properties, '$.status') = … : the rec_p_status index's expression.
            return queryset.filter(Exact(PropValue("status"), self.value()))
        return queryset


class StatusKeyFilter(StatusFilter):
    """The same filter written the stock way, a JSONField key lookup: no index matches it.

    Reported beside the indexed filter, to show what the expression index is worth.
    """

    title = "status (JSON key lookup)"
    parameter_name = "status_key"

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(properties__status=self.value())
        return queryset


class ContactAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "email", "status"]
    list_filter = [StatusFilter, StatusKeyFilter]
    list_per_page = 25
    show_full_result_count = False
    ordering = ["-created_at"]  # Django appends -pk: (created_at, id) desc, as the index

    def get_queryset(self, request):
        return super().get_queryset(request).filter(team_id=settings.MICRO_TEAM_ID, segment="contact", deleted_at__isnull=True)

    def get_list_display(self, request):
        # A column can only be sorted by (?o=) when it is shown: add score for the sort case.
        return [*self.list_display, "score"] if request.GET.get("o") else self.list_display

    @admin.display(description="First name")
    def first_name(self, obj):
        return obj.properties.get("first_name")

    @admin.display(description="Last name")
    def last_name(self, obj):
        return obj.properties.get("last_name")

    @admin.display(description="Email")
    def email(self, obj):
        return obj.properties.get("email")

    @admin.display(description="Status")
    def status(self, obj):
        return obj.properties.get("status")

    @admin.display(description="Score", ordering=PropValue("score", numeric=True))
    def score(self, obj):
        return obj.properties.get("score")


bench_admin = admin.AdminSite(name="bench-admin")
bench_admin.register(Record, ContactAdmin)

urlpatterns = [path("bench-admin/", bench_admin.urls), *dashboard_urlpatterns]

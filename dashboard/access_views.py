"""Who may see or change a record: the Permissions tab, and the directory of user/group names."""

from functools import partial

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from prism_client import PrismError

from . import acting, audit, prism
from .errors import describe
from .fan_out import fan_out
from .grants import GrantInputError, editor_context, grant_from_form, summary, who_has_access
from .lookups import read_record
from .models import AuditEntry, DirectoryEntry, PrismKey
from .permissions import DIRECTORY, GRANTS, VIEW
from .roles import perm
from .routing import DashboardView, RecordTypeView

Action = AuditEntry.Action


def grant_and_title(segment: str, record_id: str):
    """A record's grant and its title, read at once (fan_out.py): one round trip."""
    schema = prism.schema(segment)
    calls = [
        partial(prism.client().service(segment).get_grant, record_id),
        partial(read_record, segment, record_id, list(schema.title_select())),
    ]
    grant, record = fan_out(calls)
    for result in (grant, record):
        if isinstance(result, PrismError):
            raise result
    return grant, schema.title(record.default, record_id)


class RecordPermissions(RecordTypeView):
    """The Permissions tab: who has access, and (for Admins) the grant editor."""

    route = "records/<str:segment>/<record_id:record_id>/permissions/"
    url_name = "record-permissions"
    permission = VIEW
    write_permission = GRANTS
    grants_only = True
    template_name = "records/permissions.html"

    def get(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        team_id = settings.MICRO_TEAM_ID
        grant, title = grant_and_title(segment, record_id)
        context = {
            "object_type": self.object_type,
            "record_id": record_id,
            "record_title": title,
            "summary": summary(grant, team_id),
            "can_edit": request.user.has_perm(perm(GRANTS)),
            "who_has_access": who_has_access(grant, team_id),
            **editor_context(grant, team_id),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        service = prism.client().service(segment)
        team_id = settings.MICRO_TEAM_ID
        before, title = grant_and_title(segment, record_id)
        try:
            new = grant_from_form(request.POST, team_id)
        except GrantInputError as exc:
            messages.error(request, str(exc))
            return redirect(self.url_name, segment, record_id)
        try:
            saved = service.put_grant(record_id, new)  # the client sends an Idempotency-Key
        except PrismError as exc:
            outcome = AuditEntry.Outcome.FAILED
            audit.log(
                request.user,
                Action.GRANT,
                segment,
                record_id,
                record_repr=title,
                before=before.to_wire(),
                after=new.to_wire(),
                outcome=outcome,
                error=exc,
            )
            messages.error(request, describe(exc))
            return redirect(self.url_name, segment, record_id)
        audit.log(request.user, Action.GRANT, segment, record_id, record_repr=title, before=before.to_wire(), after=saved.to_wire())
        messages.success(request, f"Permissions saved: {summary(saved, team_id)}.")
        return redirect(self.url_name, segment, record_id)


class DirectoryEntryForm(forms.ModelForm):
    """A person (Prism user id, groups, linked sign-in) or a team group."""

    class Meta:
        model = DirectoryEntry
        fields = ["kind", "name", "external_id", "user", "groups", "team_admin"]
        widgets = {"groups": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = DirectoryEntry.objects.filter(kind=DirectoryEntry.Kind.GROUP)
        self.fields["user"].queryset = get_user_model().objects.order_by("username")
        self.fields["user"].required = False

    def clean(self):
        data = super().clean()
        if data.get("kind") == DirectoryEntry.Kind.GROUP and (data.get("user") or data.get("groups") or data.get("team_admin")):
            raise forms.ValidationError("A team group has no sign-in, groups or team-admin flag; those belong to people.")
        return data


def directory_context(form) -> dict:
    people = DirectoryEntry.objects.filter(kind=DirectoryEntry.Kind.USER).select_related("user").prefetch_related("groups")
    keys = {k.user_id: k for k in PrismKey.objects.all()}
    return {
        "form": form,
        "people": [{"entry": p, "key": keys.get(p.user_id)} for p in people],
        "groups": DirectoryEntry.objects.filter(kind=DirectoryEntry.Kind.GROUP).prefetch_related("members"),
        "per_person": acting.per_person(),
    }


class Directory(DashboardView):
    """The people and groups grants name, and whose sign-in each person is."""

    route = "directory/"
    url_name = "directory"
    permission = DIRECTORY
    template_name = "directory.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, directory_context(DirectoryEntryForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DirectoryEntryForm(request.POST)
        if form.is_valid():
            entry = form.save()
            messages.success(request, f"Added {entry.name}.")
            return redirect(self.url_name)
        return render(request, self.template_name, directory_context(form), status=422)


class DirectoryPerson(DashboardView):
    """Edit one entry: name, id, linked sign-in, groups."""

    route = "directory/<int:pk>/"
    url_name = "directory-person"
    permission = DIRECTORY
    template_name = "directory_entry.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = get_object_or_404(DirectoryEntry, pk=pk)
        return render(request, self.template_name, {"form": DirectoryEntryForm(instance=entry), "entry": entry})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = get_object_or_404(DirectoryEntry, pk=pk)
        form = DirectoryEntryForm(request.POST, instance=entry)
        if form.is_valid():
            form.save()
            messages.success(request, f"Saved {entry.name}.")
            return redirect("directory")
        return render(request, self.template_name, {"form": form, "entry": entry}, status=422)


class DirectoryDelete(DashboardView):
    route = "directory/<int:pk>/delete/"
    url_name = "directory-delete"
    permission = DIRECTORY

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = get_object_or_404(DirectoryEntry, pk=pk)
        entry.delete()
        messages.success(request, f"Removed {entry.name} from the directory (grants that name their id are unchanged).")
        return redirect("directory")


class RevokeKey(DashboardView):
    """An Admin removes a person's stored key: their next page asks them to connect one."""

    route = "directory/users/<int:user_pk>/revoke-key/"
    url_name = "revoke-key"
    permission = DIRECTORY

    def post(self, request: HttpRequest, user_pk: int) -> HttpResponse:
        user = get_object_or_404(get_user_model(), pk=user_pk)
        deleted, _ = PrismKey.objects.filter(user=user).delete()
        if deleted:
            name = user.get_username()
            messages.success(request, f"Revoked the Prism key of {name} in the dashboard. Revoke it in Micro too if it may have leaked.")
        else:
            messages.info(request, f"{user.get_username()} has no key connected.")
        return redirect("directory")

"""Who may see or change a record: the Permissions tab, and the directory of user/group names."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from prism_client import PrismError

from . import acting, audit, prism
from .errors import describe
from .grants import LEVEL_LABELS, LEVELS, GrantInputError, grant_from_form, rows_of, summary, team_level, who_has_access
from .models import AuditEntry, DirectoryEntry, PrismKey
from .roles import perm
from .views import object_type_or_404


def grant_type_or_404(segment: str):
    object_type = object_type_or_404(segment)
    if not object_type.has_grant:
        raise Http404(f"{object_type.plural_label} have no permissions of their own.")
    return object_type


def grant_editor_context(grant, team_id: str) -> dict:
    return {
        "rows": rows_of(grant),
        "team_level": team_level(grant, team_id),
        "level_labels": LEVEL_LABELS,
        "levels": [(lv, LEVEL_LABELS[lv]) for lv in LEVELS],
        "directory_users": DirectoryEntry.objects.filter(kind=DirectoryEntry.Kind.USER),
        "directory_groups": DirectoryEntry.objects.filter(kind=DirectoryEntry.Kind.GROUP),
    }


def record_permissions(request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
    object_type = grant_type_or_404(segment)
    if request.method == "POST" and not request.user.has_perm(perm("manage_grants")):
        return HttpResponse("Only Admins change permissions.", status=403)
    service = prism.client().service(segment)
    team_id = settings.MICRO_TEAM_ID
    if request.method == "POST":
        before = service.get_grant(record_id)
        try:
            new = grant_from_form(request.POST, team_id)
        except GrantInputError as exc:
            messages.error(request, str(exc))
            return redirect("record-permissions", segment, record_id)
        try:
            saved = service.put_grant(record_id, new)  # the client sends an Idempotency-Key
        except PrismError as exc:
            audit.log(
                request.user,
                AuditEntry.Action.GRANT,
                segment,
                record_id,
                before=before.to_wire(),
                after=new.to_wire(),
                outcome=AuditEntry.Outcome.FAILED,
                error=exc,
            )
            messages.error(request, describe(exc))
            return redirect("record-permissions", segment, record_id)
        audit.log(request.user, AuditEntry.Action.GRANT, segment, record_id, before=before.to_wire(), after=saved.to_wire())
        messages.success(request, f"Permissions saved: {summary(saved, team_id)}.")
        return redirect("record-permissions", segment, record_id)
    grant = service.get_grant(record_id)
    context = {
        "object_type": object_type,
        "record_id": record_id,
        "summary": summary(grant, team_id),
        "can_edit": request.user.has_perm(perm("manage_grants")),
        "who_has_access": who_has_access(grant, team_id),
        **grant_editor_context(grant, team_id),
    }
    return render(request, "records/permissions.html", context)


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


def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        entry = form.save()
        messages.success(request, f"Added {entry.name}.")
        return redirect("directory")
    return render(request, "directory.html", directory_context(form), status=422 if form.errors else 200)


def directory_person(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one entry: name, id, linked sign-in, groups."""
    entry = get_object_or_404(DirectoryEntry, pk=pk)
    form = DirectoryEntryForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved {entry.name}.")
        return redirect("directory")
    return render(request, "directory_entry.html", {"form": form, "entry": entry}, status=422 if form.errors else 200)


@require_POST
def directory_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(DirectoryEntry, pk=pk)
    entry.delete()
    messages.success(request, f"Removed {entry.name} from the directory (grants that name their id are unchanged).")
    return redirect("directory")


@require_POST
def revoke_key(request: HttpRequest, user_pk: int) -> HttpResponse:
    """An Admin removes a person's stored key: their next page asks them to connect one."""
    user = get_object_or_404(get_user_model(), pk=user_pk)
    deleted, _ = PrismKey.objects.filter(user=user).delete()
    if deleted:
        messages.success(
            request, f"Revoked the Prism key of {user.get_username()} in the dashboard. Revoke it in Micro too if it may have leaked."
        )
    else:
        messages.info(request, f"{user.get_username()} has no key connected.")
    return redirect("directory")

"""A person's own page: who they are in Prism, and the API key the dashboard uses for them."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from prism_client import APIConnectionError, PrismError, Query, Unauthorized

from . import acting, key_vault, prism, time_zones
from .errors import describe
from .models import DirectoryEntry, PrismKey
from .permissions import SIGNED_IN
from .routing import DashboardView


class KeyForm(forms.Form):
    api_key = forms.CharField(
        label="Your Micro API key",
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def check_key(api_key: str) -> str | None:
    """One API call with the key; None when the API accepts it, else a sentence."""
    try:
        prism.client_with_key(api_key).service("contact").query(Query(limit=1))
    except Unauthorized:
        return "Prism did not accept this key. Check that you copied all of it, and that it belongs to this team."
    except APIConnectionError:
        return "The Prism API cannot be reached right now, so the key could not be checked. Try again in a moment."
    except PrismError as exc:
        return describe(exc)
    return None


class Profile(DashboardView):
    route = "me/"
    url_name = "profile"
    permission = SIGNED_IN
    template_name = "profile.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, profile_context(request, KeyForm()))


def profile_context(request, form) -> dict:
    identity = DirectoryEntry.objects.filter(user=request.user).prefetch_related("groups").first()
    return {
        "identity": identity,
        "groups": list(identity.groups.all()) if identity else [],
        "stored_key": PrismKey.objects.filter(user=request.user).first(),
        "form": form,
        "per_person": acting.per_person(),
        "roles": [g.name for g in request.user.groups.all()],
        "team_id": settings.MICRO_TEAM_ID,
        "time_zone": time_zones.zone_of(request),
        "time_zones": time_zones.zones(),
    }


class TimeZoneChange(DashboardView):
    """The person's time zone: chosen on the profile page, or detected once by their browser
    (time_zone.js sends `detected`, which never replaces a zone already kept)."""

    route = "me/time-zone/"
    url_name = "profile-time-zone"
    permission = SIGNED_IN

    def post(self, request: HttpRequest) -> HttpResponse:
        name = request.POST.get("time_zone", "").strip()
        if "detected" in request.POST:
            kept = time_zones.remember(request, name, detected=True)
            return JsonResponse({"kept": kept, "time_zone": time_zones.zone_of(request)})
        if time_zones.remember(request, name):
            messages.success(request, f"Dates and times now show in {name}.")
        else:
            messages.error(request, f"“{name[:64]}” is not a time zone; choose one from the list.")
        return redirect("profile")


class KeyChange(DashboardView):
    """Connect (or replace), check again, or disconnect the person's own key."""

    route = "me/key/"
    url_name = "profile-key"
    permission = SIGNED_IN
    template_name = "profile.html"

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action", "connect")
        stored = PrismKey.objects.filter(user=request.user).first()
        if action == "disconnect":
            PrismKey.objects.filter(user=request.user).delete()
            messages.success(request, "Your Prism key was removed from the dashboard.")
            return redirect("profile")
        if action == "check" and stored is not None:
            try:
                problem = check_key(key_vault.decrypt(stored.token))
            except key_vault.VaultError:
                problem = "Your stored key can no longer be read. Connect it again."
            if problem:
                messages.error(request, problem)
            else:
                stored.checked_at = timezone.now()
                stored.save(update_fields=["checked_at"])
                messages.success(request, "Prism accepted your key.")
            return redirect("profile")
        form = KeyForm(request.POST)
        if form.is_valid():
            api_key = form.cleaned_data["api_key"]
            problem = check_key(api_key)
            if problem is None:
                PrismKey.store(request.user, api_key)
                messages.success(request, f"Key ending in {api_key[-4:]} connected. The dashboard now acts as you in Prism.")
                return redirect("profile")
            form.add_error("api_key", problem)
        return render(request, self.template_name, profile_context(request, form), status=422)

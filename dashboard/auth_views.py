"""Sign-in with a brake on password guessing: a few failures per account and address, then a wait."""

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpResponse

MAX_FAILURES = getattr(settings, "LOGIN_MAX_FAILURES", 5)
WINDOW_SECONDS = getattr(settings, "LOGIN_FAILURE_WINDOW", 15 * 60)


def _keys(request) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "")
    username = request.POST.get("username", "").strip().lower()[:150]
    # Per account (from anywhere) and per address (any account): both slow guessing.
    return [f"login-fail:user:{username}", f"login-fail:addr:{address}"]


class ThrottledLoginView(LoginView):
    def post(self, request, *args, **kwargs) -> HttpResponse:
        keys = _keys(request)
        if any(cache.get(k, 0) >= MAX_FAILURES * (4 if ":addr:" in k else 1) for k in keys):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, f"Too many failed sign-ins. Wait {WINDOW_SECONDS // 60} minutes, then try again.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            cache.delete(keys[0])
        else:
            for key in keys:
                cache.add(key, 0, WINDOW_SECONDS)
                cache.incr(key)
        return response

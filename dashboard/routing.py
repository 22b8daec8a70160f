"""One shape for every dashboard view: a class that declares its route, URL name and
permission beside its code; dashboard/urls.py is built from these declarations.

    class RecordHistory(RecordTypeView):
        route = "records/<str:segment>/<record_id:record_id>/history/"
        url_name = "record-history"
        permission = VIEW
        template_name = "records/history.html"

        def get(self, request, segment, record_id): ...

Deny by default: a class with a route but no permission is an error at import time,
`dispatch` checks the permission before any handler runs (writes may need more than
reads: `write_permission`), and DenyByDefaultMiddleware refuses any dashboard view
routed some other way. Only the handlers a class defines answer (405 for the rest).
Roles only narrow what the Prism API allows (acting.py): a check here never lets
anyone see more than their own key shows.
"""

from typing import ClassVar

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, register_converter
from django.urls.converters import UUIDConverter
from django.views import View

from prism_client import OBJECT_TYPES_BY_SEGMENT, ObjectType

from .permissions import PUBLIC, allowed

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RecordIdConverter(UUIDConverter):
    """`<record_id:…>`: a Prism record id is a UUID (Django's pattern), so "..", slashes or any
    other path syntax is a 404 before a view could put it into an API path. Views get text."""

    def to_python(self, value: str) -> str:
        return value


register_converter(RecordIdConverter, "record_id")


class DashboardView(View):
    """A routed view. Subclasses without `route` are shapes for others to share."""

    route: ClassVar[str]
    url_name: ClassVar[str]
    permission: ClassVar[str]  # a dashboard permission codename, SIGNED_IN or PUBLIC
    write_permission: ClassVar[str | None] = None  # for POST; the same as `permission` when None

    routed: ClassVar[list[type["DashboardView"]]] = []

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "route" not in cls.__dict__:
            return
        missing = [name for name in ("url_name", "permission") if not getattr(cls, name, None)]
        if missing:
            raise ImproperlyConfigured(f"{cls.__qualname__} has a route but no {' or '.join(missing)}: every view declares both.")
        DashboardView.routed.append(cls)

    @classmethod
    def needs(cls, method: str) -> str:
        """The permission a request with `method` needs."""
        if method in SAFE_METHODS:
            return cls.permission
        return cls.write_permission or cls.permission

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not allowed(request.user, self.needs(request.method or "GET")):
            raise PermissionDenied  # Django's 403 page (templates/403.html)
        self.prepare(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def prepare(self, **kwargs) -> None:
        """Resolve what the URL names (after the permission check); 404 when it is unknown."""

    @classmethod
    def url_pattern(cls) -> URLPattern:
        view = cls.as_view()
        view.required_permission = cls.permission  # what DenyByDefaultMiddleware looks for
        if cls.permission == PUBLIC:
            view.login_required = False  # LoginRequiredMiddleware lets it through
        return path(cls.route, view, name=cls.url_name)


def object_type_or_404(segment: str, *, writable: bool = False, grants: bool = False) -> ObjectType:
    """The object type named `segment`; 404 when there is none, or when it is read-only
    and `writable` is asked for, or has no grants of its own and `grants` is."""
    try:
        object_type = OBJECT_TYPES_BY_SEGMENT[segment]
    except KeyError:
        raise Http404(f"No object type {segment!r}.") from None
    if writable and not object_type.writable:
        raise Http404(f"{object_type.plural_label} are read-only.")
    if grants and not object_type.has_grant:
        raise Http404(f"{object_type.plural_label} have no permissions of their own.")
    return object_type


class RecordTypeView(DashboardView):
    """A view of one object type, named by the URL's `segment`: `self.object_type`.

    `writable_only` answers 404 for read-only types (events); `grants_only` for types
    without grants of their own."""

    writable_only: ClassVar[bool] = False
    grants_only: ClassVar[bool] = False
    object_type: ObjectType

    def prepare(self, **kwargs) -> None:
        self.object_type = object_type_or_404(kwargs["segment"], writable=self.writable_only, grants=self.grants_only)


def url_patterns() -> list[URLPattern]:
    """Every routed view's URL pattern, in the order the view modules define them."""
    return [cls.url_pattern() for cls in DashboardView.routed]

"""One-click record writes: delete (to the trash, with Undo), restore, duplicate."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from prism_client import PreconditionFailed, PrismError, Record

from . import audit, prism
from .errors import describe
from .lookups import next_url
from .models import AuditEntry
from .permissions import CHANGE
from .routing import RecordTypeView

RECORD = "records/<str:segment>/<record_id:record_id>/"
Action = AuditEntry.Action


class RecordWrite(RecordTypeView):
    """The shape of a one-click write: Editors, writable types, POST only."""

    permission = CHANGE
    writable_only = True

    def attempt(self, action: str, call, record_id: str) -> Record | None:
        """Run one record write; on failure audit it, say why, and return None."""
        try:
            return call(record_id)
        except PrismError as exc:
            audit.log(self.request.user, action, self.object_type.segment, record_id, outcome=AuditEntry.Outcome.FAILED, error=exc)
            messages.error(self.request, describe(exc))
            return None

    def label_of(self, record: Record) -> str:
        return prism.schema(self.object_type.segment).title(record.default, record.id)


class RecordDelete(RecordWrite):
    route = RECORD + "delete/"
    url_name = "record-delete"

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        etag = request.POST.get("etag") or None
        label = request.POST.get("label", "")
        try:
            prism.client().service(segment).delete(record_id, if_match=etag)
        except PreconditionFailed as exc:
            audit.log(request.user, Action.DELETE, segment, record_id, record_repr=label, outcome=AuditEntry.Outcome.CONFLICT, error=exc)
            messages.warning(request, refused_delete(exc))
            return redirect("record-detail", segment, record_id)
        except PrismError as exc:
            audit.log(request.user, Action.DELETE, segment, record_id, record_repr=label, outcome=AuditEntry.Outcome.FAILED, error=exc)
            messages.error(request, describe(exc))
            return redirect(next_url(request, reverse("record-detail", args=[segment, record_id])))
        audit.log(request.user, Action.DELETE, segment, record_id, record_repr=label)
        # The message carries an Undo button (see partials/messages.html).
        messages.success(request, f"Moved “{label or record_id}” to the trash.", extra_tags=f"undo {segment} {record_id}")
        return redirect(next_url(request, reverse("record-list", args=[segment])))


def refused_delete(exc: PreconditionFailed) -> str:
    if exc.current is None and exc.etag is None:
        # A 412 that says nothing of the record: it may well not have changed.
        return "The Prism API refused the delete as a conflicting change, so it was not deleted; look at the record and try again."
    return "This record changed since you opened it, so it was not deleted. Look at the new version first."


class RecordRestore(RecordWrite):
    route = RECORD + "restore/"
    url_name = "record-restore"

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        record = self.attempt(Action.RESTORE, prism.client().service(segment).restore, record_id)
        if record is None:
            return redirect(next_url(request, reverse("record-list", args=[segment])))
        label = self.label_of(record)
        audit.log(request.user, Action.RESTORE, segment, record_id, record_repr=label)
        messages.success(request, f"Restored “{label}”.")
        return redirect(next_url(request, reverse("record-detail", args=[segment, record_id])))


class RecordDuplicate(RecordWrite):
    route = RECORD + "duplicate/"
    url_name = "record-duplicate"

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        copy = self.attempt(Action.DUPLICATE, prism.client().service(segment).duplicate, record_id)
        if copy is None:
            return redirect("record-detail", segment, record_id)
        audit.log(request.user, Action.DUPLICATE, segment, copy.id, record_repr=self.label_of(copy), before={"copied_from": record_id})
        messages.success(request, "This is the copy. Change what differs and save.")
        return redirect("record-edit", segment, copy.id)

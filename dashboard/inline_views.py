"""A table cell edited in place (inline_editing.py says how a row gets its version), and
edit presence: who else has a record open (presence.py)."""

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from prism_client import Forbidden, NotFound, PrismError, ValidationError

from . import audit, inline_editing, presence, prism
from .editing import Saved
from .errors import describe
from .inline_editing import CellState
from .models import AuditEntry
from .permissions import CHANGE, VIEW
from .property_types import for_property
from .routing import RecordTypeView

Action = AuditEntry.Action
CELL = "records/<str:segment>/<record_id:record_id>/cell/<str:slug>/"
PRESENCE = "records/<str:segment>/<record_id:record_id>/presence/"


class CellEdit(RecordTypeView):
    """GET: the cell's input (reads the record: its value and version). POST: save it."""

    route = CELL
    url_name = "cell-edit"
    permission = CHANGE
    writable_only = True
    template_name = "records/list.html"

    def prepare(self, **kwargs) -> None:
        super().prepare(**kwargs)
        self.schemas = prism.schemas()
        self.schema = self.schemas[self.object_type.segment]
        self.prop = self.schema.get(kwargs["slug"])
        if not inline_editing.editable_property(self.prop):
            raise Http404("This property cannot be edited in a table cell.")

    def get(self, request: HttpRequest, segment: str, record_id: str, slug: str) -> HttpResponse:
        try:
            record, state = inline_editing.start(prism.client().service(segment), self.schema, record_id, slug)
        except PrismError as exc:
            return self.message(request, describe(exc) if not isinstance(exc, NotFound) else DELETED, status=error_status(exc))
        if not inline_editing.fits(record, self.prop):
            return self.message(request, UNFIT, status=409)
        presence.beat(segment, record_id, request.user, presence.EDITING)
        form = inline_editing.cell_form(self.schema, slug, record_id, value=state.base)
        return self.editor(request, record_id, form, state)

    def post(self, request: HttpRequest, segment: str, record_id: str, slug: str) -> HttpResponse:
        state = CellState.read(request.POST.get("state", ""))
        if state is None:
            return self.message(request, "This editor has expired; press Escape and open the cell again.", status=400)
        choice = request.POST.get("choice", "") if state.conflict else ""
        if choice == "theirs":
            # Their value is in the record already: nothing to write.
            presence.leave(segment, record_id, request.user)
            return self.value(request, state.base, "Kept their value; nothing was written.")
        if choice == "mine":
            mine = state.mine
            form = inline_editing.cell_form(self.schema, slug, record_id, value=mine)
            return self.save(request, record_id, form, state, mine)
        form = inline_editing.cell_form(self.schema, slug, record_id, data=request.POST)
        if form.is_valid():
            mine = form.values()[slug]
        else:
            return self.editor(request, record_id, form, state, status=422)
        return self.save(request, record_id, form, state, mine)

    def save(self, request, record_id: str, form, state: CellState, mine) -> HttpResponse:
        segment, slug = self.object_type.segment, self.prop.slug
        service = prism.client().service(segment)

        def refused(outcome: str, **details) -> None:
            before, after = {slug: state.base}, {slug: mine}
            audit.log(request.user, Action.UPDATE, segment, record_id, before=before, after=after, outcome=outcome, **details)

        try:
            result = inline_editing.save(service, self.schema, record_id, slug, state, mine)
        except ValidationError as exc:
            if not form.is_bound or not exc.field_errors:  # "keep mine" has no typed value to mark
                detail = "; ".join(exc.field_errors.values())
                return self.editor(
                    request, record_id, form, state, status=422, api_error=f"The Prism API did not accept this value. {detail}".strip()
                )
            form.add_api_errors(exc.field_errors)
            return self.editor(request, record_id, form, state, status=422)
        except PrismError as exc:
            refused(AuditEntry.Outcome.FAILED, error=exc)
            sentence = DELETED if isinstance(exc, NotFound) else describe(exc)
            if not isinstance(exc, (NotFound, Forbidden)):
                sentence += " Your value is still here; press Enter to try again."
            return self.editor(request, record_id, form, state, status=error_status(exc), api_error=sentence)
        outcome = result.outcome
        if isinstance(outcome, Saved):
            presence.leave(segment, record_id, request.user)
            if not outcome.sent:
                return self.value(request, mine, "Nothing changed.")
            audit.log(
                request.user, Action.UPDATE, segment, record_id, record_repr=state.title, before={slug: state.base}, after=outcome.sent
            )
            kept = " Changes made meanwhile to other properties were kept." if result.attempts > 1 else ""
            return self.value(request, outcome.record.default.get(slug), f"Saved.{kept}", raw=True)
        if not outcome.merge.conflicts:
            refused(AuditEntry.Outcome.CONFLICT, message="The Prism API refused the save (412) without a change to show.")
            return self.editor(request, record_id, form, state, status=409, api_error=REFUSED_AS_IS)
        refused(AuditEntry.Outcome.CONFLICT, message=f"Changed meanwhile by someone else: {slug}")
        conflict = CellState(
            base=outcome.base.get(slug), etag=outcome.etag, title=state.title, opened=state.opened, mine=mine, conflict=True
        )
        return self.conflict(request, record_id, conflict)

    # --- the cell's fragments (partials of records/list.html) -------------------------------

    def editor(self, request, record_id: str, form, state: CellState, *, status: int = 200, api_error: str = "") -> HttpResponse:
        context = {
            "field": form[self.prop.slug],
            "form": form,
            "cell_state": state.sign(),
            "cell_url": inline_editing.cell_url(self.object_type.segment, record_id, self.prop.slug),
            "record_title": state.title or "this record",
            "presence_url": presence_url(self.object_type.segment, record_id),
            "api_error": api_error,
        }
        return render(request, f"{self.template_name}#cell_editor", context, status=status)

    def conflict(self, request, record_id: str, state: CellState) -> HttpResponse:
        kind = for_property(self.prop)
        opened = dt.datetime.fromisoformat(state.opened) if state.opened else timezone.now()
        context = {
            "prop": self.prop,
            "cell_state": state.sign(),
            "cell_url": inline_editing.cell_url(self.object_type.segment, record_id, self.prop.slug),
            "record_title": state.title or "this record",
            # Who: the audit trail's newest change by someone else since the edit started (the conflict screen's way).
            "other_change": audit.last_change_by_others(self.object_type.segment, record_id, request.user, opened),
            "theirs_html": kind.render_normalized(state.base, self.schemas),
            "mine_html": kind.render_normalized(state.mine, self.schemas),
        }
        return render(request, f"{self.template_name}#cell_conflict", context, status=409)

    def value(self, request, value, notice: str, *, raw: bool = False) -> HttpResponse:
        kind = for_property(self.prop)
        html = kind.render(value, self.schemas) if raw else kind.render_normalized(value, self.schemas)
        return render(request, f"{self.template_name}#cell_value", {"html": html, "notice": notice})

    def message(self, request, sentence: str, *, status: int) -> HttpResponse:
        return render(request, f"{self.template_name}#cell_message", {"sentence": sentence}, status=status)


DELETED = "This record was deleted meanwhile; nothing was saved."
UNFIT = "The Prism API sent this value in a shape its input cannot show, so it cannot be changed here."
REFUSED_AS_IS = (
    "The Prism API refused the save as a conflicting change but showed no change to the record, "
    "so nothing was saved; press Enter to try again in a moment."
)


def error_status(exc: PrismError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    return 503


def presence_url(segment: str, record_id: str) -> str:
    return reverse("presence", args=[segment, record_id])


class Presence(RecordTypeView):
    """A page's heartbeat (POST mode=viewing|editing), answered with who else has the record open."""

    route = PRESENCE
    url_name = "presence"
    permission = VIEW
    template_name = "partials/presence.html"

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        presence.beat(segment, record_id, request.user, request.POST.get("mode", presence.VIEWING))
        context = {"people_here": presence.others(segment, record_id, request.user)}
        return render(request, f"{self.template_name}#others", context)


class PresenceLeave(RecordTypeView):
    """The page was hidden or closed (navigator.sendBeacon): gone at once, not after the TTL."""

    route = PRESENCE + "leave/"
    url_name = "presence-leave"
    permission = VIEW

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        presence.leave(segment, record_id, request.user)
        return HttpResponse(status=204)

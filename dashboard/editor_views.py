"""Create and edit a record: If-Match on every save, and the conflict screen when the
record changed meanwhile (each differing property shown base / theirs / mine)."""

import datetime as dt
import hashlib
import json
import uuid

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from prism_client import Forbidden, NotFound, PrismError, ValidationError

from . import audit, prism
from .editing import EditConflict, Saved, Values, diff, save_changes, unfit, values_of
from .errors import describe
from .lookups import find_by_title, select_with_titles
from .models import AuditEntry
from .permissions import CHANGE
from .property_types import for_property
from .record_forms import RecordForm, initial_from, prefilled
from .routing import RecordTypeView

STATE_SALT = "dashboard.record-edit"
Action = AuditEntry.Action


def reference_labels(record_default, schema) -> dict[str, str]:
    """id -> title of the records a record refers to (read with their titles selected)."""
    schemas = prism.schemas()
    labels = {}
    for prop in schema.properties:
        target = schemas.get(prop.target or "")
        value = record_default.get(prop.slug)
        for ref in value if isinstance(value, list) else [value]:
            if target is not None and isinstance(ref, dict) and "id" in ref:
                labels[str(ref["id"])] = target.title(ref.get("properties") or {})
    return labels


def sign_state(**state) -> str:
    return signing.dumps(state, salt=STATE_SALT, compress=True)


def read_state(request: HttpRequest) -> dict:
    try:
        return signing.loads(request.POST.get("state", ""), salt=STATE_SALT, max_age=60 * 60 * 24)
    except signing.BadSignature:
        raise Http404("This form has expired; open the record again.") from None


def create_token(request: HttpRequest) -> str:
    """The create form's token, made when the form was shown (a new one if the state is missing)."""
    try:
        token = signing.loads(request.POST.get("state", ""), salt=STATE_SALT, max_age=60 * 60 * 24).get("create")
    except (signing.BadSignature, AttributeError):
        token = None
    return token if isinstance(token, str) and token else uuid.uuid4().hex


def create_key(token: str, values: dict) -> str:
    """One Idempotency-Key per form and values: submitting the same form again after a
    failure whose create did reach the API replays it instead of making a second record."""
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return f"dashboard-create-{token}-{digest}"


class RecordCreate(RecordTypeView):
    route = "records/<str:segment>/new/"
    url_name = "record-create"
    permission = CHANGE
    writable_only = True
    template_name = "records/form.html"

    def get(self, request: HttpRequest, segment: str) -> HttpResponse:
        object_type = self.object_type
        schema = prism.schema(segment)
        initial, labels, refused = prefilled(schema, request.GET)
        form = RecordForm(schema, initial=initial, lookup=find_by_title, labels=labels)
        state = sign_state(create=uuid.uuid4().hex)
        context = {"object_type": object_type, "form": form, "creating": True, "state": state, "notice": " ".join(refused)}
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, segment: str) -> HttpResponse:
        object_type = self.object_type
        schema = prism.schema(segment)
        form = RecordForm(schema, request.POST, lookup=find_by_title)
        token = create_token(request)
        context = {"object_type": object_type, "form": form, "creating": True, "state": sign_state(create=token)}
        if not form.is_valid():
            return render(request, self.template_name, context, status=422)
        values = {k: v for k, v in form.values().items() if v is not None}
        try:
            record = prism.client().service(segment).create(values, idempotency_key=create_key(token, values))
        except ValidationError as exc:
            form.add_api_errors(exc.field_errors)
            return render(request, self.template_name, context, status=422)
        except PrismError as exc:
            audit.log(request.user, Action.CREATE, segment, after=values, outcome=AuditEntry.Outcome.FAILED, error=exc)
            return render(request, self.template_name, {**context, "api_error": describe(exc)}, status=503)
        audit.log(request.user, Action.CREATE, segment, record.id, record_repr=schema.title(values), after=values)
        messages.success(request, f"Created the {object_type.label.lower()}.")
        return redirect("record-detail", segment, record.id)


class RecordEdit(RecordTypeView):
    route = "records/<str:segment>/<record_id:record_id>/edit/"
    url_name = "record-edit"
    permission = CHANGE
    writable_only = True
    template_name = "records/form.html"

    def get(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        object_type = self.object_type
        schema = prism.schema(segment)
        record = prism.client().service(segment).get(record_id, select=select_with_titles(segment))
        base = values_of(record, schema)
        locked = unfit(record, schema)
        initial = {**initial_from(base, schema), **{s: json.dumps(record.default.get(s), ensure_ascii=False, default=str) for s in locked}}
        form = RecordForm(schema, initial=initial, lookup=find_by_title, labels=reference_labels(record.default, schema), locked=locked)
        state = sign_state(base=base, etag=record.etag, opened=timezone.now().isoformat(), locked=locked)
        context = {
            "object_type": object_type,
            "form": form,
            "record_id": record_id,
            "record_title": schema.title(record.default, record_id),
            "state": state,
            "notice": etag_notice(record.etag),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        object_type = self.object_type
        schema = prism.schema(segment)
        state = read_state(request)
        form = RecordForm(schema, request.POST, lookup=find_by_title, locked=state.get("locked", ()))
        context = {
            "object_type": object_type,
            "form": form,
            "record_id": record_id,
            "record_title": schema.title(state["base"], record_id),
            "state": request.POST.get("state"),
            "notice": etag_notice(state["etag"]),
        }
        if not form.is_valid():
            return render(request, self.template_name, context, status=422)

        def show_error(message: str, status: int, field_errors: dict[str, str]) -> HttpResponse:
            # Keep what the person typed: the same form again, with the reason.
            form.add_api_errors(field_errors)
            return render(request, self.template_name, {**context, "api_error": message}, status=status)

        mine = {**state["base"], **form.values()}
        return save_and_respond(request, object_type, schema, record_id, state, mine, show_error)


def etag_notice(etag: str | None) -> str:
    if etag:
        return ""
    return (
        "The Prism API sent no version (ETag) for this record, so a change someone else saves meanwhile "
        "cannot be noticed: saving writes over it."
    )


def save_and_respond(request, object_type, schema, record_id: str, state: dict, mine: Values, show_error) -> HttpResponse:
    """Save; on success go to the record, on a conflict show the resolution screen."""
    segment, base = object_type.segment, state["base"]
    refused = UpdateAudit(request.user, segment, record_id, base, mine)
    try:
        result = save_changes(prism.client().service(segment), schema, record_id, base, mine, state["etag"])
    except ValidationError as exc:
        return show_error("The Prism API did not accept some values.", 422, exc.field_errors)
    except PrismError as exc:
        refused.log(AuditEntry.Outcome.FAILED, error=exc)
        if isinstance(exc, NotFound):
            messages.error(request, "This record was deleted meanwhile; your changes were not saved.")
            return redirect("record-list", segment)
        if isinstance(exc, Forbidden):  # the person's Prism access: say so, keep what they typed
            return show_error(describe(exc), 403, {})
        return show_error(describe(exc) + " Your changes are still here; save again when it is back.", 503, {})
    outcome = result.outcome
    if isinstance(outcome, Saved):
        return saved(request, segment, schema, record_id, base, mine, outcome, retried=result.attempts > 1)
    if not outcome.merge.conflicts:
        # Refused as a conflict (412) with nothing that differs to show: nothing to resolve.
        refused.log(AuditEntry.Outcome.CONFLICT, message="The Prism API refused the save (412) without a change to show.")
        return show_error(
            "The Prism API refused the save as a conflicting change but showed no change to the record, "
            "so nothing was saved; your changes are still here, try again in a moment.",
            409,
            {},
        )
    conflicting = ", ".join(c.slug for c in outcome.merge.conflicts)
    refused.log(AuditEntry.Outcome.CONFLICT, message=f"Changed meanwhile by someone else: {conflicting}")
    conflict_state = {
        "base": outcome.base,
        "mine": outcome.mine,
        "etag": outcome.etag,
        "opened": state.get("opened"),
        "conflicts": [[c.slug, c.base, c.mine, c.theirs] for c in outcome.merge.conflicts],
        "auto": list(outcome.merge.auto_merged),
        "theirs_changed": list(outcome.merge.their_changes),
    }
    return render_conflict(request, object_type, schema, record_id, conflict_state)


class UpdateAudit:
    """The audit entry of an update that did not go through: what was asked, and why not."""

    def __init__(self, user, segment: str, record_id: str, base: Values, mine: Values) -> None:
        self.user, self.segment, self.record_id, self.base, self.mine = user, segment, record_id, base, mine

    def log(self, outcome: str, **details) -> None:
        changes = diff(self.base, self.mine)
        audit.log(self.user, Action.UPDATE, self.segment, self.record_id, before=self.base, after=changes, outcome=outcome, **details)


def saved(request, segment: str, schema, record_id: str, base: Values, mine: Values, outcome: Saved, *, retried: bool) -> HttpResponse:
    """Audit what was sent, say so, and go to the record."""
    if not outcome.sent:
        messages.info(request, "Nothing changed.")
        return redirect("record-detail", segment, record_id)
    before = {k: base.get(k) for k in outcome.sent}
    audit.log(
        request.user, Action.UPDATE, segment, record_id, record_repr=schema.title({**base, **mine}), before=before, after=outcome.sent
    )
    note = " Changes made meanwhile by someone else were kept." if retried else ""
    messages.success(request, f"Saved.{note}")
    return redirect("record-detail", segment, record_id)


def _only(schema, slugs):
    return schema.__class__(schema.segment, tuple(p for p in schema.properties if p.slug in slugs))


def render_conflict(
    request, object_type, schema, record_id: str, state: dict, form=None, status: int = 409, api_error: str = ""
) -> HttpResponse:
    """The conflict screen: per property, the value started from, the server's now, and mine."""
    conflicts = [EditConflict(*c) for c in state["conflicts"]]
    slugs = [c.slug for c in conflicts]
    edit_form = form or RecordForm(
        _only(schema, slugs), prefix="edit", initial=initial_from({c.slug: c.mine for c in conflicts}, schema), lookup=find_by_title
    )
    opened = dt.datetime.fromisoformat(state["opened"]) if state.get("opened") else timezone.now()
    schemas = prism.schemas()
    rows = [
        {
            "conflict": c,
            "prop": schema.get(c.slug),
            "field": edit_form[c.slug] if c.slug in edit_form.fields else None,
            "choice": request.POST.get(f"choice_{c.slug}", "mine"),
            "base_html": for_property(schema.get(c.slug)).render_normalized(c.base, schemas),
            "theirs_html": for_property(schema.get(c.slug)).render_normalized(c.theirs, schemas),
            "mine_html": for_property(schema.get(c.slug)).render_normalized(c.mine, schemas),
        }
        for c in conflicts
    ]
    context = {
        "object_type": object_type,
        "record_id": record_id,
        "conflict_rows": rows,
        "state": sign_state(**state),
        "other_change": audit.last_change_by_others(object_type.segment, record_id, request.user, opened),
        "auto_merged": [schema.get(s) for s in state["auto"] if schema.get(s)],
        "their_changes": [schema.get(s) for s in state["theirs_changed"] if schema.get(s)],
        "api_error": api_error,
    }
    return render(request, "records/conflict.html", context, status=status)


class ConflictResolve(RecordTypeView):
    """The person chose, field by field (mine / theirs / edit); save with the newer ETag."""

    route = "records/<str:segment>/<record_id:record_id>/resolve/"
    url_name = "record-resolve"
    permission = CHANGE
    writable_only = True

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        object_type = self.object_type
        schema = prism.schema(segment)
        state = read_state(request)
        theirs, mine = state["base"], state["mine"]
        conflicting = [c[0] for c in state["conflicts"]]
        # One-sided changes of mine apply as they are; the conflicts as chosen.
        resolved: Values = {**theirs, **{s: mine.get(s) for s in state["auto"]}}
        edit_form = RecordForm(_only(schema, conflicting), request.POST, prefix="edit", lookup=find_by_title)
        choices = {slug: request.POST.get(f"choice_{slug}", "mine") for slug in conflicting}
        if "edit" in choices.values() and not edit_form.is_valid():
            return render_conflict(request, object_type, schema, record_id, state, form=edit_form, status=422)
        for slug, choice in choices.items():
            if choice == "theirs":
                resolved[slug] = theirs.get(slug)
            elif choice == "edit":
                resolved[slug] = edit_form.values().get(slug)
            else:
                resolved[slug] = mine.get(slug)

        def show_error(message: str, status: int, field_errors: dict[str, str]) -> HttpResponse:
            detail = "; ".join(f"{k}: {v}" for k, v in field_errors.items())
            return render_conflict(
                request, object_type, schema, record_id, state, form=edit_form, status=status, api_error=f"{message} {detail}".strip()
            )

        return save_and_respond(request, object_type, schema, record_id, {**state, "base": theirs}, resolved, show_error)

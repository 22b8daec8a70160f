"""Create, edit (with If-Match and conflict resolution), delete/undo, restore, duplicate, lookup, history."""

import datetime as dt
import hashlib
import json
import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.decorators.http import require_POST, require_safe

from prism_client import (
    OBJECT_TYPES,
    Conflict,
    Forbidden,
    NotFound,
    Operator,
    PreconditionFailed,
    PrismError,
    Query,
    Record,
    ValidationError,
)

from . import audit, prism
from .editing import EditConflict, Saved, Values, diff, save_changes, unfit, values_of
from .errors import describe
from .models import AuditEntry
from .property_types import for_property
from .record_forms import RecordForm, initial_from
from .views import next_url, object_type_or_404, read_record

STATE_SALT = "dashboard.record-edit"
Action = AuditEntry.Action


def writable_type_or_404(segment: str):
    object_type = object_type_or_404(segment)
    if not object_type.writable:
        raise Http404(f"{object_type.plural_label} are read-only.")
    return object_type


def title_of(values: Values, schema) -> str:
    return str(values.get(schema.title_slug) or "")


def find_by_title(target: str, text: str) -> str | None:
    """The one record of `target` whose title is `text` (for typed, unpicked references)."""
    schema = prism.schema(target)
    page = prism.client().service(target).query(Query(select=(schema.title_slug,), limit=2).where(schema.title_slug, "=", text))
    return page.rows[0].id if len(page.rows) == 1 else None


def reference_labels(record_default: dict) -> dict[str, str]:
    """id -> label of the references a record holds (read with their titles selected)."""
    labels = {}
    for value in record_default.values():
        for ref in value if isinstance(value, list) else [value]:
            if isinstance(ref, dict) and "id" in ref:
                props = ref.get("properties") or {}
                title = next((str(v) for v in props.values() if v), "")
                labels[str(ref["id"])] = title
    return labels


def read_for_edit(segment: str, record_id: str):
    schemas = prism.schemas()
    schema = schemas[segment]
    select = [p.slug for p in schema.properties] + [
        f"{p.slug}.{schemas[p.target].title_slug}" for p in schema.properties if p.type == "reference" and p.target in schemas
    ]
    return schema, prism.client().service(segment).get(record_id, select=select)


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


class RecordCreateView(View):
    def get(self, request: HttpRequest, segment: str) -> HttpResponse:
        object_type = writable_type_or_404(segment)
        schema = prism.schema(segment)
        initial = {k: v for k, v in request.GET.items() if schema.get(k)}
        form = RecordForm(schema, initial=initial, lookup=find_by_title)
        state = sign_state(create=uuid.uuid4().hex)
        return render(request, "records/form.html", {"object_type": object_type, "form": form, "creating": True, "state": state})

    def post(self, request: HttpRequest, segment: str) -> HttpResponse:
        object_type = writable_type_or_404(segment)
        schema = prism.schema(segment)
        form = RecordForm(schema, request.POST, lookup=find_by_title)
        token = create_token(request)
        context = {"object_type": object_type, "form": form, "creating": True, "state": sign_state(create=token)}
        if not form.is_valid():
            return render(request, "records/form.html", context, status=422)
        values = {k: v for k, v in form.values().items() if v is not None}
        try:
            record = prism.client().service(segment).create(values, idempotency_key=create_key(token, values))
        except ValidationError as exc:
            form.add_api_errors(exc.field_errors)
            return render(request, "records/form.html", context, status=422)
        except PrismError as exc:
            audit.log(request.user, Action.CREATE, segment, after=values, outcome=AuditEntry.Outcome.FAILED, error=exc)
            return render(request, "records/form.html", {**context, "api_error": describe(exc)}, status=503)
        audit.log(request.user, Action.CREATE, segment, record.id, record_repr=title_of(values, schema), after=values)
        messages.success(request, f"Created the {object_type.label.lower()}.")
        return redirect("record-detail", segment, record.id)


class RecordEditView(View):
    def get(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        object_type = writable_type_or_404(segment)
        schema, record = read_for_edit(segment, record_id)
        base = values_of(record, schema)
        locked = unfit(record, schema)
        initial = {**initial_from(base, schema), **{s: json.dumps(record.default.get(s), ensure_ascii=False, default=str) for s in locked}}
        form = RecordForm(schema, initial=initial, lookup=find_by_title, labels=reference_labels(dict(record.default)), locked=locked)
        state = sign_state(base=base, etag=record.etag, opened=timezone.now().isoformat(), locked=locked)
        context = {"object_type": object_type, "form": form, "record_id": record_id, "state": state, "notice": etag_notice(record.etag)}
        return render(request, "records/form.html", context)

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        object_type = writable_type_or_404(segment)
        schema = prism.schema(segment)
        state = read_state(request)
        form = RecordForm(schema, request.POST, lookup=find_by_title, locked=state.get("locked", ()))
        context = {
            "object_type": object_type,
            "form": form,
            "record_id": record_id,
            "state": request.POST.get("state"),
            "notice": etag_notice(state["etag"]),
        }
        if not form.is_valid():
            return render(request, "records/form.html", context, status=422)

        def show_error(message: str, status: int, field_errors: dict[str, str]) -> HttpResponse:
            # Keep what the person typed: the same form again, with the reason.
            form.add_api_errors(field_errors)
            return render(request, "records/form.html", {**context, "api_error": message}, status=status)

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
    segment = object_type.segment
    base = state["base"]
    try:
        result = save_changes(prism.client().service(segment), schema, record_id, base, mine, state["etag"])
    except ValidationError as exc:
        return show_error("The Prism API did not accept some values.", 422, exc.field_errors)
    except PrismError as exc:
        audit.log(
            request.user,
            Action.UPDATE,
            segment,
            record_id,
            before=base,
            after=diff(base, mine),
            outcome=AuditEntry.Outcome.FAILED,
            error=exc,
        )
        if isinstance(exc, NotFound):
            messages.error(request, "This record was deleted meanwhile; your changes were not saved.")
            return redirect("record-list", segment)
        if isinstance(exc, Forbidden):  # the person's Prism access: say so, keep what they typed
            return show_error(describe(exc), 403, {})
        return show_error(describe(exc) + " Your changes are still here; save again when it is back.", 503, {})
    outcome = result.outcome
    if isinstance(outcome, Saved):
        if outcome.sent:
            audit.log(
                request.user,
                Action.UPDATE,
                segment,
                record_id,
                record_repr=title_of({**base, **mine}, schema),
                before={k: base.get(k) for k in outcome.sent},
                after=outcome.sent,
            )
            note = " Changes made meanwhile by someone else were kept." if result.attempts > 1 else ""
            messages.success(request, f"Saved.{note}")
        else:
            messages.info(request, "Nothing changed.")
        return redirect("record-detail", segment, record_id)
    if not outcome.merge.conflicts:
        # Refused as a conflict (412) with nothing that differs to show: nothing to resolve.
        audit.log(
            request.user,
            Action.UPDATE,
            segment,
            record_id,
            before=base,
            after=diff(base, mine),
            outcome=AuditEntry.Outcome.CONFLICT,
            message="The Prism API refused the save (412) without a change to show.",
        )
        return show_error(
            "The Prism API refused the save as a conflicting change but showed no change to the record, "
            "so nothing was saved; your changes are still here, try again in a moment.",
            409,
            {},
        )
    audit.log(
        request.user,
        Action.UPDATE,
        segment,
        record_id,
        before=base,
        after=diff(base, mine),
        outcome=AuditEntry.Outcome.CONFLICT,
        message="Changed meanwhile by someone else: " + ", ".join(c.slug for c in outcome.merge.conflicts),
    )
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
        "rows": rows,
        "state": sign_state(**state),
        "other_change": audit.last_change_by_others(object_type.segment, record_id, request.user, opened),
        "auto_merged": [schema.get(s) for s in state["auto"] if schema.get(s)],
        "their_changes": [schema.get(s) for s in state["theirs_changed"] if schema.get(s)],
        "api_error": api_error,
    }
    return render(request, "records/conflict.html", context, status=status)


class ConflictResolveView(View):
    """The person chose, field by field (mine / theirs / edit); save with the newer ETag."""

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        object_type = writable_type_or_404(segment)
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


@require_POST
def record_delete(request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
    writable_type_or_404(segment)
    etag = request.POST.get("etag") or None
    label = request.POST.get("label", "")
    try:
        prism.client().service(segment).delete(record_id, if_match=etag)
    except PreconditionFailed as exc:
        audit.log(request.user, Action.DELETE, segment, record_id, record_repr=label, outcome=AuditEntry.Outcome.CONFLICT, error=exc)
        if exc.current is None and exc.etag is None:
            # A 412 that says nothing of the record: it may well not have changed.
            messages.warning(
                request,
                "The Prism API refused the delete as a conflicting change, so it was not deleted; look at the record and try again.",
            )
        else:
            messages.warning(request, "This record changed since you opened it, so it was not deleted. Look at the new version first.")
        return redirect("record-detail", segment, record_id)
    except PrismError as exc:
        audit.log(request.user, Action.DELETE, segment, record_id, record_repr=label, outcome=AuditEntry.Outcome.FAILED, error=exc)
        messages.error(request, describe(exc))
        return redirect(next_url(request, reverse("record-detail", args=[segment, record_id])))
    audit.log(request.user, Action.DELETE, segment, record_id, record_repr=label)
    # The message carries an Undo button (see partials/messages.html).
    messages.success(request, f"Moved “{label or record_id}” to the trash.", extra_tags=f"undo {segment} {record_id}")
    return redirect(next_url(request, reverse("record-list", args=[segment])))


def record_action(request: HttpRequest, action: str, segment: str, record_id: str, call) -> Record | None:
    """Run one record write; on failure audit it, say why, and return None."""
    try:
        return call(record_id)
    except PrismError as exc:
        audit.log(request.user, action, segment, record_id, outcome=AuditEntry.Outcome.FAILED, error=exc)
        messages.error(request, describe(exc))
        return None


def label_of(segment: str, record: Record) -> str:
    return str(record.default.get(prism.schema(segment).title_slug) or record.id)


@require_POST
def record_restore(request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
    writable_type_or_404(segment)
    record = record_action(request, Action.RESTORE, segment, record_id, prism.client().service(segment).restore)
    if record is None:
        return redirect(next_url(request, reverse("record-list", args=[segment])))
    label = label_of(segment, record)
    audit.log(request.user, Action.RESTORE, segment, record_id, record_repr=label)
    messages.success(request, f"Restored “{label}”.")
    return redirect(next_url(request, reverse("record-detail", args=[segment, record_id])))


@require_POST
def record_duplicate(request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
    writable_type_or_404(segment)
    copy = record_action(request, Action.DUPLICATE, segment, record_id, prism.client().service(segment).duplicate)
    if copy is None:
        return redirect("record-detail", segment, record_id)
    audit.log(request.user, Action.DUPLICATE, segment, copy.id, record_repr=label_of(segment, copy), before={"copied_from": record_id})
    messages.success(request, "This is the copy. Change what differs and save.")
    return redirect("record-edit", segment, copy.id)


@require_safe
def reference_options(request: HttpRequest, segment: str) -> HttpResponse:
    """Autocomplete suggestions: records of `segment` whose title contains q."""
    object_type_or_404(segment)
    schema = prism.schema(segment)
    # The search box sends itself under its own name (<field>__search).
    typed = request.GET.get("q") or next((v for k, v in request.GET.items() if k.endswith("__search")), "")
    text = typed.strip()[:100]
    rows = []
    if text:
        page = (
            prism.client()
            .service(segment)
            .query(
                Query(select=(schema.title_slug,), limit=10)
                .where(schema.title_slug, Operator.CONTAINS, text)
                .order_by(schema.title_slug, "id")
            )
        )
        rows = [(r.id, str(r.properties.get(schema.title_slug) or r.id)) for r in page.rows]
    return render(request, "partials/reference_options.html", {"rows": rows, "field": request.GET.get("field", ""), "text": text})


@require_safe
def lookup(request: HttpRequest) -> HttpResponse:
    """Find a record by a property value; several → list them; none → offer to create it."""
    segment = request.GET.get("type", "contact")
    object_type = object_type_or_404(segment)
    schema = prism.schema(segment)
    slug = request.GET.get("slug") or ("email" if schema.get("email") else schema.title_slug)
    value = request.GET.get("value", "").strip()
    context = {
        "types": OBJECT_TYPES,
        "object_type": object_type,
        "slug": slug,
        "value": value,
        "properties": [p for p in schema.user_properties if for_property(p).findable],
    }
    if value and schema.get(slug):
        service = prism.client().service(segment)
        try:
            record = service.find(slug, value)
            return redirect("record-detail", segment, record.id)
        except Conflict:
            page = service.query(Query(select=(schema.title_slug, slug), limit=50).where(slug, "=", value))
            context["matches"] = [(r.id, r.properties.get(schema.title_slug) or r.id) for r in page.rows]
        except NotFound:
            context["not_found"] = True
    elif value:
        context["error"] = "Choose a property to look up."
    return render(request, "records/lookup.html", context)


@require_POST
def lookup_create(request: HttpRequest) -> HttpResponse:
    """Nothing matched: create the record with that value (upsert, so a race can't duplicate it)."""
    segment = request.POST.get("type", "")
    writable_type_or_404(segment)
    slug, value = request.POST.get("slug", ""), request.POST.get("value", "").strip()
    if not (slug and value):
        messages.error(request, "Give a property and a value.")
        return redirect("lookup")
    try:
        result = prism.client().service(segment).upsert(slug, value, {})
    except ValidationError as exc:
        messages.error(request, "The record could not be created: " + "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items()))
        return redirect(f"{reverse('record-create', args=[segment])}?{slug}={value}")
    except PrismError as exc:
        messages.error(request, describe(exc))
        return redirect("lookup")
    record = getattr(result, "record", result)
    audit.log(request.user, Action.UPSERT, segment, record.id, record_repr=value, after={slug: value})
    messages.success(request, f"Created it with {slug} = {value}. Fill in the rest.")
    return redirect("record-edit", segment, record.id)


@require_safe
def record_history(request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
    object_type = object_type_or_404(segment)
    # History shows only for a record the person can read now: ask the API with their key first.
    read_record(segment, record_id, [])
    entries = AuditEntry.objects.filter(object_type=segment, record_id=record_id).select_related("user")[:200]
    return render(request, "records/history.html", {"object_type": object_type, "record_id": record_id, "entries": entries})


@require_safe
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.select_related("user")
    filters = {k: request.GET.get(k, "") for k in ("user", "type", "since", "until", "outcome")}
    if filters["user"]:
        entries = entries.filter(username=filters["user"])
    if filters["type"]:
        entries = entries.filter(object_type=filters["type"])
    if filters["outcome"]:
        entries = entries.filter(outcome=filters["outcome"])
    for name, lookup_name in (("since", "created_at__date__gte"), ("until", "created_at__date__lte")):
        try:
            if filters[name]:
                entries = entries.filter(**{lookup_name: dt.date.fromisoformat(filters[name])})
        except ValueError:
            messages.error(request, f"“{filters[name]}” is not a date (YYYY-MM-DD).")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit.html",
        {
            "page": page,
            "filters": filters,
            "types": OBJECT_TYPES,
            "usernames": get_user_model().objects.order_by("username").values_list("username", flat=True),
            "outcomes": AuditEntry.Outcome.choices,
        },
    )

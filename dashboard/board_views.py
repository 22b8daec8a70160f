"""The board's own requests: a column's next cards, and moving a card (board.py; the board
page itself is the record table's URL with layout=board, views.RecordList)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from prism_client import PrismError

from . import audit, board, list_state, prism
from .errors import describe, status_for
from .lookups import title_of
from .models import AuditEntry
from .permissions import CHANGE, VIEW
from .record_table import RecordTable
from .routing import RecordTypeView

COLUMN_VAR = "column"


class BoardColumnMore(RecordTypeView):
    """One column's next cards ("Load more"), through that column's own cursor."""

    route = "records/<str:segment>/board/column/"
    url_name = "board-column"
    permission = VIEW
    template_name = "records/board.html#column_more"

    def get(self, request: HttpRequest, segment: str) -> HttpResponse:
        table = RecordTable(request, self.object_type)
        found = board.Board.of(table.state, table.query, table.schema, table.columns)
        cursor, value = request.GET.get("cursor", ""), request.GET.get(COLUMN_VAR, "")
        if found is None or not cursor or value not in {v for v, _, _ in board.column_values(found.prop)}:
            return render(request, "records/board.html#move_outcome", {"message": "There is nothing more to load here."}, status=400)
        column = found.more(prism.client().service(segment), table.schemas, value, cursor)
        context = {
            "object_type": self.object_type,
            "state": table.state,
            "board": found,
            "column": column,
            "export_query": list_state.export_params(table.state),
        }
        return render(request, self.template_name, context)


class BoardMove(RecordTypeView):
    """A card dropped in another column: one If-Match PATCH of the group property, audited."""

    route = "records/<str:segment>/<record_id:record_id>/move/"
    url_name = "board-move"
    permission = CHANGE
    writable_only = True
    template_name = "records/board.html#move_outcome"

    def post(self, request: HttpRequest, segment: str, record_id: str) -> HttpResponse:
        schema = prism.schema(segment)
        prop = schema.get(request.POST.get("group", ""))
        to = request.POST.get("to", "")
        if prop is None or prop.slug not in list_state.groupable(schema) or (to and to not in {o.slug for o in prop.options}):
            return self.outcome(request, "That is not a column of this board; nothing was changed.", 422)
        seen = request.POST.get("updated_at", "")
        label = self.object_type.label.lower()
        try:
            result = board.move(prism.client().service(segment), record_id, prop.slug, to, seen, title_slug=schema.title_slug)
        except PrismError as exc:
            audit.log(request.user, Action.UPDATE, segment, record_id, after={prop.slug: to or None}, outcome=Outcome.FAILED, error=exc)
            return self.outcome(request, f"{describe(exc)} The card was not moved.", status_for(exc))
        if isinstance(result, board.ChangedMeanwhile):
            who = audit.last_change_by_others(segment, record_id, request.user, board.seen_since(seen))
            audit.log(
                request.user,
                Action.UPDATE,
                segment,
                record_id,
                record_repr=title_of(schema, result.current.default),
                after={prop.slug: to or None},
                outcome=Outcome.CONFLICT,
                message="Changed meanwhile by someone else: not moved on the board.",
            )
            return self.outcome(request, board.changed_meanwhile_sentence(label, prop, result.current, who), 409)
        values = result.record.default
        audit.log(
            request.user,
            Action.UPDATE,
            segment,
            record_id,
            record_repr=title_of(schema, {**result.before, **values}),
            before={prop.slug: result.before.get(prop.slug)},
            after={prop.slug: to or None},
        )
        where = next((o.name for o in prop.options if o.slug == to), f"no {prop.name.lower()}")
        title = title_of(schema, {**result.before, **values}) or f"The {label}"
        context = {"message": f"Moved “{title}” to {where}.", "updated_at": str(values.get(board.UPDATED_AT) or "")}
        return render(request, self.template_name, context)

    def outcome(self, request: HttpRequest, message: str, status: int) -> HttpResponse:
        return render(request, self.template_name, {"message": message}, status=status)


Action, Outcome = AuditEntry.Action, AuditEntry.Outcome

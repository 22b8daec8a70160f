"""The board's own requests: a column's next cards, and moving a card (board.py; the board
page itself is the record table's URL with layout=board, views.RecordList)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import board, list_state, prism
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
        found = board.Board.of(table.state, table.query, table.schema, table.schemas, table.columns)
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
        outcome = board.move_card(
            request.user,
            self.object_type,
            prism.schema(segment),
            record_id,
            group=request.POST.get("group", ""),
            to=request.POST.get("to", ""),
            seen_updated_at=request.POST.get("updated_at", ""),
        )
        context = {"message": outcome.message, "updated_at": outcome.updated_at}
        return render(request, self.template_name, context, status=outcome.status)

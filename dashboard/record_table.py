"""One table page from its URL state: the query, one API call, and what the page shows.

Paging defends against an API whose cursors repeat (a page fingerprint on the Next link)
and against totals at odds with the rows; each problem becomes one sentence on the page.
"""

import hashlib
import json
import shlex
from dataclasses import replace

from django.conf import settings
from django.http import HttpRequest

from prism_client import OBJECT_TYPES_BY_SEGMENT, BadRequest, ObjectType, Page

from . import list_state, presence, prism, search
from .board import Board
from .cells import column, table_rows, title_column
from .filter_builder import filter_rows_context
from .inline_editing import cell_url_pattern, editable_column
from .permissions import CHANGE, allowed

PREVIOUS_VAR = "prev"  # on a "Next" link: the digest of the page it was followed from
PAGE_DIGEST_LENGTH = 12
SAME_PAGE = "The Prism API sent the same page again instead of the next one, so there is no next page to show."


def page_digest(page: Page) -> str:
    """A short fingerprint of a page's record ids ("" for an empty page)."""
    if not page.rows:
        return ""
    return hashlib.sha256("\n".join(row.id for row in page.rows).encode()).hexdigest()[:PAGE_DIGEST_LENGTH]


class RecordTable:
    """Everything one table page shows, from the URL state: one API call."""

    def __init__(self, request: HttpRequest, object_type: ObjectType) -> None:
        segment = object_type.segment
        self.object_type = object_type
        self.schemas = prism.schemas()
        self.schema = self.schemas[segment]
        self.state = list_state.parse(request.GET, self.schema, self.schemas)
        self.filtered = list_state.to_query(self.state, self.schema, self.schemas)  # without the search
        self.search = search.plan(self.filtered, self.schema, self.state.search)
        if self.search.notice:
            self.state = replace(self.state, notices=(*self.state.notices, self.search.notice))
        self.query = self.search.query  # a search beside filters adds its matches' ids: resolve()
        self.columns = [column(c, segment, self.schemas) for c in self.state.columns]
        self.previous_digest = request.GET.get(PREVIOUS_VAR, "")[:PAGE_DIGEST_LENGTH] if self.state.cursor else ""
        self.user = request.user
        # Cells are editable in place for people who may change records (the API may still
        # refuse one: its sentence shows in the cell), never in the trash.
        self.can_edit = object_type.writable and not self.state.trash and allowed(request.user, CHANGE)

    def resolve(self) -> search.Resolved:
        """The query that shows the rows: a search beside filters reads its matches first."""
        resolved = search.resolve(self.search, prism.client().service(self.object_type.segment))
        self.query = resolved.query
        return resolved

    @property
    def export_columns(self) -> list:
        """The CSV's columns: the title's properties first (the table's first column), then the table's others."""
        titles = [column(s, self.object_type.segment, self.schemas) for s in self.schema.title_slugs]
        return [*titles, *(c for c in self.columns if c.path not in self.schema.title_slugs)]

    def context(self) -> dict:
        """The table page: one query."""
        service = prism.client().service(self.object_type.segment)
        resolved = self.resolve()
        try:
            page = service.query(self.query, cursor=self.state.cursor)
        except BadRequest:
            if not self.state.cursor:
                raise
            # A page link the API no longer takes (another query's, an old one): page 1,
            # as the admin does with a bad page number.
            notice = "That page link no longer works, so this is the first page."
            self.state = replace(self.state, cursor=None, trail=(), notices=(*self.state.notices, notice))
            page = service.query(self.query)
        page, cut = self.cut_at_depth(page, resolved)
        next_url, notice = (None, cut) if cut else self.next_link(page)
        self.add_notices(notice, total_notice(page, self.state))
        body = self.query.to_wire(self.state.cursor)
        return {
            **self.page_context(),
            "page": page,
            "table_rows": self.rows(page),
            "can_edit": self.can_edit,
            "next_url": next_url,
            "previous_url": self.state.previous_page(),
            "request_body": json.dumps(body, indent=2),
            "curl": curl_command(self.object_type.segment, body),
        }

    def board_context(self) -> dict:
        """The same state as a board (board.py): one round trip for every column; the
        table for a type with no select property to group by."""
        board = self.board()
        if board is None:
            self.add_notices(f"{self.object_type.plural_label} have no select property to group by, so they are shown as a table.")
            self.state = replace(self.state, layout="")
            return self.context()
        columns = board.load(prism.client().service(self.object_type.segment), self.schemas)
        self.state = replace(self.state, group=board.prop.slug)
        self.add_notices(board.notice)
        groups = [(slug, self.schema.get(slug).name, self.state.query_string(group=slug)) for slug in list_state.groupable(self.schema)]
        return {**self.page_context(), "board": board, "board_columns": columns, "group_links": groups}

    def board(self) -> Board | None:
        """The board of this state: its columns narrow the query, so a search is read first
        as parts (search.py) whose matches restrict it, not as the query's own OR."""
        plan = search.plan(self.filtered, self.schema, self.state.search, narrowed=True)
        resolved = search.resolve(plan, prism.client().service(self.object_type.segment))
        if resolved.cut:  # the board holds the first matches only, and says so
            self.add_notices(search.cut_notice(self.state.search))
        self.query = resolved.query
        return Board.of(self.state, self.query, self.schema, self.schemas, self.columns)

    def page_context(self) -> dict:
        """What a table page shows around its results, as a table or a board."""
        return {
            "object_type": self.object_type,
            "schema": self.schema,
            "state": self.state,
            "columns": self.columns,
            "header_columns": [title_column(self.schema), *self.columns],
            "page_sizes": list_state.PAGE_SIZES,
            "export_query": list_state.export_params(self.state),
            "column_choices": column_choices(self.object_type.segment, self.schemas, self.state.columns),
            "schemas": self.schemas,
            "add_row_url": self.add_row_url(),
            "table_url": self.state.query_string(layout=""),
            "board_url": self.state.query_string(layout=list_state.BOARD) if list_state.groupable(self.schema) else None,
            "search_hint": search.search_hint(self.schema),
            "search_note": search.split_note(self.schema, self.search),
            **filter_rows_context(self.state, self.schema),
        }

    def rows(self, page: Page) -> list:
        """The page's rows, editable cells marked, and who else is editing each row (one
        cache get_many for the page, no API call)."""
        segment = self.object_type.segment
        edit_urls = [cell_url_pattern(segment, c.path) if self.can_edit and editable_column(c) else None for c in self.columns]
        rows = table_rows(page.rows, self.columns, segment, self.schemas, edit_urls)
        editing = presence.editing_rows(segment, [r.id for r in rows], self.user)
        return [replace(r, editing=presence.sentence(editing[r.id])) if r.id in editing else r for r in rows]

    def add_notices(self, *notices: str) -> None:
        if any(notices):
            self.state = replace(self.state, notices=(*self.state.notices, *(n for n in notices if n)))

    def cut_at_depth(self, page: Page, resolved: search.Resolved) -> tuple[Page, str]:
        """A search beside filters that found more than it read ends at SEARCH_DEPTH rows,
        the last rows it is sure of: (the page so cut, why it ends here, or "")."""
        if not resolved.cut:
            return page, ""
        room = max(0, search.SEARCH_DEPTH - (self.state.page_number - 1) * self.state.size)
        if len(page.rows) < room:  # ends before the depth: every match was read
            return replace(page, total=None), ""
        # The total counts only the matches read: not the records that match.
        return replace(page, rows=page.rows[:room], has_more=False, next_cursor=None, total=None), search.cut_notice(self.state.search)

    def next_link(self, page: Page) -> tuple[str | None, str]:
        """The next page's URL, or None and, when the API's answer is at odds with itself, why."""
        digest = page_digest(page)
        if digest and digest == self.previous_digest:
            return None, SAME_PAGE  # the records of the page before, under a new cursor
        if not page.has_more:
            return None, ""
        if not page.rows or not page.next_cursor:
            return None, "The Prism API said more records follow but did not send them, so there is no next page to show."
        if page.next_cursor == self.state.cursor or page.next_cursor in self.state.trail:
            return None, SAME_PAGE  # its link leads back to a page shown already
        # The link carries this page's digest, so the next page can tell if it is this one again.
        return f"{self.state.next_page(page.next_cursor)}&{PREVIOUS_VAR}={digest}", ""

    def add_row_url(self) -> str:
        # Without JavaScript, "Add filter" is a link to the same table with one more row.
        index = max((int(k[1:]) for k, _ in self.state.params() if k[0] == "f" and k[1:].isdigit()), default=-1) + 1
        return f"{self.state.query_string()}&f{index}="


def total_notice(page: Page, state: list_state.ListState) -> str:
    """A sentence when the API's total cannot be right for the rows it sent."""
    if page.total is None:
        return ""
    only_page = state.page_number == 1 and not page.has_more
    if page.total < len(page.rows) or (only_page and page.total != len(page.rows)):
        rows = f"{len(page.rows)} record{'s' if len(page.rows) != 1 else ''}"
        return f"The Prism API counted {page.total:,} records in all but sent {rows} here, so that total may be wrong."
    return ""


def curl_command(segment: str, body: dict) -> str:
    url = f"{settings.MICRO_BASE_URL}/v2/prism/{settings.MICRO_TEAM_ID}/{segment}/query"
    return (
        f"curl -X POST {shlex.quote(url)} \\\n"
        f"  -H 'Content-Type: application/json' \\\n"
        f'  -H "x-api-key: $MICRO_API_KEY" \\\n'
        f"  -d {shlex.quote(json.dumps(body))}"
    )


def column_choices(segment: str, schemas: dict, current: tuple[str, ...]) -> list[dict]:
    """Properties of the type, and one hop into each reference (organization.name…)."""
    groups = [{"label": OBJECT_TYPES_BY_SEGMENT[segment].label, "items": [(p.slug, p.name) for p in schemas[segment].properties]}]
    for prop in schemas[segment].properties:
        if prop.type == "reference" and prop.target in schemas:
            items = [(f"{prop.slug}.{p.slug}", f"{prop.name} › {p.name}") for p in schemas[prop.target].properties]
            groups.append({"label": prop.name, "items": items})
    offered = {path for g in groups for path, _ in g["items"]}
    deeper = [(path, column(path, segment, schemas).label) for path in current if path not in offered]
    if deeper:  # two hops deep (attendee.contact.first_name): shown so they stay picked
        groups.append({"label": "Other columns", "items": deeper})
    return groups

"""CSV export: every page of a query, followed through its cursor, one row at a time."""

import csv
from collections.abc import Iterator
from dataclasses import replace

from prism_client import MAX_LIMIT, Page, Query

from .cells import Column, lookup
from .spreadsheet import safe_cell


class _Line:
    """A file-like object csv.writer writes one line into, for streaming."""

    def write(self, value: str) -> str:
        return value


def plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(plain(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("id", ""))
    return str(value)


def export_cell(value: object) -> object:
    """A value as its CSV cell: a number property's value stays a number (-5 is not a formula,
    and a quote in front would make it text); everything else is text, made safe to open."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return safe_cell(plain(value))


def start_export(service, query: Query, columns: list[Column]) -> tuple[int | None, Iterator[str]]:
    """(total rows, CSV lines). The first page is read now, for the total; the rest as streamed."""
    query = replace(query, limit=MAX_LIMIT, include_total=True)
    first = service.query(query)

    def lines() -> Iterator[str]:
        writer = csv.writer(_Line())
        yield writer.writerow(["id", *(safe_cell(c.label) for c in columns)])
        page: Page | None = first
        follow_up = replace(query, include_total=False)
        while page is not None:
            for row in page.rows:
                yield writer.writerow([safe_cell(row.id), *(export_cell(lookup(row.properties, c.path)[0]) for c in columns)])
            page = service.query(follow_up, cursor=page.next_cursor) if page.has_more and page.next_cursor else None

    return first.total, lines()

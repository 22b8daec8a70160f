"""CSV export: every page of a query, read side by side by page number, written in order,
one row at a time.

The API's page numbers are meant for one-shot exports (its reference: they drift under
concurrent writes, so browsing follows cursors). The first page says how many records
match (include_total); the other pages are read at once, at most PRISM_CONCURRENCY at a
time (fan_out.in_order), and written in order while later ones are still on their way:
10,000 rows cost about 200 / 16 round trips instead of 200. A record added meanwhile
shifts rows onto the next page (written once: see below) or past the last counted page
(read on through that page's cursor); one deleted meanwhile can let a row slip between
two pages, the price the reference names for page numbers.
"""

import csv
import json
import logging
import math
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from itertools import islice

from prism_client import MAX_LIMIT, Page, PrismError, Query

from .cells import Column, lookup
from .errors import describe
from .fan_out import in_order
from .spreadsheet import safe_cell

logger = logging.getLogger(__name__)
# The most one export reads: 200,000 rows at 50 a page. An API that never says it is
# done ends here too (prism_client also stops a cursor that does not advance).
MAX_PAGES = 4_000
# The last line of an export that could not read every page (app.js shows it on the page).
STOPPED = "# Export stopped after"


class _Line:
    """A file-like object csv.writer writes one line into, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_line(cells: list) -> str:
    """One CSV line."""
    return csv.writer(_Line()).writerow(cells)


def plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(plain(v) for v in value)
    if isinstance(value, dict):
        # A reference is its id; any other object (a shape the type does not promise) goes
        # out as the API sent it rather than as an empty cell.
        return str(value["id"]) if value.get("id") else json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def export_cell(value: object) -> object:
    """A value as its CSV cell: a number property's value stays a number (-5 is not a formula,
    and a quote in front would make it text); everything else is text, made safe to open."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return safe_cell(plain(value))


def start_export(service, query: Query, columns: list[Column]) -> tuple[int | None, Iterator[str]]:
    """(total rows, CSV lines). The first page is read now, for the total (and so that a
    failure there is an error page); the rest as streamed."""
    query = replace(query, limit=MAX_LIMIT, include_total=True, page=1)
    first = service.query(query)

    def lines() -> Iterator[str]:
        writer = csv.writer(_Line())
        yield writer.writerow(["id", *(safe_cell(c.label) for c in columns)])
        written, previous = 0, set()
        try:
            for page in pages(service, replace(query, include_total=False), first):
                ids = set()
                for row in page.rows:
                    if row.id in previous or row.id in ids:
                        continue  # sent again by a page that shifted (offset paging): once is enough
                    ids.add(row.id)
                    written += 1
                    yield writer.writerow([safe_cell(row.id), *(export_cell(lookup(row.properties, c.path)[0]) for c in columns)])
                previous = ids
        except PrismError as exc:
            # The answer has begun (status 200, headers sent), so the file itself must say
            # it is incomplete: a last line no one can take for a record.
            logger.warning("Export stopped after %d rows: %s", written, exc)
            yield writer.writerow([f"{STOPPED} {written:,} row{'s' if written != 1 else ''}: {describe(exc)}"])

    return first.total, lines()


def pages(service, query: Query, first: Page) -> Iterator[Page]:
    """Every page of ``query`` in order: ``first`` (page 1, read with its total), then the
    pages that total says there are, read side by side, then any added meanwhile."""
    yield first
    if not first.has_more:
        return
    if first.total is None:  # an API that gave no total: one page after the other, by cursor
        yield from islice(service.iter_pages(query, first=first, max_pages=MAX_PAGES), 1, None)
        return
    last_number = min(math.ceil(first.total / MAX_LIMIT), MAX_PAGES)
    previous, number = first, 1
    numbered = in_order(partial(service.query, query.at_page(n)) for n in range(2, last_number + 1))
    for page in numbered:
        if isinstance(page, PrismError):
            raise page
        if page.rows and [r.id for r in page.rows] == [r.id for r in previous.rows]:
            # An API that does not know page numbers answers page 1 again: on by cursor instead.
            numbered.close()
            break
        yield page
        if not page.has_more:
            return  # fewer records now than counted: the pages after this one are empty
        previous, number = page, number + 1
    # The rest by cursor: records added meanwhile (past the count), or every page after the
    # first where page numbers are not understood.
    yield from islice(service.iter_pages(query, first=previous, max_pages=MAX_PAGES - number + 1), 1, None)

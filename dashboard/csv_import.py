"""CSV import, the pure part: read a file, map its columns, convert cells, plan API rows.

Nothing here calls the API or the database, so every rule has a unit test
(tests/dashboard/test_csv_import.py). The wizard's views and the run service
(dashboard/importing.py) put these pieces together.

A run's `results` hold one entry per CSV data row, in order:
``{"status": "created" | "updated" | "failed", "id": str | None, "error": str}``, or
``{"status": "pending", "job": n}`` while the API's job n (an index into the run's
job ids) has not answered for that row yet.
"""

import codecs
import csv
import io
import itertools
import math
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prism_client import ImportRowResult, PropertyDefinition

from .property_types import BadValue, PropertyType, for_property
from .property_types.base import quote
from .property_types.text import EMAIL_RE
from .spreadsheet import safe_cell, unquote_cell

MAX_ROWS = 50_000
MAX_COLUMNS = 200  # one select each on the mapping form (Django takes at most 1,000 fields)
MAX_BYTES = 20 * 1024 * 1024  # 50,000 rows of a wide contact export stay well under this
API_CHUNK_ROWS = 10_000  # the API's import limit per request
PREVIEW_ROWS = 10
FIRST_ROWS = 50  # kept at upload: the mapping page's sample values and preview
# The rows past the preview's first ones that cannot be imported, shown on the mapping page:
# every one, up to this many (all of them go in the failed-rows file anyway).
MAX_INVALID_SHOWN = 200
NUMBER_LIKE_RE = re.compile(r"^[-+]?\d[\d.,]*$")

SAVE_AS_UTF8 = (
    "Save it as UTF-8 and upload it again: in Excel, File › Save As › “CSV UTF-8 (Comma delimited)”; "
    "in Google Sheets, File › Download › Comma-separated values; in LibreOffice or Numbers, "
    "choose the character set “Unicode (UTF-8)” when exporting."
)


class CsvProblem(ValueError):
    """The file cannot be imported as it is; the message tells the person what to do."""


# --- reading the file -----------------------------------------------------------------------


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's header and its non-blank data rows (cells as written, rows maybe ragged).

    `rows` is a tuple (`parse`), or StoredRows, which reads them from the text on each pass.
    """

    headers: tuple[str, ...]
    rows: "tuple[tuple[str, ...], ...] | StoredRows"
    delimiter: str = ","

    @property
    def row_count(self) -> int:
        return sum(1 for _ in self.rows)

    def cell(self, row: Sequence[str], index: int) -> str:
        return row[index] if index < len(row) else ""


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise CsvProblem(
            f"The file is {megabytes(size)}; an import takes files up to {megabytes(MAX_BYTES)}. "
            f"Split it into smaller files (at most {MAX_ROWS:,} rows each)."
        )


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark is dropped), or a CsvProblem saying how to fix it."""
    check_size(len(data))
    if not data or data.isspace():  # (strip() would copy the whole file)
        raise CsvProblem("The file is empty. Choose a CSV file with a header row and at least one row of data.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvProblem(f"The file is saved as UTF-16 (“Unicode text”), not UTF-8. {SAVE_AS_UTF8}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvProblem(
            f"The file is not UTF-8 text: byte 0x{data[exc.start]:02X} on line {line:,} cannot be read "
            f"(the file was probably saved as Windows-1252 or Latin-1). {SAVE_AS_UTF8}"
        ) from None
    if "\x00" in text:
        raise CsvProblem(f"The file contains NUL bytes, so it is not a plain-text CSV file. {SAVE_AS_UTF8}")
    return text


def sniff_delimiter(text: str) -> str:
    """Comma unless the first line holds more semicolons or tabs (European Excel, TSV)."""
    first = text[:65536].lstrip("\r\n").split("\n", 1)[0]  # (a slice: never a copy of the whole file)
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def normal(name: str) -> str:
    """A name compared without case, spaces, underscores or hyphens ("First Name" == "first_name")."""
    return re.sub(r"[\s_\-]+", "", name).casefold()


def _looks_like_data(value: str) -> bool:
    text = value.strip()
    if EMAIL_RE.match(text):
        return True
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False


def check_headers(headers: Sequence[str]) -> tuple[str, ...]:
    names = tuple(unquote_cell(h.strip()) for h in headers)
    if len(names) > MAX_COLUMNS:
        raise CsvProblem(f"The file has {len(names):,} columns; an import takes at most {MAX_COLUMNS}. Delete the columns you do not need.")
    if not any(names):
        raise CsvProblem("The first row is empty. It must name the columns, for example: first_name,last_name,email.")
    for position, name in enumerate(names, start=1):
        if not name:
            raise CsvProblem(f"Column {position} has no name in the header row. Name every column, or delete the empty column.")
    data_like = next((n for n in names if _looks_like_data(n)), None)
    if data_like is not None or all(NUMBER_LIKE_RE.match(n) for n in names):
        example = data_like or names[0]
        raise CsvProblem(
            f"The first row looks like data (“{example}”), not column names. "
            "Add a header row that names the columns, for example: first_name,last_name,email."
        )
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        key = normal(name)
        if key in seen:
            raise CsvProblem(
                f"The header row names the column “{name}” twice (columns {seen[key]} and {position}). Rename or delete one of them."
            )
        seen[key] = position
    return names


LINE_END = re.compile(r"\r\n|\r|\n")
EMPTY_FILE = "The file is empty. Choose a CSV file with a header row and at least one row of data."


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their line breaks, as csv.reader wants them: slices, one at a
    time (io.StringIO would hold a second, four-bytes-a-character copy of the whole file)."""
    start = 0
    for end in LINE_END.finditer(text):
        yield text[start : end.end()]
        start = end.end()
    if start < len(text):
        yield text[start:]


def _problem(exc: csv.Error, line: int) -> CsvProblem:
    if "unexpected end of data" in str(exc):
        return CsvProblem(
            f'A quoted value is never closed (a closing " is missing; the file ends inside it, '
            f"after line {line:,}). Check the quotes and upload it again."
        )
    return CsvProblem(f"The file could not be read as CSV at line {line:,}: {exc}.")


def stream(text: str) -> tuple[tuple[str, ...], str, Iterator[tuple[str, ...]]]:
    """(headers, delimiter, data rows): the header is read now, each data row when it is asked
    for, so no more than a row is held at a time. Blank lines are skipped; CsvProblem for
    anything unusable, the row limit included (raised when the rows are read)."""
    delimiter = sniff_delimiter(text)
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise _problem(exc, reader.line_num) from None
    if header is None:
        raise CsvProblem(EMPTY_FILE)
    return check_headers(header), delimiter, _data_rows(reader)


def _data_rows(reader) -> Iterator[tuple[str, ...]]:
    count = 0
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                count += 1
                if count <= MAX_ROWS:
                    yield tuple(row)
    except csv.Error as exc:
        raise _problem(exc, reader.line_num) from None
    if count > MAX_ROWS:  # counted to the end (holding nothing), to say how many there are
        raise CsvProblem(
            f"The file has {count:,} rows; an import takes at most {MAX_ROWS:,}. Split it into files of up to {MAX_ROWS:,} rows each."
        )


NO_ROWS = "The file has a header row but no rows of data under it."


def parse(text: str) -> CsvTable:
    """The header and every data row, in memory (for small files; `stream` reads row by row)."""
    headers, delimiter, rows = stream(text)
    table = CsvTable(headers, tuple(rows), delimiter)
    if not table.rows:
        raise CsvProblem(NO_ROWS)
    return table


@dataclass(frozen=True)
class StoredRows:
    """A stored file's data rows, read again from its text each time they are iterated."""

    text: str

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return stream(self.text)[2]


@dataclass(frozen=True)
class Summary:
    """What the mapping page shows of a file, found in one reading of it at upload."""

    headers: tuple[str, ...]
    row_count: int
    first_rows: tuple[tuple[str, ...], ...]  # for the samples and the preview
    mapping: dict[str, str]  # matched by name
    bad_rows: int  # rows that cannot be imported with that mapping
    invalid: tuple[tuple[int, tuple[str, ...]], ...] = ()  # the first of them past the preview: (number, cells)


def summarize(text: str, properties: Iterable[PropertyDefinition]) -> Summary:
    headers, _, rows = stream(text)
    properties = tuple(properties)
    mapping = auto_map(headers, properties)
    props = {p.slug: p for p in importable(properties)}
    mapped = mapped_columns(headers, mapping, props)
    first: list[tuple[str, ...]] = []
    invalid: list[tuple[int, tuple[str, ...]]] = []
    count = bad = 0
    for row in rows:
        count += 1
        if len(first) < FIRST_ROWS:
            first.append(row)
        if not plan_row(count, row, headers, mapping, props, mapped=mapped).ok:
            bad += 1
            if count > PREVIEW_ROWS and len(invalid) < MAX_INVALID_SHOWN:
                invalid.append((count, tuple(row)))
    if not count:
        raise CsvProblem(NO_ROWS)
    return Summary(headers, count, tuple(first), mapping, bad, tuple(invalid))


def read(data: bytes) -> tuple[str, CsvTable]:
    """Decode and parse an uploaded file: (text, table)."""
    text = decode(data)
    return text, parse(text)


# --- mapping columns to properties -----------------------------------------------------------------


def importable(properties: Iterable[PropertyDefinition]) -> tuple[PropertyDefinition, ...]:
    """The properties a CSV column can fill: not read-only, not system ones, of a type the dashboard writes."""
    return tuple(
        p
        for p in properties
        if not p.read_only and p.slug not in ("id", "created_at", "updated_at", "deleted_at") and for_property(p).editable
    )


def dedupe_candidates(properties: Iterable[PropertyDefinition]) -> tuple[PropertyDefinition, ...]:
    """Properties a row can be matched to an existing record by (one value, compared as is)."""
    return tuple(p for p in importable(properties) if for_property(p).dedupe)


def auto_map(headers: Sequence[str], properties: Iterable[PropertyDefinition]) -> dict[str, str]:
    """{column: slug} for columns named like a property's slug, else its name; each property once."""
    props = importable(properties)
    by_slug = {normal(p.slug): p.slug for p in props}
    by_name = {normal(p.name): p.slug for p in props}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in headers:
        key = normal(column)
        slug = by_slug.get(key) or by_name.get(key)
        if slug and slug not in taken:
            mapping[column] = slug
            taken.add(slug)
    return mapping


@dataclass(frozen=True)
class MappingReport:
    """What a mapping leaves out (warnings) and what stops the import (errors)."""

    ignored: tuple[str, ...] = ()
    missing_required: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def check_mapping(
    headers: Sequence[str], mapping: Mapping[str, str], properties: Iterable[PropertyDefinition], dedupe_by: str = ""
) -> MappingReport:
    props = {p.slug: p for p in importable(properties)}
    errors: list[str] = []
    used: dict[str, str] = {}
    for column in headers:
        slug = mapping.get(column)
        if not slug:
            continue
        if slug not in props:
            errors.append(f"Column “{column}” is mapped to “{slug}”, which cannot be imported. Choose another property or skip it.")
        elif slug in used:
            errors.append(
                f"Columns “{used[slug]}” and “{column}” are both mapped to {props[slug].name}. Map one of them and skip the other."
            )
        else:
            used[slug] = column
    if not used and not errors:
        errors.append("Map at least one column to a property.")
    if dedupe_by:
        candidates = {p.slug for p in dedupe_candidates(props.values())}
        if dedupe_by not in candidates:
            errors.append("Choose a property that matches existing records (or “Always create new records”).")
        elif dedupe_by not in used:
            errors.append(f"To match existing records by {props[dedupe_by].name}, map a column to {props[dedupe_by].name}.")
    ignored = tuple(c for c in headers if not mapping.get(c))
    missing = tuple(p.name for p in props.values() if p.required and p.slug not in used)
    return MappingReport(ignored=ignored, missing_required=missing, errors=tuple(errors))


# --- converting cells to the API's values -----------------------------------------------------------


def display(value: Any) -> str:
    """A converted value as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(display(v) for v in value)
    return str(value)


# --- planning rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    raw: str
    value: Any = None
    error: str = ""
    slug: str = ""  # empty: the column is not imported

    @property
    def changed(self) -> bool:
        """The value the API gets reads differently from the cell (e.g. yes → true)."""
        return bool(self.slug) and not self.error and self.value is not None and display(self.value) != self.raw.strip()

    @property
    def shown(self) -> str:
        return display(self.value)


@dataclass(frozen=True)
class RowPlan:
    """One CSV row: its cells as checked and the object the API gets (when there are no problems)."""

    number: int  # 1 = the first row under the header
    cells: tuple[Cell, ...]
    values: dict[str, Any] = field(default_factory=dict)
    cell_problems: tuple[str, ...] = ()  # "Column: why", one per bad cell
    row_problems: tuple[str, ...] = ()  # about the row as a whole

    @property
    def problems(self) -> tuple[str, ...]:
        return self.row_problems + self.cell_problems

    @property
    def ok(self) -> bool:
        return not (self.row_problems or self.cell_problems)

    @property
    def error(self) -> str:
        return " ".join(self.problems)


def mapped_columns(
    headers: Sequence[str], mapping: Mapping[str, str], props: Mapping[str, PropertyDefinition]
) -> tuple[tuple[int, str, PropertyType], ...]:
    """(position, column, the property's type) of each column that is imported."""
    return tuple((i, c, for_property(props[mapping[c]])) for i, c in enumerate(headers) if mapping.get(c) in props)


def plan_row(
    number: int,
    row: Sequence[str],
    headers: Sequence[str],
    mapping: Mapping[str, str],
    props: Mapping[str, PropertyDefinition],
    *,
    with_cells: bool = False,
    mapped: Sequence[tuple[int, str, PropertyType]] | None = None,
) -> RowPlan:
    """Convert one row's mapped cells; `with_cells` keeps every cell's outcome (for the preview).

    `mapped` (from mapped_columns) spares looking at the columns that are not imported,
    row after row, when the cells are not kept.
    """
    cells: list[Cell] = []
    values: dict[str, Any] = {}
    problems: list[str] = []
    row_problems: list[str] = []
    if len(row) > len(headers):
        extra = ", ".join(quote(c) for c in row[len(headers) :] if c.strip()) or "empty values"
        row_problems.append(
            f"This row has {len(row)} values but the header names {len(headers)} columns (extra: {extra}); "
            "a value with a comma in it needs quotes."
        )
    if with_cells or mapped is None:
        kinds = {i: kind for i, _, kind in mapped_columns(headers, mapping, props)}
        columns = [(i, c, kinds.get(i)) for i, c in enumerate(headers)]
    else:
        columns = list(mapped)
    for index, column, kind in columns:
        raw = row[index] if index < len(row) else ""
        if kind is None:
            if with_cells:
                cells.append(Cell(raw))
            continue
        prop = kind.prop
        try:
            value = kind.from_csv(unquote_cell(raw))  # a cell of our own downloads imports as it was
        except BadValue as exc:
            problems.append(f"{column}: {exc}")
            if with_cells:
                cells.append(Cell(raw, error=str(exc), slug=prop.slug))
            continue
        if with_cells:
            cells.append(Cell(raw, value, slug=prop.slug))
        if value is not None:
            values[prop.slug] = value
    if not values and not problems and not row_problems:
        row_problems.append("This row has no values in the imported columns.")
    return RowPlan(number, tuple(cells), values, tuple(problems), tuple(row_problems))


def plan(
    table: CsvTable,
    mapping: Mapping[str, str],
    properties: Iterable[PropertyDefinition],
    *,
    limit: int | None = None,
    with_cells: bool = False,
) -> Iterator[RowPlan]:
    """Each row's plan, in file order (the first `limit` rows only, when given), one at a time."""
    props = {p.slug: p for p in importable(properties)}
    mapped = mapped_columns(table.headers, mapping, props)
    for number, row in enumerate(itertools.islice(table.rows, limit), start=1):
        yield plan_row(number, row, table.headers, mapping, props, with_cells=with_cells, mapped=mapped)


# --- results ---------------------------------------------------------------------------------------------

CREATED, UPDATED, FAILED, PENDING = "created", "updated", "failed", "pending"


def failed(error: str) -> dict:
    return {"status": FAILED, "id": None, "error": error}


def result_of(row: ImportRowResult) -> dict:
    if row.error is not None or not row.id:
        message = (row.error.message or row.error.code) if row.error else None
        return failed(message or "The Prism API did not import this row.")
    return {"status": UPDATED if row.existing else CREATED, "id": row.id, "error": ""}


def initial_results(plans: Iterable[RowPlan]) -> list[dict]:
    """Rows with problems fail here (the API never sees them); the rest wait for the API."""
    return [{"status": PENDING, "job": None} if p.ok else failed(p.error) for p in plans]


def pending_slots(results: Sequence[dict], job: int | None = None) -> list[int]:
    """Rows still waiting for the API (for one job, by its index in the run's job ids)."""
    return [i for i, r in enumerate(results) if r["status"] == PENDING and r.get("job") == job]


def assign(results: list[dict], slots: Iterable[int], job: int) -> None:
    for slot in slots:
        results[slot] = {"status": PENDING, "job": job}


def fill(results: list[dict], slots: Sequence[int], rows: Sequence[ImportRowResult], *, stopped: str = "") -> None:
    """Put the API's answers for `slots` (in order) into results; slots it gave no answer for fail."""
    for position, slot in enumerate(slots):
        if position < len(rows):
            results[slot] = result_of(rows[position])
        else:
            results[slot] = failed(stopped or "The Prism API gave no result for this row.")


def chunks(items: Sequence[Any], limit: int | None = None) -> list[Sequence[Any]]:
    """Even chunks of at most `limit` (10,001 rows → 5,001 + 5,000, never 10,000 + 1).

    Not prism_client's `chunked`, whose chunks are all full but the last."""
    parts = math.ceil(len(items) / (limit or API_CHUNK_ROWS))
    if not parts:
        return []
    base, extra = divmod(len(items), parts)
    ends = itertools.accumulate((base + 1 if i < extra else base for i in range(parts)), initial=0)
    return [items[start:end] for start, end in itertools.pairwise(ends)]


@dataclass(frozen=True)
class Tally:
    created: int = 0
    updated: int = 0
    failed: int = 0
    pending: int = 0

    @property
    def succeeded(self) -> int:
        return self.created + self.updated

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.failed


def tally(results: Iterable[dict]) -> Tally:
    counts = {CREATED: 0, UPDATED: 0, FAILED: 0, PENDING: 0}
    for r in results:
        counts[r["status"]] += 1
    return Tally(counts[CREATED], counts[UPDATED], counts[FAILED], counts[PENDING])


def error_column(headers: Sequence[str]) -> str:
    taken = {normal(h) for h in headers}
    name = "error"
    while normal(name) in taken:
        name = f"import {name}"
    return name


def failed_rows_csv(table: CsvTable, results: Sequence[dict], labels: list[str] | None = None) -> str:
    """The failed rows, as they were, plus an error column: fix them and import this file again.

    Starts with a UTF-8 byte-order mark so that Excel opens it as UTF-8 (the importer drops it).
    `labels`, when given, gets each row's label on the way (one reading of the rows for both).
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=table.delimiter, lineterminator="\r\n")
    width = len(table.headers)
    writer.writerow([safe_cell(c) for c in (*table.headers, error_column(table.headers))])
    for row, result in zip(table.rows, results, strict=False):
        if labels is not None:
            labels.append(row_label(row))
        if result["status"] == FAILED:
            cells = list(row[:width]) + [""] * (width - len(row))
            writer.writerow([safe_cell(c) for c in (*cells, result["error"])])
    return out.getvalue()


def row_label(row: Sequence[str], limit: int = 3) -> str:
    """The row's first few values, to recognise it in the results table."""
    return " · ".join([c.strip() for c in row if c.strip()][:limit])[:100]

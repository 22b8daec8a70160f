"""CSV import, the pure part: decoding, parsing, auto-mapping, cell conversion, planning, results."""

import codecs
import csv
import io
import uuid

import pytest

from dashboard import csv_import as ci
from dashboard.property_types import BadValue, for_property
from prism_client import ErrorInfo, ImportRowResult, PropertyDefinition, PropertyOption

from .schema_fixtures import CONTACT

ORG_ID = "0b7c6f1e-3f57-4a43-9f0e-4d7c1a2b3c4d"


def prop(type_: str, **kwargs) -> PropertyDefinition:
    return PropertyDefinition(kwargs.pop("slug", "p"), kwargs.pop("name", "Prop"), type_, **kwargs)


STATUS = prop(
    "select",
    slug="status",
    name="Status",
    options=(PropertyOption("lead", "Lead", id="11111111-1111-1111-1111-111111111111"), PropertyOption("customer", "Customer")),
)
TAGS = prop("multiselect", slug="tags", name="Tags", options=(PropertyOption("vip", "VIP"), PropertyOption("partner", "Partner")))
NAME_REQUIRED = PropertyDefinition("name", "Name", "text", required=True)


def problem(data: bytes) -> str:
    with pytest.raises(ci.CsvProblem) as caught:
        ci.read(data)
    return str(caught.value)


# --- decoding ------------------------------------------------------------------------------------


def test_decode_reads_utf8_and_drops_a_byte_order_mark():
    assert ci.decode(codecs.BOM_UTF8 + "name\nZoë\n".encode()) == "name\nZoë\n"


def test_decode_latin1_file_says_it_is_not_utf8_where_and_how_to_save_as_utf8():
    message = problem("name\nAda\nZoë\n".encode("cp1252"))
    assert "not UTF-8" in message and "byte 0xEB on line 3" in message
    assert "CSV UTF-8" in message and "Save it as UTF-8" in message


def test_decode_utf16_file_is_named_as_such():
    message = problem("name\nAda\n".encode("utf-16"))
    assert "UTF-16" in message and "Save it as UTF-8" in message


def test_decode_nul_bytes_are_not_a_text_file():
    assert "NUL bytes" in problem(b"name\nA\x00da\n")


@pytest.mark.parametrize("data", [b"", b"  \n\r\n  "])
def test_empty_file(data):
    assert problem(data).startswith("The file is empty.")


def test_file_too_large_names_its_size_and_the_limit():
    message = problem(b"name\n" + b"x" * ci.MAX_BYTES)
    assert message.startswith("The file is 20.0 MB; an import takes files up to 20.0 MB.")
    with pytest.raises(ci.CsvProblem, match=r"21\.0 MB"):
        ci.check_size(21 * 1024 * 1024)
    ci.check_size(ci.MAX_BYTES)  # exactly the limit is fine


# --- parsing -------------------------------------------------------------------------------------


def test_parse_reads_quoted_cells_multiline_values_and_skips_blank_lines():
    table = ci.parse('name,notes\r\n"Doe, Jane","line 1\nline 2"\r\n\r\n,\r\nBo,\r\n')
    assert table.headers == ("name", "notes")
    assert table.rows == (("Doe, Jane", "line 1\nline 2"), ("Bo", ""))
    assert table.row_count == 2 and table.delimiter == ","


def test_parse_strips_header_names():
    assert ci.parse(" First name , email \nA,a@x.io\n").headers == ("First name", "email")


@pytest.mark.parametrize(("first_line", "delimiter"), [("a;b;c", ";"), ("a\tb\tc", "\t"), ("a,b;c", ","), ("name", ",")])
def test_delimiter_is_sniffed_from_the_header(first_line, delimiter):
    assert ci.sniff_delimiter(first_line + "\nx\n") == delimiter


def test_semicolon_file_parses():
    assert ci.parse("name;score\nAda;3\n").rows == (("Ada", "3"),)


@pytest.mark.parametrize("text", ["\nname\nAda\n", ",,\nA,b,c\n", " , \nA,b\n"])
def test_empty_header_row(text):
    with pytest.raises(ci.CsvProblem, match=r"The first row is empty\. It must name the columns"):
        ci.parse(text)


def test_header_with_a_nameless_column():
    with pytest.raises(ci.CsvProblem, match="Column 2 has no name in the header row"):
        ci.parse("name,,email\nA,b,c\n")


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("ada@example.com,Ada\nbo@example.com,Bo\n", "ada@example.com"),
        (f"{ORG_ID},x\n{ORG_ID},y\n", ORG_ID),
        ("12,3.5\n1,2\n", "12"),
    ],
)
def test_missing_header_row_first_row_looks_like_data(text, example):
    with pytest.raises(ci.CsvProblem, match=f"The first row looks like data \\(“{example}”\\)"):
        ci.parse(text)


def test_a_numeric_column_name_among_words_is_a_header():
    assert ci.parse("name,2024\nA,1\n").headers == ("name", "2024")


def test_duplicate_column_names_case_and_space_insensitive():
    with pytest.raises(ci.CsvProblem, match=r"names the column “E-mail” twice \(columns 2 and 4\)"):
        ci.parse("name,Email,score,E-mail\nA,a@x.io,1,b@x.io\n")


def test_too_many_columns():
    with pytest.raises(ci.CsvProblem, match=r"The file has 201 columns; an import takes at most 200\."):
        ci.parse(",".join(f"c{i}" for i in range(201)) + "\n" + "x\n")
    assert len(ci.parse(",".join(f"c{i}" for i in range(200)) + "\nx\n").headers) == 200


def test_header_without_rows():
    with pytest.raises(ci.CsvProblem, match="header row but no rows of data"):
        ci.parse("name,email\n\n")


def test_more_than_50000_rows():
    text = "name\n" + "x\n" * (ci.MAX_ROWS + 1)
    with pytest.raises(ci.CsvProblem, match="The file has 50,001 rows; an import takes at most 50,000"):
        ci.parse(text)
    assert ci.parse("name\n" + "x\n" * ci.MAX_ROWS).row_count == ci.MAX_ROWS


def test_unclosed_quote():
    with pytest.raises(ci.CsvProblem, match="A quoted value is never closed"):
        ci.parse('name,notes\nAda,"oops\nBo,fine\n')


def test_other_csv_errors_name_the_line():
    with pytest.raises(ci.CsvProblem, match="could not be read as CSV at line 2"):
        ci.parse('name,notes\nAda,"quoted"trailing\n')


# --- mapping -------------------------------------------------------------------------------------


def test_auto_map_by_slug_then_by_name_ignoring_case_spaces_and_separators():
    headers = ["FIRST NAME", "e-mail", "Score", "VIP", "Created at", "Shoe size", "first_name"]
    mapping = ci.auto_map(headers, CONTACT.properties)
    # "VIP" is the name of is_vip; read-only created_at is never a target; first_name is taken once.
    assert mapping == {"FIRST NAME": "first_name", "e-mail": "email", "Score": "score", "VIP": "is_vip"}


def test_importable_leaves_out_read_only_and_system_properties():
    slugs = [p.slug for p in ci.importable(CONTACT.properties)]
    assert "created_at" not in slugs and "updated_at" not in slugs and slugs[0] == "first_name"


def test_dedupe_candidates_are_single_comparable_values():
    assert [p.slug for p in ci.dedupe_candidates(CONTACT.properties)] == ["first_name", "email", "status", "score", "birthday"]


def test_check_mapping_lists_ignored_columns_and_missing_required():
    report = ci.check_mapping(["email", "Shoe size"], {"email": "email"}, [*CONTACT.properties, NAME_REQUIRED])
    assert report.ok and report.ignored == ("Shoe size",) and report.missing_required == ("Name",)


def test_check_mapping_one_property_from_two_columns_is_an_error():
    report = ci.check_mapping(["Email", "Mail"], {"Email": "email", "Mail": "email"}, CONTACT.properties)
    assert report.errors == ("Columns “Email” and “Mail” are both mapped to Email. Map one of them and skip the other.",)


def test_check_mapping_nothing_mapped():
    assert ci.check_mapping(["a"], {}, CONTACT.properties).errors == ("Map at least one column to a property.",)


def test_check_mapping_unknown_or_read_only_target():
    report = ci.check_mapping(["a"], {"a": "created_at"}, CONTACT.properties)
    assert report.errors == ("Column “a” is mapped to “created_at”, which cannot be imported. Choose another property or skip it.",)


def test_check_mapping_dedupe_property_must_be_mapped_and_comparable():
    headers, mapping = ["first"], {"first": "first_name"}
    assert ci.check_mapping(headers, mapping, CONTACT.properties, "email").errors == (
        "To match existing records by Email, map a column to Email.",
    )
    assert ci.check_mapping(headers, mapping, CONTACT.properties, "tags").errors[0].startswith("Choose a property that matches")
    assert ci.check_mapping(headers, mapping, CONTACT.properties, "first_name").ok


# --- converting cells ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "cell", "value"),
    [
        ("text", "  Ada  ", "Ada"),
        ("text", "   ", None),
        ("long_text", "  keeps\nspaces ", "  keeps\nspaces "),
        ("number", "42", 42),
        ("number", " -3.5 ", -3.5),
        ("number", "1e3", 1000),
        ("boolean", "TRUE", True),
        ("boolean", "yes", True),
        ("boolean", "1", True),
        ("boolean", "False", False),
        ("boolean", "no", False),
        ("boolean", "0", False),
        ("date", "2024-02-29", "2024-02-29"),
        ("datetime", "2024-03-01T10:30:00Z", "2024-03-01T10:30:00Z"),
        ("datetime", "2024-03-01 10:30", "2024-03-01T10:30:00Z"),
        ("datetime", "2024-03-01T12:30:00+02:00", "2024-03-01T10:30:00Z"),
        ("datetime", "2024-03-01", "2024-03-01T00:00:00Z"),
        ("email", "ada@example.com", "ada@example.com"),
        ("url", "https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("url", "example.com/about", "https://example.com/about"),
        ("phone", "+1 (555) 123-4567", "+1 (555) 123-4567"),
    ],
)
def test_convert_to_wire_values(type_, cell, value):
    assert for_property(prop(type_)).from_csv(cell) == value


@pytest.mark.parametrize(
    ("type_", "cell", "message"),
    [
        ("number", "abc", "“abc” is not a number (write it like 1234.5, without thousands separators)."),
        ("number", "1,234", "“1,234” is not a number"),
        ("number", "1_000", "“1_000” is not a number"),
        ("number", "nan", "“nan” is not a number."),
        ("number", "1e16", "“1e16” is too large"),
        ("boolean", "maybe", "“maybe” is not yes or no (write true/false, yes/no or 1/0)."),
        ("date", "31/12/2020", "“31/12/2020” is not a date; write it as YYYY-MM-DD"),
        ("datetime", "tomorrow", "“tomorrow” is not a date and time"),
        ("datetime", "0001-01-01T00:00:00+05:00", "outside the years 1 to 9999"),
        ("email", "ada@", "“ada@” is not an email address."),
        ("url", "not a url", "“not a url” is not a web address (start it with https://)."),
        ("url", "ftp://example.com", "is not a web address"),
        ("phone", "call me", "“call me” is not a phone number"),
        ("text", "x" * 10_001, "The text is 10,001 characters long; at most 10,000 fit."),
        ("long_text", "x" * 100_001, "at most 100,000 fit"),
    ],
)
def test_convert_errors_say_why(type_, cell, message):
    with pytest.raises(BadValue) as caught:
        for_property(prop(type_)).from_csv(cell)
    assert message in str(caught.value)


def test_long_cells_are_shortened_in_messages():
    with pytest.raises(BadValue) as caught:
        for_property(prop("number")).from_csv("y" * 100)
    assert "“" + "y" * 57 + "…”" in str(caught.value)


def test_select_by_slug_name_or_id_case_insensitively():
    assert for_property(STATUS).from_csv("lead") == "lead"
    assert for_property(STATUS).from_csv("CUSTOMER") == "customer"
    assert for_property(STATUS).from_csv("11111111-1111-1111-1111-111111111111") == "lead"
    with pytest.raises(BadValue, match=r"“Gold” is not an option of Status \(Lead, Customer\)\."):
        for_property(STATUS).from_csv("Gold")


def test_select_without_known_options_passes_the_text_on():
    assert for_property(prop("select")).from_csv("anything") == "anything"


def test_multiselect_splits_on_semicolons_dropping_blanks_and_repeats():
    assert for_property(TAGS).from_csv("vip; Partner ;;VIP") == ["vip", "partner"]
    assert for_property(TAGS).from_csv(" ; ") is None
    with pytest.raises(BadValue, match="“gold” is not an option of Tags"):
        for_property(TAGS).from_csv("vip;gold")


def test_reference_by_id_single_and_multiple():
    org = prop("reference", target="organization")
    assert for_property(org).from_csv(ORG_ID.upper()) == ORG_ID
    with pytest.raises(BadValue, match=r"“Acme” is not a record id; give the organization's id \(a UUID\)\."):
        for_property(org).from_csv("Acme")
    many = prop("reference", target="contact", multiple=True)
    other = str(uuid.uuid4())
    assert for_property(many).from_csv(f"{ORG_ID}; {other}") == [ORG_ID, other]
    with pytest.raises(BadValue, match="contact's id"):
        for_property(many).from_csv(f"{ORG_ID};nope")


def test_display_of_values():
    assert [ci.display(v) for v in (None, True, False, ["a", "b"], 3)] == ["", "true", "false", "a; b", "3"]


# --- planning rows -------------------------------------------------------------------------------

HEADERS = ("First name", "Email", "Score", "VIP", "Tags", "Shoe size")
MAPPING = {"First name": "first_name", "Email": "email", "Score": "score", "VIP": "is_vip", "Tags": "tags"}


def table(*rows: tuple[str, ...]) -> ci.CsvTable:
    return ci.CsvTable(HEADERS, rows)


def test_plan_builds_api_objects_leaving_out_empty_and_unmapped_cells():
    (row,) = ci.plan(table(("Ada", "ada@x.io", "7", "yes", "vip;partner", "42")), MAPPING, CONTACT.properties)
    assert row.ok and row.number == 1
    assert row.values == {"first_name": "Ada", "email": "ada@x.io", "score": 7, "is_vip": True, "tags": ["vip", "partner"]}
    (sparse,) = ci.plan(table(("Bo", "", "", "", "", "")), MAPPING, CONTACT.properties)
    assert sparse.values == {"first_name": "Bo"}
    assert sparse.cells == ()  # kept only for the preview


def test_plan_flags_bad_cells_with_their_column_and_keeps_the_cells_for_the_preview():
    rows = list(ci.plan(table(("Cy", "nope", "abc", "maybe", "", "")), MAPPING, CONTACT.properties, with_cells=True))
    row = rows[0]
    assert not row.ok
    assert row.problems == (
        "Email: “nope” is not an email address.",
        "Score: “abc” is not a number (write it like 1234.5, without thousands separators).",
        "VIP: “maybe” is not yes or no (write true/false, yes/no or 1/0).",
    )
    assert row.error == " ".join(row.problems)
    assert [c.error != "" for c in row.cells] == [False, True, True, True, False, False]
    assert row.cells[5] == ci.Cell("") and row.cells[5].slug == ""  # Shoe size is not imported
    assert row.cells[3].slug == "is_vip"


def test_preview_cells_show_converted_values_that_read_differently():
    (row,) = ci.plan(table(("Ada", "a@x.io", "7.0", "yes", "VIP", "")), MAPPING, CONTACT.properties, with_cells=True)
    assert [c.changed for c in row.cells] == [False, False, True, True, True, False]
    assert [c.shown for c in row.cells[2:5]] == ["7", "true", "vip"]


def test_plan_short_rows_are_padded_long_rows_fail():
    short, long = ci.plan(table(("Ada", "a@x.io"), ("Bo", "b@x.io", "1", "no", "", "", "extra", "")), MAPPING, CONTACT.properties)
    assert short.ok and short.values == {"first_name": "Ada", "email": "a@x.io"}
    assert not long.ok
    assert long.row_problems == (
        "This row has 8 values but the header names 6 columns (extra: “extra”); a value with a comma in it needs quotes.",
    )


def test_plan_a_row_with_values_only_in_skipped_columns_fails():
    (row,) = ci.plan(table(("", "", "", "", "", "44")), MAPPING, CONTACT.properties)
    assert row.row_problems == ("This row has no values in the imported columns.",)


def test_plan_limit():
    rows = [("A", "", "", "", "", "")] * 15
    assert [p.number for p in ci.plan(table(*rows), MAPPING, CONTACT.properties, limit=10)] == list(range(1, 11))


# --- results -------------------------------------------------------------------------------------


def test_chunk_sizes_are_even_and_within_the_api_limit():
    def sizes(count: int) -> list[int]:
        return [len(chunk) for chunk in ci.chunks(range(count))]

    assert sizes(0) == []
    assert sizes(1) == [1]
    assert sizes(10_000) == [10_000]
    assert sizes(10_001) == [5_001, 5_000]
    assert sizes(50_000) == [10_000] * 5
    assert sizes(25_000) == [8_334, 8_333, 8_333]
    assert ci.chunks(list(range(7)), 3) == [[0, 1, 2], [3, 4], [5, 6]]


def ok_plan(n: int) -> ci.RowPlan:
    return ci.RowPlan(n, (), {"first_name": "x"})


def bad_plan(n: int) -> ci.RowPlan:
    return ci.RowPlan(n, (), {}, ("Email: bad.",))


def test_results_fill_pending_rows_per_job_in_order():
    results = ci.initial_results([ok_plan(1), bad_plan(2), ok_plan(3), ok_plan(4), ok_plan(5)])
    assert results[1] == {"status": "failed", "id": None, "error": "Email: bad."}
    slots = ci.pending_slots(results)
    assert slots == [0, 2, 3, 4]
    ci.assign(results, slots[:2], 0)
    ci.assign(results, slots[2:], 1)
    assert ci.pending_slots(results, 0) == [0, 2] and ci.pending_slots(results, 1) == [3, 4] and ci.pending_slots(results) == []
    assert ci.tally(results) == ci.Tally(failed=1, pending=4)

    ci.fill(
        results,
        ci.pending_slots(results, 1),
        [ImportRowResult("id-4", created=False, existing=True, error=None)],
        stopped="Not imported: boom",
    )
    ci.fill(
        results,
        ci.pending_slots(results, 0),
        [
            ImportRowResult("id-1", created=True, existing=False, error=None),
            ImportRowResult(None, created=False, existing=False, error=ErrorInfo("validation_error", "organization: no such record")),
        ],
    )
    assert results == [
        {"status": "created", "id": "id-1", "error": ""},
        {"status": "failed", "id": None, "error": "Email: bad."},
        {"status": "failed", "id": None, "error": "organization: no such record"},
        {"status": "updated", "id": "id-4", "error": ""},
        {"status": "failed", "id": None, "error": "Not imported: boom"},  # the job stopped before this row
    ]
    counts = ci.tally(results)
    assert (counts.created, counts.updated, counts.failed, counts.pending) == (1, 1, 3, 0)
    assert counts.succeeded == 2 and counts.processed == 5


def test_result_without_id_or_message():
    assert ci.result_of(ImportRowResult(None, False, False, None))["error"] == "The Prism API did not import this row."
    assert ci.result_of(ImportRowResult(None, False, False, ErrorInfo("invalid_row", None)))["error"] == "invalid_row"
    results = [{"status": "pending", "job": 0}]
    ci.fill(results, [0], [])
    assert results[0]["error"] == "The Prism API gave no result for this row."


def read_back(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_failed_rows_csv_has_the_original_columns_plus_error_and_only_failed_rows():
    t = ci.CsvTable(("name", "email"), (("Ada", "a@x.io"), ("Bo", "nope"), ('Cy "C", Jr', ""), ("Di", "d@x.io", "extra")))
    results = [
        {"status": "created", "id": "1", "error": ""},
        ci.failed("email: “nope” is not an email address."),
        ci.failed("name: too long"),
        ci.failed("This row has 3 values"),
    ]
    rows = read_back(ci.failed_rows_csv(t, results))
    assert rows == [
        ["name", "email", "error"],
        ["Bo", "nope", "email: “nope” is not an email address."],
        ['Cy "C", Jr', "", "name: too long"],
        ["Di", "d@x.io", "This row has 3 values"],
    ]


def test_failed_rows_csv_reimports_cleanly_and_keeps_the_delimiter():
    t = ci.CsvTable(("name", "score"), (("Ada", "x"),), delimiter=";")
    text = ci.failed_rows_csv(t, [ci.failed("score: bad")])
    assert text == "\ufeffname;score;error\r\nAda;x;score: bad\r\n"
    again = ci.parse(ci.decode(text.encode()))
    assert again.headers == ("name", "score", "error") and again.rows == (("Ada", "x", "score: bad"),)


def test_error_column_name_does_not_clash():
    assert ci.error_column(["name", "Error"]) == "import error"
    assert ci.error_column(["error", "import_error"]) == "import import error"


def test_row_label_shows_the_first_values():
    assert ci.row_label(["", " Ada ", "Lovelace", "ada@x.io", "1"]) == "Ada · Lovelace · ada@x.io"


def test_safe_cell_quotes_what_a_spreadsheet_would_run_and_the_importer_undoes_it():
    from dashboard.spreadsheet import safe_cell, unquote_cell

    for text in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "+44 20 7946 0958", "-"):
        assert safe_cell(text) == "'" + text and unquote_cell("'" + text) == text
    for value in ("-5", "+1.5", "2e3", "Ada", "", "'quoted", -5, 2.5, None):
        assert safe_cell(value) == value
    assert unquote_cell("'quoted") == "'quoted"

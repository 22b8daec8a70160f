"""Cells of the CSV files the dashboard writes, made safe to open in a spreadsheet.

Excel, LibreOffice and Google Sheets run a cell that begins with = + - @ (or a tab or
carriage return before one) as a formula: =HYPERLINK(...) in a contact's name becomes a
link, and worse. OWASP's rule: write such a cell as text, with a single quote in front.
Every CSV writer here (the export, the failed-rows download) passes its cells through
`safe_cell`; the importer undoes it (`unquote_cell`), so a downloaded file imports as it was.
"""

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell that is just a number (-5, +1.5, 2e3) cannot run anything: spreadsheets read it as
# that number. Left as it is, numbers stay numbers, and a failed row's -5 still imports.
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula, with a ' in front; anything else as it is.

    Values of number properties (int, float) are not text and pass unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unquote_cell(text: str) -> str:
    """A cell as it was before `safe_cell` (a quote in front of a formula character is dropped)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text

"""The pages benchmarks/load.py's virtual users visit, on the dashboard and on the Django admin.

Plain functions over URLs and HTML (no locust, no Django), shared by the locustfile
(benchmarks/load_users.py) and by load.py's checks before the load. Each side has the
same four things to do with the same contacts:

  browse   the contacts' table, page 1 and then the next page (the dashboard follows
           its "Next →" cursor link, the admin goes to ?p=2);
  filter   the table filtered by status (lead, customer or churned) through URL
           parameters;
  open     one contact's page (the admin has no read-only page: its change form);
  edit     the edit form, then saving it with one value changed (the job title), sent
           back the way a browser would send the form (every field, the CSRF token, the
           dashboard's signed state). On the dashboard a conflict (409: someone saved
           the same record meanwhile) is a valid outcome, counted apart.
"""

import json
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin

COLS = "first_name,last_name,email,status"
STATUSES = ("lead", "customer", "churned")
CHANGED_FIELD = "title"  # the contact's job title


# --- forms, read the way a browser submits them -------------------------------------------------


@dataclass
class Form:
    attrs: dict[str, str]
    fields: list[tuple[str, str]]  # in document order; a name repeats for multiple values


class _FormReader(HTMLParser):
    """Every <form> of a page with the name/value pairs a browser would send for it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, bool, list[tuple[str, bool]]] | None = None  # name, multiple, (value, selected)
        self._option: list[str] | None = None  # the text of an <option> without a value attribute
        self._option_attrs: dict[str, str] = {}
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a, [])
            self.forms.append(self._form)
            return
        if self._form is None or ("disabled" in a and tag in ("input", "select", "textarea")):
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.fields.append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and name:
            self._select = (name, "multiple" in a, [])
        elif tag == "option" and self._select is not None:
            self._option_attrs = a
            self._option = []
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def handle_data(self, data):
        if self._option is not None:
            self._option.append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select is not None:
            value = self._option_attrs.get("value", "".join(self._option).strip())
            self._select[2].append((value, "selected" in self._option_attrs))
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple, options = self._select
            chosen = [v for v, selected in options if selected]
            if not chosen and not multiple and options:
                chosen = [options[0][0]]  # a single select sends its first option when none is marked
            self._form.fields += [(name, v) for v in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            text = "".join(self._textarea[1])
            self._form.fields.append((self._textarea[0], text.removeprefix("\r\n").removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms(html: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(html)
    reader.close()
    return reader.forms


def replaced(fields: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """The fields with `name` set to `value` (added when the form lacks it)."""
    kept = [(n, v) for n, v in fields if n != name]
    return [*kept, (name, value)]


# --- the two sides ----------------------------------------------------------------------------


class Dashboard:
    name = "dashboard"
    table = "/records/contact/"

    def page_one(self) -> str:
        return f"{self.table}?{urlencode({'cols': COLS})}"

    def next_page(self, html: str) -> str | None:
        found = re.search(r'<a id="page-next" href="([^"]+)"', html)
        return urljoin(self.page_one(), unescape(found.group(1))) if found else None

    def filtered(self, status: str) -> str:
        return f"{self.table}?{urlencode({'cols': COLS, 'f0': 'status', 'o0': '=', 'v0': status})}"

    def record(self, record_id: str) -> str:
        return f"{self.table}{record_id}/"

    def edit(self, record_id: str) -> str:
        return f"{self.table}{record_id}/edit/"

    def table_ok(self, html: str) -> bool:
        return "data-row-link" in html

    def record_ok(self, html: str, record_id: str) -> bool:
        return f'href="{self.edit(record_id)}"' in html

    def edit_form(self, html: str, new_title: str) -> list[tuple[str, str]] | None:
        form = next((f for f in forms(html) if "record-form" in f.attrs.get("class", "")), None)
        if form is None or not any(n == "state" for n, _ in form.fields):
            return None
        return replaced(form.fields, CHANGED_FIELD, new_title)

    def save_outcome(self, status: int, location: str) -> str:
        """'saved', 'conflict' or a sentence saying what went wrong."""
        if status == 302 and "/edit/" not in location:
            return "saved"
        if status == 409:
            return "conflict"
        return f"the save answered {status}"


class Admin:
    name = "admin"
    table = "/bench-admin/prism_sandbox/record/"

    def page_one(self) -> str:
        return self.table

    def next_page(self, html: str) -> str | None:
        return f"{self.table}?p=2" if "?p=2" in html else None

    def filtered(self, status: str) -> str:
        return f"{self.table}?{urlencode({'status': status})}"

    def record(self, record_id: str) -> str:
        return f"{self.table}{record_id}/change/"

    def edit(self, record_id: str) -> str:
        return self.record(record_id)

    def table_ok(self, html: str) -> bool:
        return 'id="result_list"' in html

    def record_ok(self, html: str, record_id: str) -> bool:
        return 'id="record_form"' in html

    def edit_form(self, html: str, new_title: str) -> list[tuple[str, str]] | None:
        form = next((f for f in forms(html) if f.attrs.get("id") == "record_form"), None)
        if form is None:
            return None
        raw = dict(form.fields).get("properties")
        if raw is None:
            return None
        properties = {**json.loads(raw), CHANGED_FIELD: new_title}
        fields = replaced(form.fields, "properties", json.dumps(properties, ensure_ascii=False))
        return [*fields, ("_save", "Save")]

    def save_outcome(self, status: int, location: str) -> str:
        if status == 302:
            return "saved"
        return f"the save answered {status}" + (" (the form came back with errors)" if status == 200 else "")


SIDES = {"dashboard": Dashboard(), "admin": Admin()}

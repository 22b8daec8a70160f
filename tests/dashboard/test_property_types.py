"""dashboard/property_types: a type registered here works in a table, a filter, a form and an
import; unknown types fall back; the dashboard's operators are the client's.

The toy type is `Rating`: a number property whose slug ends in `_rating` holds 1 to 5
stars. It refines the wire type `number` rather than inventing a wire type, because the
sandbox (like the real API) checks every written value against its property's type and
refuses a type it does not know: an invented wire type could hold no values there. A
refinement is also what a dashboard adds in practice, for a convention the API has no
word for. Registering it is the only change: the table, the filter builder, the forms
and the CSV import below are the dashboard's own, untouched.
"""

import json
import re
from html import unescape
from pathlib import Path

import pytest
from django import forms
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import format_html

from dashboard.models import ImportRun
from dashboard.property_types import (
    BUILT_IN,
    BadValue,
    Number,
    PropertyType,
    UnknownType,
    for_property,
    infer_type,
    register,
    unregister,
)
from dashboard.property_types.operators import LABELS, PRESENCE, Input, choice, input_for
from dashboard.roles import Role
from prism_client import Operator, PropertyDefinition
from prism_client.query import LIST_OPERATORS, PRESENCE_OPERATORS
from prism_sandbox.models import PropertyDefinition as SandboxProperty
from prism_sandbox.schemas import clear_schema_cache

from .conftest import login
from .forms_html import form_values

STARS = range(1, 6)
SLUG = "satisfaction_rating"


def stars(value: object) -> int | None:
    """1–5 from 3, "3", "★★★" or "3/5"; None for anything else."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    if text and set(text) == {"★"}:
        text = str(len(text))
    text = text.removesuffix("/5")
    return int(text) if text.isdigit() and int(text) in STARS else None


class Rating(Number):
    """Toy type: 1 to 5 stars, kept in a number property named `…_rating`."""

    operators = (
        choice(Operator.EQ, "has exactly"),
        choice(Operator.GTE, "has at least"),
        choice(Operator.LTE, "has at most"),
        *PRESENCE,
    )

    @classmethod
    def claims(cls, prop: PropertyDefinition) -> bool:
        return prop.slug.endswith("_rating")

    def filter_value(self, text: str) -> str:
        if stars(text) is None:
            raise BadValue("Give a rating from 1 to 5 stars.")
        return str(stars(text))

    def filter_choices(self) -> list[tuple[str, str]]:
        return [(str(n), "★" * n) for n in STARS]

    def form_field(self, *, lookup=None, labels=None) -> forms.Field:
        return forms.TypedChoiceField(
            choices=self.filter_choices(), coerce=int, empty_value=None, widget=forms.RadioSelect, **self.field_options()
        )

    def form_initial(self, value):
        return str(value)

    def render_one(self, value, schemas, *, full):
        n = stars(value)
        if n is None:
            return super().render_one(value, schemas, full=full)
        return format_html('<span class="stars" title="{} of 5 stars">{}{}</span>', n, "★" * n, "☆" * (5 - n))

    def csv_value(self, text: str):
        if stars(text) is None:
            raise BadValue(f"“{text}” is not a rating: write 1 to 5, or ★★★.")
        return stars(text)

    def normalize_present(self, value):
        return stars(value) or super().normalize_present(value)

    def fits_present(self, value) -> bool:
        return stars(value) is not None


@pytest.fixture
def rating(prism):
    """Rating registered, and a contact property it claims added to the sandbox's schema."""
    register(Rating)
    SandboxProperty.objects.create(team_id=prism.team_id, segment="contact", slug=SLUG, name="Satisfaction", type="number", position=99)
    clear_schema_cache()
    cache.clear()  # the dashboard's cached schema
    yield SLUG
    unregister(Rating)
    clear_schema_cache()
    cache.clear()


@pytest.fixture
def editor(client, prism):
    return login(client, Role.EDITOR)


def text(response) -> str:
    html = unescape(response.content.decode())
    assert "<<MISSING" not in html  # string_if_invalid: every template variable is set
    return html


def contact(prism, name: str, **props) -> str:
    response = prism.request("POST", "contact", json={"default": {"first_name": name, **props}})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def api_value(prism, record_id: str, slug: str = SLUG):
    return prism.request("GET", f"contact/{record_id}").json()["default"].get(slug)


def shown_ids(html: str) -> set[str]:
    return set(re.findall(r'<input type="checkbox" name="ids" value="([0-9a-f-]{36})"', html))


def request_body(html: str) -> dict:
    """The query the table sent, as its "API request" panel shows it."""
    return json.loads(re.search(r"<h2>Request body</h2>\s*<pre><code>(.*?)</code></pre>", html, re.S).group(1))


# --- the toy type, end to end -------------------------------------------------------------------


def test_the_toy_type_claims_only_its_properties():
    register(Rating)
    try:
        assert type(for_property(PropertyDefinition(SLUG, "Satisfaction", "number"))) is Rating
        assert type(for_property(PropertyDefinition("score", "Score", "number"))) is Number
    finally:
        unregister(Rating)
    assert type(for_property(PropertyDefinition(SLUG, "Satisfaction", "number"))) is Number


def test_in_a_table_and_on_the_detail_page(editor, prism, rating):
    ada = contact(prism, "Ada", **{SLUG: 4})
    table = text(editor.get(f"/records/contact/?cols=first_name,{SLUG},score&f0=first_name&o0=%3D&v0=Ada"))
    assert '<th scope="col"' in table and "Satisfaction" in table
    # An Editor's cell of it is editable in place (the type's own form field: data-edit-url).
    assert re.search(
        r'<td data-edit-url="[^"]+/cell/satisfaction_rating/"[^>]*><span class="stars" title="4 of 5 stars">★★★★☆</span></td>', table
    )
    detail = text(editor.get(f"/records/contact/{ada}/"))
    assert '<span class="stars" title="4 of 5 stars">★★★★☆</span>' in detail


def test_in_a_filter(editor, prism, rating):
    low, high, top = (contact(prism, name, **{SLUG: n}) for name, n in (("Low", 2), ("High", 4), ("Top", 5)))
    url = f"/records/contact/?cols=first_name,{SLUG}&size=50&f0={SLUG}&o0=%3E%3D&v0=4"
    page = text(editor.get(url))
    # The row offers the type's own operators and value menu…
    assert '<option value=">=" selected>has at least</option>' in page and ">is greater than<" not in page
    assert '<option value="4" selected>★★★★</option>' in page
    # …sends the filter in the API's words…
    assert request_body(page)["query"]["filter"] == [{SLUG: {">=": "4"}}]
    # …and the table holds what the API found for it.
    assert shown_ids(page) == {high, top} and low not in page
    flagged = text(editor.get(url.replace("v0=4", "v0=9")))
    assert "Give a rating from 1 to 5 stars." in flagged and request_body(flagged)["query"]["filter"] == []


def test_in_the_create_and_edit_forms(editor, prism, rating):
    form = text(editor.get("/records/contact/new/"))
    assert [f'type="radio" name="{SLUG}" value="{n}"' in form for n in STARS] == [True] * 5
    refused = editor.post("/records/contact/new/", {"first_name": "Bo", SLUG: "9"})
    assert refused.status_code == 422 and "Select a valid choice" in text(refused)
    created = editor.post("/records/contact/new/", {"first_name": "Bo", SLUG: "3"})
    assert created.status_code == 302, text(created)
    bo = created["Location"].rstrip("/").split("/")[-1]
    assert api_value(prism, bo) == 3

    url = f"/records/contact/{bo}/edit/"
    values = form_values(text(editor.get(url)), "record-form")
    assert values[SLUG] == ["3"]  # the saved rating is the checked one
    saved = editor.post(url, {**values, SLUG: ["5"]}, follow=True)
    assert "Saved." in text(saved)
    assert api_value(prism, bo) == 5


def test_in_a_csv_import(editor, prism, rating):
    body = f"first_name,{SLUG}\nStar Ada,★★★\nStar Bo,5/5\nStar Cy,nine\n"
    upload = SimpleUploadedFile("ratings.csv", body.encode(), content_type="text/csv")
    assert editor.post("/import/contact/", {"file": upload}).status_code == 302
    run = ImportRun.objects.get()
    assert run.mapping == {"first_name": "first_name", SLUG: SLUG}
    preview = text(editor.get(f"/imports/{run.pk}/"))
    assert "“nine” is not a rating: write 1 to 5, or ★★★." in preview
    columns = {f"col{i}": run.mapping.get(c, "") for i, c in enumerate(run.headers)}
    assert editor.post(f"/imports/{run.pk}/", {**columns, "dedupe_by": "", "action": "import"}).status_code == 302
    run.refresh_from_db()
    assert [r["status"] for r in run.results] == ["created", "created", "failed"]
    assert [api_value(prism, r["id"]) for r in run.results[:2]] == [3, 5]


# --- the registry -------------------------------------------------------------------------------


def test_every_contract_type_has_its_class():
    contract = {"text", "long_text", "email", "url", "phone", "number", "boolean", "date", "datetime", "select", "multiselect", "reference"}
    assert {cls.wire_type for cls in BUILT_IN} == contract
    for wire_type in contract:
        assert for_property(PropertyDefinition("p", "P", wire_type)).wire_type == wire_type


def test_a_new_wire_type_is_handled_once_registered():
    color = PropertyDefinition("color", "Color", "color")
    assert isinstance(for_property(color), UnknownType)

    class Color(PropertyType):
        wire_type = "color"

        def render_one(self, value, schemas, *, full):
            return format_html('<span class="swatch" style="background: {}">{}</span>', value, value)

    register(Color)
    try:
        assert str(for_property(color).render("#ff0000", {})) == '<span class="swatch" style="background: #ff0000">#ff0000</span>'
    finally:
        unregister(Color)
    assert isinstance(for_property(color), UnknownType)


def test_a_class_without_a_wire_type_is_refused():
    class Nameless(PropertyType):
        pass

    with pytest.raises(ValueError, match="Nameless sets no wire_type"):
        register(Nameless)


def test_an_unknown_type_shows_values_as_sent_and_is_never_written():
    kind = for_property(PropertyDefinition("mood", "Mood", "stars"))
    assert isinstance(kind, UnknownType) and not kind.editable
    assert str(kind.render("sunny", {})) == "sunny"
    assert 'class="odd-value"' in str(kind.render({"of": 5}, {}))
    field = kind.form_field()
    assert field.disabled and not field.required and "does not know properties of type “stars”" in field.help_text
    assert kind.fits("sunny") and not kind.fits([{"of": 5}])  # the form locks what it cannot show as it is


def test_a_value_without_a_property_is_shown_as_text():
    assert str(for_property(None).render("legacy", {}, full=True)) == "legacy"


@pytest.mark.parametrize(
    ("values", "inferred"),
    [
        ([None, None], ("text", False)),
        ([True], ("boolean", False)),
        ([3, "x"], ("number", False)),
        ([{"id": "a"}], ("reference", False)),
        ([[{"id": "a"}]], ("reference", True)),
        ([["vip"]], ("multiselect", False)),
        ([[]], ("multiselect", False)),
        (["2024-01-02", None], ("date", False)),
        (["2024-01-02T03:04:05Z"], ("datetime", False)),
        (["a@example.com"], ("email", False)),
        (["https://example.com"], ("url", False)),
        (["line\nbreak"], ("long_text", False)),
        (["plain", "2024-01-02"], ("text", False)),
    ],
)
def test_types_inferred_from_sampled_values(values, inferred):
    assert infer_type(values) == inferred


# --- one operator vocabulary ----------------------------------------------------------------------


def test_the_dashboards_operators_are_the_clients():
    every = {c for cls in BUILT_IN for c in cls.operators}
    assert all(isinstance(c.op, Operator) and c.wire == c.op.value for c in every)
    assert set(LABELS) == set(Operator)  # every client operator reads as words, none besides
    for op in Operator:
        expected = Input.NONE if op in PRESENCE_OPERATORS else Input.TWO if op is Operator.BETWEEN else Input.ONE
        assert input_for(op) == (Input.MANY if op in LIST_OPERATORS else expected)


def test_no_second_list_of_operators_in_the_dashboard():
    """Outside the labels' module, the dashboard names operators only as the client's Operator members."""
    words = "|".join(o.value for o in Operator if o.value.isidentifier())
    wire_words = re.compile(rf"[\"'](?:{words})[\"']")
    root = Path(__file__).resolve().parents[2] / "dashboard"
    labels = root / "property_types" / "operators.py"
    found = [
        f"{path.relative_to(root)}: {m[0]}" for path in root.rglob("*.py") if path != labels for m in wire_words.finditer(path.read_text())
    ]
    assert found == []
    assert not (root / "operators.py").exists()

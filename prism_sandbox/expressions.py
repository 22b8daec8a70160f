"""SQL expressions over a record's JSON properties.

The JSON path is written into the SQL as a literal (slugs are checked against
SLUG_RE first), so that the same expression in a WHERE/ORDER BY clause matches the
expression indexes declared on Record: SQLite only uses an expression index when
the query's expression is identical to the indexed one.
"""

import re

from django.db.models import BooleanField, F, FloatField, Func, TextField
from django.db.models.functions import Lower

SLUG_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

# Which SQL shape a property type compares with.
TEXT_KINDS = frozenset({"text", "long_text", "email", "url", "phone"})
NUMBER_KINDS = frozenset({"number"})


class PropValue(Func):
    """The scalar value of one property (NULL when absent)."""

    def __init__(self, slug: str, numeric: bool = False, column: str = "properties") -> None:
        if not SLUG_RE.match(slug):
            raise ValueError(f"invalid slug {slug!r}")
        self.slug = slug
        self.numeric = numeric
        super().__init__(F(column), output_field=FloatField() if numeric else TextField())

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"json_extract({sql}, '$.{self.slug}')", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        text = f"({sql} ->> '{self.slug}')"
        return (f"({text})::double precision" if self.numeric else text), params


class JsonArrayHas(Func):
    """True when the property's JSON array holds `value` (multiselect, multi-reference)."""

    output_field = BooleanField()

    def __init__(self, slug: str, value: str) -> None:
        if not SLUG_RE.match(slug):
            raise ValueError(f"invalid slug {slug!r}")
        self.slug = slug
        from django.db.models import Value

        super().__init__(F("properties"), Value(value))

    def as_sqlite(self, compiler, connection, **extra_context):
        col, params = compiler.compile(self.source_expressions[0])
        val, vparams = compiler.compile(self.source_expressions[1])
        sql = f"EXISTS (SELECT 1 FROM json_each({col}, '$.{self.slug}') WHERE json_each.value = {val})"
        return sql, (*params, *vparams)

    def as_postgresql(self, compiler, connection, **extra_context):
        col, params = compiler.compile(self.source_expressions[0])
        val, vparams = compiler.compile(self.source_expressions[1])
        return f"(({col} -> '{self.slug}') ? {val})", (*params, *vparams)


def index_expression(slug: str, kind: str):
    """The expression a property is filtered, sorted and indexed by."""
    if kind in TEXT_KINDS:
        return Lower(PropValue(slug))
    return PropValue(slug, numeric=kind in NUMBER_KINDS)

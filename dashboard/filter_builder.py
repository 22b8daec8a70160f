"""What each filter row of the builder shows: property, operators for its type, value inputs."""

from .list_state import ListState
from .operators import Input, operator, operators_for
from .prism import TypeSchema

HTML_INPUT = {"number": "number", "date": "date", "datetime": "datetime-local"}


def _input_value(prop_type: str, value: str) -> str:
    # datetime-local inputs take "YYYY-MM-DDTHH:MM" without a zone.
    if prop_type == "datetime" and value.endswith("Z"):
        return value[:16]
    return value


def row_context(index: int, row, schema: TypeSchema) -> dict:
    prop = schema.get(row.slug) if row.slug else None
    spec = operator(prop.type, row.op) if prop and row.op else None
    input_kind = spec.input.value if spec else Input.NONE.value
    return {
        "index": index,
        "row": row,
        "prop": prop,
        "operators": operators_for(prop.type) if prop else (),
        "op": spec,
        "input": input_kind,
        # A number or date input cannot show text it refuses ("abc"): a flagged value stays visible as text.
        "html_type": HTML_INPUT.get(prop.type, "text") if prop and not row.error else "text",
        "options": [(o.slug, o.name) for o in prop.options] if prop and prop.type in ("select", "multiselect") else [],
        "boolean": prop is not None and prop.type == "boolean",
        "values": [_input_value(prop.type, v) for v in row.values] if prop else list(row.values),
        "many_text": ", ".join(row.values),
    }


def filter_rows_context(state: ListState, schema: TypeSchema, first_index: int = 0) -> dict:
    rows = [row_context(first_index + i, row, schema) for i, row in enumerate(state.rows)]
    return {
        "filter_rows": rows,
        "filter_properties": [(p.slug, p.name) for p in schema.properties],
        "next_row_index": (max((r["index"] for r in rows), default=-1) + 1),
        "ignored_rows": sum(1 for r in state.rows if r.error),
    }

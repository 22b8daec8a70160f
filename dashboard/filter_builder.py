"""What each filter row of the builder shows: property, operators for its type, value inputs."""

from .list_state import ListState
from .prism import TypeSchema
from .property_types import Input, for_property


def row_context(index: int, row, schema: TypeSchema) -> dict:
    prop = schema.get(row.slug) if row.slug else None
    kind = for_property(prop) if prop else None
    spec = kind.operator(row.op) if kind and row.op else None
    input_kind = spec.input.value if spec else Input.NONE.value
    return {
        "index": index,
        "row": row,
        "prop": prop,
        "operators": kind.operators if kind else (),
        "op": spec,
        "input": input_kind,
        # A number or date input cannot show text it refuses ("abc"): a flagged value stays visible as text.
        "html_type": kind.filter_input_type if kind and not row.error else "text",
        "options": kind.filter_choices() if kind else [],
        "values": [kind.filter_input_value(v) for v in row.values] if kind else list(row.values),
        "many_text": ", ".join(row.values),
    }


def filter_rows_context(state: ListState, schema: TypeSchema, first_index: int = 0) -> dict:
    rows = [row_context(first_index + i, row, schema) for i, row in enumerate(state.filter_rows)]
    return {
        "filter_rows": rows,
        "filter_properties": [(p.slug, p.name) for p in schema.properties],
        "next_row_index": (max((r["index"] for r in rows), default=-1) + 1),
        "ignored_rows": sum(1 for r in state.filter_rows if r.error),
    }

from django import template

from ..cells import Column, cell as render_cell

register = template.Library()


@register.filter
def sort_state(state, path: str):
    """(direction, position) of a column in the table's sort."""
    return state.sort_direction(path)


@register.simple_tag
def sort_url(state, path: str, add: bool) -> str:
    return state.sort_link(path, add=add)


@register.simple_tag(takes_context=True)
def cell(context, row, col: Column):
    return render_cell(row.properties, col, context["schemas"])


@register.filter
def row_title(row, schema) -> str:
    value = row.properties.get(schema.title_slug)
    return str(value) if value else row.id


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""

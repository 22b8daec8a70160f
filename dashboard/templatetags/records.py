from django import template

register = template.Library()


@register.filter
def sort_state(state, path: str):
    """(direction, position) of a column in the table's sort."""
    return state.sort_direction(path)


@register.simple_tag
def sort_url(state, path: str, add: bool) -> str:
    return state.sort_link(path, add=add)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.filter
def label_at(columns, index: int) -> str:
    """The label of the column at `index`: each cell names its column (stacked cards on a phone)."""
    return columns[index].label if 0 <= index < len(columns) else ""

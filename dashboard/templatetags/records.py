from django import template

from ..property_types.dates import when_html

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
def when(moment):
    """A datetime as "3 days ago", the exact time (in the person's zone) on hover and focus."""
    if moment is None or moment == "":
        return ""
    return when_html(moment)

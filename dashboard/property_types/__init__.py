"""Property types: one class per type holds everything the dashboard does by a value's type.

`for_property(prop)` gives the class for a property of the schema, wrapped around
it. Its methods are the only place a value's type is looked at: the filter row (its
operators, from prism_client's vocabulary; its value input; the typed value checked
into wire form), the create/edit form field, the table cell and detail value, the CSV
import's conversion, and the canonical form that edits are compared, merged and sent
in. A type the API sends that no class handles gets `UnknownType`: values shown as
sent, filtered as text, never written from here.

Adding a type
-------------
1. Write its class in a module of this package (`PropertyType` subclass; set
   `wire_type` to the API's name for it and override what differs from plain text:
   see `boolean.py` for a small one).
2. Register it here: add it to `BUILT_IN` (and to `INFERENCE_ORDER` if sampled values
   can be recognised as it, for schemas inferred from records).
3. Test it in `tests/dashboard/test_property_types.py` (table, filter, form, import).
A template changes only if the type needs a filter input of a new kind.

A class may also refine an existing wire type for some of its properties (a number
property shown as stars, say): it sets the same `wire_type` and narrows `claims()`;
registered later, it is asked first. The test module registers such a toy type.
"""

from prism_client import PropertyDefinition

from .base import EMPTY, BadValue, PropertyType, Schemas, UnknownType, is_empty, odd_value
from .boolean import Boolean
from .dates import Date, DateTime, parse_api_datetime
from .number import Number
from .operators import Input, OperatorChoice
from .options import MultiSelect, Select
from .reference import Reference, record_url, reference_label
from .text import Email, LongText, Phone, Text, Url

BUILT_IN: tuple[type[PropertyType], ...] = (
    Text,
    LongText,
    Email,
    Url,
    Phone,
    Number,
    Boolean,
    Date,
    DateTime,
    Select,
    MultiSelect,
    Reference,
)
# Sampled values are tried against these in order (the first that recognises them wins).
INFERENCE_ORDER: tuple[type[PropertyType], ...] = (Boolean, Number, Reference, MultiSelect, Date, DateTime, Email, Url, LongText, Text)

# wire type -> its classes, the latest registered first.
_registry: dict[str, list[type[PropertyType]]] = {}
# A value with no property in the schema (an unknown slug) is shown as text.
UNTYPED = PropertyDefinition(slug="", name="", type="text")


def register(cls: type[PropertyType]) -> type[PropertyType]:
    """Handle properties of `cls.wire_type` (those its `claims()` accepts) with `cls`."""
    if not cls.wire_type:
        raise ValueError(f"{cls.__name__} sets no wire_type: the API's name for the type it handles.")
    classes = _registry.setdefault(cls.wire_type, [])
    if cls not in classes:
        classes.insert(0, cls)
    return cls


def unregister(cls: type[PropertyType]) -> None:
    classes = _registry.get(cls.wire_type, [])
    if cls in classes:
        classes.remove(cls)


def for_property(prop: PropertyDefinition | None) -> PropertyType:
    """The type of `prop`, wrapped around it (`UnknownType` for a type no class claims)."""
    prop = prop or UNTYPED
    for cls in _registry.get(prop.type, ()):
        if cls.claims(prop):
            return cls(prop)
    return UnknownType(prop)


def infer_type(values: list[object]) -> tuple[str, bool]:
    """A property type from sample values: (wire type, multiple)."""
    present = [v for v in values if v is not None]
    if not present:
        return "text", False
    for cls in INFERENCE_ORDER:
        found = cls.infer(present)
        if found is not None:
            return found
    return "text", False


for _cls in BUILT_IN:
    register(_cls)

__all__ = [
    "BUILT_IN",
    "EMPTY",
    "BadValue",
    "Boolean",
    "Date",
    "DateTime",
    "Email",
    "Input",
    "LongText",
    "MultiSelect",
    "Number",
    "OperatorChoice",
    "Phone",
    "PropertyType",
    "Reference",
    "Schemas",
    "Select",
    "Text",
    "UnknownType",
    "Url",
    "for_property",
    "infer_type",
    "is_empty",
    "odd_value",
    "parse_api_datetime",
    "record_url",
    "reference_label",
    "register",
    "unregister",
]

"""Which filter operators fit which property type, how they read, and what input each needs."""

from dataclasses import dataclass
from enum import StrEnum


class Input(StrEnum):
    """The value input a filter row shows."""

    NONE = "none"  # exists, is_null…
    ONE = "one"  # one value
    TWO = "two"  # between: low and high
    MANY = "many"  # in / not_in: several values


@dataclass(frozen=True)
class OperatorSpec:
    wire: str
    label: str
    input: Input


def _spec(wire: str, label: str, input: Input = Input.ONE) -> OperatorSpec:
    return OperatorSpec(wire, label, input)


EQ = _spec("=", "is")
NE = _spec("!=", "is not")
LT = _spec("<", "is less than")
GT = _spec(">", "is greater than")
LTE = _spec("<=", "is at most")
GTE = _spec(">=", "is at least")
BETWEEN = _spec("between", "is between", Input.TWO)
IN = _spec("in", "is any of", Input.MANY)
NOT_IN = _spec("not_in", "is none of", Input.MANY)
CONTAINS = _spec("contains", "contains")
NOT_CONTAINS = _spec("not_contains", "does not contain")
BEGINS = _spec("begins_with", "begins with")
ENDS = _spec("ends_with", "ends with")
IS_NULL = _spec("is_null", "is empty", Input.NONE)
IS_NOT_NULL = _spec("is_not_null", "is not empty", Input.NONE)
EXISTS = _spec("exists", "has a value", Input.NONE)
NOT_EXISTS = _spec("not_exists", "has no value", Input.NONE)

BEFORE = _spec("<", "is before")
AFTER = _spec(">", "is after")
ON_OR_BEFORE = _spec("<=", "is on or before")
ON_OR_AFTER = _spec(">=", "is on or after")

PRESENCE = (IS_NULL, IS_NOT_NULL, EXISTS, NOT_EXISTS)
TEXT_OPS = (EQ, NE, CONTAINS, NOT_CONTAINS, BEGINS, ENDS, IN, NOT_IN, *PRESENCE)
NUMBER_OPS = (EQ, NE, LT, GT, LTE, GTE, BETWEEN, IN, NOT_IN, *PRESENCE)
TIME_OPS = (EQ, NE, BEFORE, AFTER, ON_OR_BEFORE, ON_OR_AFTER, BETWEEN, *PRESENCE)
OPTION_OPS = (EQ, NE, IN, NOT_IN, *PRESENCE)
MULTI_OPS = (
    _spec("contains", "has all of", Input.MANY),
    _spec("not_contains", "lacks"),
    _spec("=", "has"),
    *PRESENCE,
)
BOOLEAN_OPS = (EQ, NE, *PRESENCE)
REFERENCE_OPS = (EQ, NE, IN, NOT_IN, *PRESENCE)

BY_TYPE: dict[str, tuple[OperatorSpec, ...]] = {
    "text": TEXT_OPS,
    "long_text": TEXT_OPS,
    "email": TEXT_OPS,
    "url": TEXT_OPS,
    "phone": TEXT_OPS,
    "number": NUMBER_OPS,
    "date": TIME_OPS,
    "datetime": TIME_OPS,
    "select": OPTION_OPS,
    "multiselect": MULTI_OPS,
    "boolean": BOOLEAN_OPS,
    "reference": REFERENCE_OPS,
}


def operators_for(property_type: str) -> tuple[OperatorSpec, ...]:
    return BY_TYPE.get(property_type, TEXT_OPS)


def operator(property_type: str, wire: str) -> OperatorSpec | None:
    return next((o for o in operators_for(property_type) if o.wire == wire), None)

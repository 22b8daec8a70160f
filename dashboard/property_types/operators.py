"""The filter builder's words for the client's operators, and the value input each needs.

The operators themselves are prism_client's (`Operator`, the wire keys); this module
only names them for people and says which input a filter row shows, derived from
the client's value shapes. A property type picks the ones that fit it
(`PropertyType.operators`), and may word one its own way ("is before" on dates).
"""

from dataclasses import dataclass
from enum import StrEnum

from prism_client import Operator
from prism_client.query import LIST_OPERATORS, PRESENCE_OPERATORS


class Input(StrEnum):
    """The value input a filter row shows."""

    NONE = "none"  # exists, is_null…
    ONE = "one"  # one value
    TWO = "two"  # between: low and high
    MANY = "many"  # in / not_in: several values


# How each operator reads in a filter row; a test holds it to every client operator.
LABELS: dict[Operator, str] = {
    Operator.EQ: "is",
    Operator.NE: "is not",
    Operator.LT: "is less than",
    Operator.GT: "is greater than",
    Operator.LTE: "is at most",
    Operator.GTE: "is at least",
    Operator.CONTAINS: "contains",
    Operator.NOT_CONTAINS: "does not contain",
    Operator.BEGINS_WITH: "begins with",
    Operator.ENDS_WITH: "ends with",
    Operator.EXISTS: "has a value",
    Operator.NOT_EXISTS: "has no value",
    Operator.IS_NULL: "is empty",
    Operator.IS_NOT_NULL: "is not empty",
    Operator.BETWEEN: "is between",
    Operator.IN: "is any of",
    Operator.NOT_IN: "is none of",
}


def input_for(op: Operator) -> Input:
    """The input the client's value shape for `op` asks for."""
    if op in PRESENCE_OPERATORS:
        return Input.NONE
    if op is Operator.BETWEEN:
        return Input.TWO
    if op in LIST_OPERATORS:
        return Input.MANY
    return Input.ONE


@dataclass(frozen=True)
class OperatorChoice:
    """One entry of a filter row's operator menu."""

    op: Operator
    label: str
    input: Input

    @property
    def wire(self) -> str:
        return self.op.value


def choice(op: Operator, label: str | None = None, input: Input | None = None) -> OperatorChoice:
    return OperatorChoice(op, label or LABELS[op], input or input_for(op))


def choices(*ops: Operator) -> tuple[OperatorChoice, ...]:
    return tuple(choice(op) for op in ops)


PRESENCE = choices(Operator.IS_NULL, Operator.IS_NOT_NULL, Operator.EXISTS, Operator.NOT_EXISTS)
EQUALITY = choices(Operator.EQ, Operator.NE)
ANY_OF = choices(Operator.IN, Operator.NOT_IN)

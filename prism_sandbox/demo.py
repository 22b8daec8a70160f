"""The demo world's people and team groups, with fixed ids.

`seed_demo` grants its restricted demo records to these ids, and `sandbox_key --demo`
mints a member key for each person, so that a demo can sign in as each of them and
show what their grants let them see. The ids are the same in every team: a grant
names users and groups, not teams.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    id: str
    name: str

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    prism_user_id: str
    groups: tuple[Group, ...]


BOARD = Group("de300000-0000-4000-8000-000000000201", "Board")
SALES = Group("de300000-0000-4000-8000-000000000202", "Sales")
GROUPS = (BOARD, SALES)

ADA = Person("admin", "Ada Admin", "de300000-0000-4000-8000-000000000101", (BOARD, SALES))
EDDIE = Person("editor", "Eddie Editor", "de300000-0000-4000-8000-000000000102", (SALES,))
VERA = Person("viewer", "Vera Viewer", "de300000-0000-4000-8000-000000000103", (SALES,))
PEOPLE = (ADA, EDDIE, VERA)

# The deal only Ada may see; seed_demo also makes an action that references it.
BOARD_ONLY_DEAL = "Board-only merger"

"""Roles are Django groups; each role is the set of dashboard permissions it holds."""

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "Viewer"
    EDITOR = "Editor"
    ADMIN = "Admin"

    @property
    def codenames(self) -> tuple[str, ...]:
        match self:
            case Role.VIEWER:
                return ("view_records",)
            case Role.EDITOR:
                return ("view_records", "change_records", "bulk_change_records", "import_records")
            case Role.ADMIN:
                return (
                    "view_records",
                    "change_records",
                    "bulk_change_records",
                    "import_records",
                    "manage_grants",
                    "view_audit",
                    "manage_directory",
                )


def perm(codename: str) -> str:
    """The full permission name for has_perm(), e.g. perm("change_records")."""
    return f"dashboard.{codename}"


def sync_groups() -> None:
    """Make the role groups hold exactly their permissions (the migration's job; tests
    that flush the database call it again)."""
    from django.contrib.auth.models import Group, Permission

    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(Permission.objects.filter(content_type__app_label="dashboard", codename__in=role.codenames))

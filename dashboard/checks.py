"""System checks for how the dashboard reaches Prism."""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register


@register()
def check_key_encryption(app_configs, **kwargs) -> list[Error]:
    """Per-person keys need encryption keys of their own in production, and valid ones."""
    errors = []
    for raw in settings.PRISM_KEY_ENCRYPTION_KEYS:
        try:
            Fernet(raw)
        except ValueError:
            errors.append(
                Error(
                    "An entry of PRISM_KEY_ENCRYPTION_KEYS is not a Fernet key.",
                    hint="Make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
                    id="dashboard.E001",
                )
            )
    if settings.PRISM_ACCESS == "per_person" and not settings.DEBUG and not settings.PRISM_KEY_ENCRYPTION_KEYS:
        errors.append(
            Error(
                "PRISM_KEY_ENCRYPTION_KEYS is empty: personal Prism keys would be encrypted with a key derived from SECRET_KEY.",
                hint="Set PRISM_KEY_ENCRYPTION_KEYS to one or more Fernet keys (newest first), kept apart from the database.",
                id="dashboard.E002",
            )
        )
    if settings.PRISM_ACCESS == "shared" and not settings.MICRO_API_KEY:
        errors.append(Error("PRISM_ACCESS is shared but MICRO_API_KEY is empty.", id="dashboard.E003"))
    return errors

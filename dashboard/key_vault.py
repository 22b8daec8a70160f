"""Personal Prism API keys, encrypted at rest (Fernet, rotatable with MultiFernet).

`PRISM_KEY_ENCRYPTION_KEYS` holds one or more Fernet keys, newest first: new tokens
are written with the first, every listed key can read. To rotate, put a new key in
front, run `manage.py rotate_prism_keys` (re-encrypts every stored key with it), then
drop the old one.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class VaultError(Exception):
    """A stored key that none of the configured encryption keys can read."""


def _fernet() -> MultiFernet:
    keys = list(settings.PRISM_KEY_ENCRYPTION_KEYS)
    if not keys:
        # Zero-setup development only (a system check refuses this with DEBUG off):
        # a key derived from SECRET_KEY, so a fresh clone runs without configuration.
        keys = [base64.urlsafe_b64encode(hashlib.sha256(f"prism-keys:{settings.SECRET_KEY}".encode()).digest()).decode()]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(api_key: str) -> str:
    return _fernet().encrypt(api_key.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise VaultError("The stored key cannot be read with the configured encryption keys.") from None


def rotate(token: str) -> str:
    """The same key, encrypted with the newest encryption key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise VaultError("The stored key cannot be read with the configured encryption keys.") from None


def new_encryption_key() -> str:
    return Fernet.generate_key().decode()

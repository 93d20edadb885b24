"""Encryption of stored credentials (mailbox tokens, C4C secrets) with rotatable Fernet keys.

The first key of ``TOKEN_ENCRYPTION_KEYS`` encrypts; every key decrypts, so a new key can be put
in front, the stored values re-encrypted with ``flask keys rotate``, and the old key dropped.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CredentialsUnreadable(Exception):
    """A stored value was encrypted with a key that is no longer configured, or was altered."""


class TokenCipher:
    """Encrypts and decrypts credential dictionaries.

    Args:
        keys: Fernet keys, the first one being the key that encrypts.

    Raises:
        ValueError: no key given.
    """

    def __init__(self, keys: tuple[str, ...] | list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, credentials: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(credentials).encode()).decode()

    def decrypt(self, sealed: str) -> dict[str, Any]:
        """The credentials in ``sealed``.

        Raises:
            CredentialsUnreadable: no configured key opens it.
        """
        try:
            return json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken:
            raise CredentialsUnreadable(
                "stored credentials cannot be decrypted with the configured keys"
            ) from None

    def rotate(self, sealed: str) -> str:
        """``sealed`` re-encrypted with the first key."""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise CredentialsUnreadable(
                "stored credentials cannot be decrypted with the configured keys"
            ) from None


def generate_key() -> str:
    return Fernet.generate_key().decode()


def secret_digest(secret: str) -> str:
    """What is stored of a secret handed out once (an add-in token, an invitation link): its
    SHA-256, so the database alone opens nothing."""
    return hashlib.sha256(secret.encode()).hexdigest()

"""The instance folder: a developer's local database, embedded Redis and generated secrets.

In development, a missing ``SECRET_KEY`` or ``TOKEN_ENCRYPTION_KEYS`` is generated once and kept
in the instance folder, so a newcomer needs no configuration. Production must set both (the
settings refuse to start otherwise).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from pathlib import Path

from backend.auth.crypto import generate_key
from backend.settings import Settings


def with_development_secrets(settings: Settings) -> Settings:
    """``settings`` with generated secrets filled in where development left them unset."""
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    changes: dict[str, object] = {}
    if not settings.secret_key:
        changes["secret_key"] = _kept_secret(
            settings.instance_path / "secret_key", lambda: secrets.token_urlsafe(48)
        )
    if not settings.token_encryption_keys:
        changes["token_encryption_keys"] = (
            _kept_secret(settings.instance_path / "token_encryption_key", generate_key),
        )
    return dataclasses.replace(settings, **changes) if changes else settings


def _kept_secret(path: Path, make: Callable[[], str]) -> str:
    if path.exists():
        return path.read_text().strip()
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value

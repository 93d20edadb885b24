"""``flask keys``: generate a token encryption key, re-encrypt stored credentials."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.auth.credentials import rotate_all
from backend.auth.crypto import CredentialsUnreadable, generate_key
from backend.extensions import resources

keys = AppGroup("keys", help="Encryption keys of stored credentials.")


@keys.command(help="Print a new key to put first in TOKEN_ENCRYPTION_KEYS.")
def generate() -> None:
    click.echo(generate_key())


@keys.command(help="Re-encrypt every stored credential with the first configured key.")
def rotate() -> None:
    found = resources()
    session = found.session_factory()
    try:
        count = rotate_all(session, found.cipher)
    except CredentialsUnreadable as error:
        raise click.ClickException(f"{error}; keep the old key in TOKEN_ENCRYPTION_KEYS") from None
    finally:
        session.close()
    click.echo(f"re-encrypted {count} stored credential(s) with the first key")

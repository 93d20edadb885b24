"""Credentials are encrypted at rest, keys rotate, and no dump shows a token in clear."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from backend.auth.credentials import c4c_credentials, mailbox_credentials, rotate_all
from backend.auth.crypto import CredentialsUnreadable, TokenCipher, generate_key
from backend.extensions import Resources
from backend.models import Mailbox
from backend.storage.db import Base
from tests.support import factories

SECRET = "ya29.a0-very-secret-oauth-token"


def test_round_trip_and_tamper_detection() -> None:
    cipher = TokenCipher([generate_key()])
    sealed = cipher.encrypt({"access_token": SECRET})
    assert SECRET not in sealed
    assert cipher.decrypt(sealed) == {"access_token": SECRET}
    with pytest.raises(CredentialsUnreadable):
        cipher.decrypt(sealed[:-4] + "AAAA")
    with pytest.raises(CredentialsUnreadable):
        TokenCipher([generate_key()]).decrypt(sealed)


def test_a_database_dump_holds_no_token_in_clear(session: Session, resources: Resources) -> None:
    owner = factories.tenant(session, resources.cipher)
    factories.mailbox(session, resources.cipher, owner, credentials={"access_token": SECRET})
    session.commit()
    dump = _dump(session)
    assert "anna@contoso.test" in dump  # the dump is real
    assert SECRET not in dump
    assert "c4c-secret-password" not in dump
    box = session.scalars(select(Mailbox)).one()
    assert mailbox_credentials(box, resources.cipher) == {"access_token": SECRET}


def _dump(session: Session) -> str:
    """Every row of every table as text, as a database dump would hold it."""
    lines = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(text(f'SELECT * FROM "{table.name}"')):
            lines.append(f"{table.name}: {tuple(row)}")
    return "\n".join(lines)


def test_rotation_moves_every_credential_to_the_new_key(
    app: Flask, session: Session, resources: Resources
) -> None:
    old = resources.cipher
    owner = factories.tenant(session, old)
    for number in range(3):
        factories.mailbox(session, old, owner, email=f"user{number}@contoso.test")
    session.commit()
    old_key = resources.settings.token_encryption_keys[0]
    new_key = generate_key()
    both = TokenCipher([new_key, old_key])

    assert rotate_all(session, both, batch_size=2) == 4  # three mailboxes and the tenant

    new_only = TokenCipher([new_key])
    for box in session.scalars(select(Mailbox)):
        assert mailbox_credentials(box, new_only) == {"password": "mailbox-secret-password"}
        with pytest.raises(CredentialsUnreadable):
            mailbox_credentials(box, old)
    assert c4c_credentials(owner, new_only) == {"password": "c4c-secret-password"}


def test_rotate_command_uses_the_configured_keys(
    database_url: str, redis_url: str, tmp_path, session: Session, resources: Resources
) -> None:
    owner = factories.tenant(session, resources.cipher)
    factories.mailbox(session, resources.cipher, owner)
    session.commit()
    old_key = resources.settings.token_encryption_keys[0]
    new_key = generate_key()
    from backend import create_app

    rotated_app = create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "INSTANCE_PATH": str(tmp_path / "other"),
            "TOKEN_ENCRYPTION_KEYS": f"{new_key},{old_key}",
        }
    )
    result = rotated_app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2 stored credential(s)" in result.output
    session.expire_all()
    box = session.scalars(select(Mailbox)).one()
    assert mailbox_credentials(box, TokenCipher([new_key])) is not None

    unreadable = create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "INSTANCE_PATH": str(tmp_path / "third"),
            "TOKEN_ENCRYPTION_KEYS": generate_key(),
        }
    )
    result = unreadable.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code != 0
    assert "cannot be decrypted" in result.output
    rotated_app.extensions["ssi"].engine.dispose()
    unreadable.extensions["ssi"].engine.dispose()
    assert inspect(box).persistent


def test_generate_prints_a_usable_key(runner) -> None:
    result = runner.invoke(args=["keys", "generate"])
    assert result.exit_code == 0
    TokenCipher([result.output.strip()])

"""Sessions end: on sign-out and on revoked access (everywhere, a copied cookie included), and
after ``SESSION_LIFETIME_HOURS``."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from backend.models import Mailbox, User
from backend.models.mailbox import HealthStatus
from backend.models.user import Role
from tests.support import factories
from tests.support.web import csrf_token, sign_in

COOKIE = "ssi_session"


@pytest.fixture
def anna(app, client, session, resources, tenant) -> User:
    box = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test", Role.USER)
    session.commit()
    user = session.get(User, box.user_id)
    sign_in(app, client, user)
    return user


def _copy(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def test_a_cookie_copied_before_sign_out_opens_nothing_after(app, client, anna) -> None:
    thief = _copy(app, client)
    assert thief.get("/").status_code == 200, "the copy works while the session lives"

    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 302

    assert client.get("/").status_code == 302
    answer = thief.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert thief.get("/api/v1/issues").status_code == 401


def test_signing_in_again_after_signing_out_works(app, client, session, anna) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    session.refresh(anna)
    sign_in(app, client, anna)
    assert client.get("/").status_code == 200


def test_revoking_a_mailbox_ends_its_owners_sessions(app, session, anna, kim) -> None:
    anna_browser = app.test_client()
    sign_in(app, anna_browser, anna)
    assert anna_browser.get("/").status_code == 200
    key_user = app.test_client()
    sign_in(app, key_user, kim)
    mailbox = session.query(Mailbox).filter_by(user_id=anna.id).one()
    data = {"csrf_token": csrf_token(key_user, "/admin/"), "action": "revoke",
            "mailbox_id": str(mailbox.id), "confirmed": "yes"}  # fmt: skip
    assert "1 revoked." in key_user.post("/admin/bulk", data=data, follow_redirects=True).text

    session.refresh(mailbox)
    assert mailbox.status is HealthStatus.FAILED_AUTH
    assert anna_browser.get("/").status_code == 302
    assert key_user.get("/admin/").status_code == 200, "only the owner's sessions end"


def _cookie_signed(app, data: dict, age: timedelta) -> str:
    """A session cookie as Flask signs it, but signed ``age`` ago."""

    class Signed(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age.total_seconds())

    serializer = URLSafeTimedSerializer(
        app.secret_key, salt="cookie-session", serializer=TaggedJSONSerializer(),
        signer=Signed, signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )  # fmt: skip
    return serializer.dumps(data)


def test_a_session_ends_after_its_lifetime(app, client, anna) -> None:
    with client.session_transaction() as stored:
        data = dict(stored)
    assert app.permanent_session_lifetime == timedelta(hours=12)
    fresh, old = app.test_client(), app.test_client()
    fresh.set_cookie(COOKIE, _cookie_signed(app, data, timedelta(hours=11)))
    old.set_cookie(COOKIE, _cookie_signed(app, data, timedelta(hours=13)))
    assert fresh.get("/").status_code == 200
    assert old.get("/").status_code == 302


def test_a_session_naming_an_old_generation_opens_nothing(app, session, anna) -> None:
    browser = app.test_client()
    sign_in(app, browser, anna)
    anna.end_sessions()
    session.commit()
    assert browser.get("/").status_code == 302
    with browser.session_transaction() as stored:
        stored["_user_id"] = str(anna.id)
    assert browser.get("/").status_code == 302, "a bare id (no generation) opens nothing"

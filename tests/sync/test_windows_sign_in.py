"""A company whose Exchange Server has Basic turned off: its key user chooses Windows sign-in
(NTLM) in Connections, which asks the server what it accepts; mailboxes then sync with NTLM,
people connect with their Windows user name, and quiet runs still write nothing."""

from __future__ import annotations

from sqlalchemy import select

from backend.models import AuditEvent, Mailbox, Tenant, User
from backend.models.issue import Source
from backend.models.run import RunOutcome
from backend.models.tenant import ExchangeSignIn
from backend.models.types import IssueCode
from emulators.c4c import C4CEmulator
from emulators.ews import EwsEmulator
from tests.support.web import csrf_token, sign_in
from tests.support.world import C4C_PASSWORD, C4C_USER, PASSWORD


def connections(client, c4c: C4CEmulator, ews: EwsEmulator, action: str, sign_in_with: str):
    return client.post("/admin/connections/", data={
        "csrf_token": csrf_token(client), "action": action, "c4c_base_url": c4c.base_url,
        "c4c_username": C4C_USER, "c4c_password": C4C_PASSWORD, "mail_endpoint": ews.endpoint,
        "exchange_sign_in": sign_in_with,
    }).get_data(as_text=True)  # fmt: skip


def test_windows_sign_in_is_chosen_checked_and_used_by_every_run(
    app, client, session, tenant: Tenant, mailbox: Mailbox, c4c: C4CEmulator, ews: EwsEmulator,
    sync_now,
) -> None:  # fmt: skip
    ews.store.auth_methods = {"ntlm"}
    run = sync_now()
    assert (run.outcome, run.error_code, run.error_source) == (
        RunOutcome.FAILED, IssueCode.AUTH, Source.EXCHANGE
    ), "Basic is turned off on the server"  # fmt: skip

    kim = session.scalars(select(User).where(User.email == "kim@contoso.test")).one()
    sign_in(app, client, kim)
    basic = connections(client, c4c, ews, "test", "BASIC")
    assert "does not accept Basic sign-in; it offers: Windows (NTLM)." in basic
    windows = connections(client, c4c, ews, "save", "NTLM")
    assert "127.0.0.1 accepts Windows (NTLM) sign-in (it offers: Windows (NTLM))." in windows
    assert "The connection works" in windows
    session.expire_all()
    assert tenant.config.exchange_sign_in is ExchangeSignIn.NTLM
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "tenant.connections"))
    assert event.details["exchange_sign_in"] == {"old": "BASIC", "new": "NTLM"}

    anna = session.get(User, mailbox.user_id)
    sign_in(app, client, anna)
    assert "Your Windows user name (DOMAIN\\name)" in client.get("/reactivate/").get_data(
        as_text=True
    )
    wrong = client.post(
        "/reactivate/",
        data={"csrf_token": csrf_token(client), "username": "CONTOSO\\anna", "password": "wrong"},
    )
    assert wrong.status_code == 422
    assert "did not accept this user name and password" in wrong.get_data(as_text=True)
    right = client.post(
        "/reactivate/",
        data={"csrf_token": csrf_token(client), "username": "CONTOSO\\anna", "password": PASSWORD},
    )
    assert right.status_code == 302
    ews.log.clear()
    for _ in range(2):
        assert sync_now().outcome is RunOutcome.SUCCEEDED
    schemes = {e.headers.get("Authorization", "").split(" ")[0] for e in ews.log.entries()}
    assert schemes <= {"NTLM", ""}, "NTLM, or a connection NTLM signed in before"
    assert all(e.status in (200, 401) for e in ews.log.entries())
    ews.log.clear()
    quiet = sync_now()
    assert quiet.outcome is RunOutcome.SUCCEEDED
    writes = [
        e
        for e in ews.log.entries()
        if any(
            op in e.body for op in (b"CreateItem", b"UpdateItem", b"DeleteItem", b"CreateFolder")
        )
    ]
    assert writes == [], "a quiet run writes nothing"

"""Putting a company into service from the command line: ``flask tenant create/list/show`` and
``flask users add/import/invite/remove``, from an empty database, with their failure paths."""

from __future__ import annotations

import dataclasses
import re
import socket

import pytest
from sqlalchemy import func, select

from backend.auth.credentials import c4c_credentials, mailbox_credentials
from backend.auth.crypto import secret_digest
from backend.models import AuditEvent, Invitation, Mailbox, Tenant, User
from backend.models.mailbox import HealthStatus, Provider
from backend.models.tenant import ExchangeSignIn
from backend.models.user import Role
from backend.storage.db import utcnow
from backend.tenants import invitations
from emulators.smtp import MailCatcher

ENTRA = "5f1c2a7e-3b4d-4c8e-9f10-2a3b4c5d6e7f"
C4C_URL = "https://my000001.crm.ondemand.com/sap/c4c/odata/v1/c4codataapi/"
LINK = re.compile(r"(http://\S+/invitation/(\S+))")


def create(runner, *extra: str, password: str = "c4c-pass\n"):
    return runner.invoke(
        args=[
            "tenant", "create", "--name", "Fabrikam Ltd", "--slug", "fabrikam",
            "--mail-system", "exchange-server", "--ews-url", "https://mail.fabrikam.test/EWS/Exchange.asmx",
            "--entra-tenant", ENTRA, "--key-user", "Kim.Key@Fabrikam.test",
            "--c4c-url", C4C_URL, "--c4c-user", "INTEGRATION", "--c4c-password-file", "-",
            *extra,
        ],
        input=password,
    )  # fmt: skip


def add_person(runner, email: str, name: str):
    return runner.invoke(args=["users", "add", "--tenant", "fabrikam", "--email", email,
                               "--name", name])  # fmt: skip


def link_in(mail: MailCatcher, to: str) -> tuple[str, str]:
    (message,) = [m for m in mail.messages if to in m.recipients]
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1), found.group(2)


def test_tenant_create_makes_the_tenant_its_key_user_and_sends_the_invitation(
    runner, session, resources, mail: MailCatcher
) -> None:
    result = create(runner)

    assert result.exit_code == 0, result.output
    assert "c4c-pass" not in result.output
    tenant = session.scalars(select(Tenant)).one()
    assert (tenant.slug, tenant.name, tenant.c4c_base_url) == ("fabrikam", "Fabrikam Ltd", C4C_URL)
    assert c4c_credentials(tenant, resources.cipher) == {"password": "c4c-pass"}
    assert "c4c-pass" not in (tenant.c4c_credentials_encrypted or "")
    assert tenant.config.email_domains == ["fabrikam.test"]
    assert tenant.config.entra_tenant_ids == [ENTRA]
    user = session.scalars(select(User)).one()
    assert (user.email, user.name, user.role) == ("kim.key@fabrikam.test", "Kim Key", Role.KEY_USER)
    mailbox = session.scalars(select(Mailbox)).one()
    assert (mailbox.provider, mailbox.status) == (Provider.EXCHANGE, HealthStatus.NOT_SYNCED)
    assert mailbox.next_sync_at is None, "nothing runs before the user connects the mailbox"
    assert mailbox_credentials(mailbox, resources.cipher) is None
    link, secret = link_in(mail, "kim.key@fabrikam.test")
    assert link.startswith(resources.settings.public_base_url)
    invitation = session.scalars(select(Invitation)).one()
    assert invitation.token_hash == secret_digest(secret) and secret not in invitation.token_hash
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.add", "tenant.create", "user.invite"]
    assert tenant.config.exchange_sign_in is ExchangeSignIn.BASIC


def test_windows_sign_in_is_chosen_when_creating(runner, session) -> None:
    assert create(runner, "--exchange-sign-in", "ntlm").exit_code == 0
    assert session.scalars(select(Tenant)).one().config.exchange_sign_in is ExchangeSignIn.NTLM
    wrong = runner.invoke(args=["tenant", "create", "--exchange-sign-in", "kerberos"])
    assert wrong.exit_code != 0 and "'kerberos' is not one of 'basic', 'ntlm'" in wrong.output


def test_the_c4c_password_is_asked_for_when_no_file_is_given(runner, session) -> None:
    result = runner.invoke(
        args=["tenant", "create", "--name", "Tailspin", "--slug", "tailspin", "--mail-system",
              "gmail", "--google-domain", "tailspin.test", "--key-user", "ann@tailspin.test",
              "--c4c-url", C4C_URL, "--c4c-user", "INTEGRATION"],
        input="typed-secret\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "C4C password" in result.output and "typed-secret" not in result.output
    tenant = session.scalars(select(Tenant)).one()
    assert tenant.config.email_domains == ["tailspin.test"]
    assert tenant.config.google_domains == ["tailspin.test"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("--slug", "Fab rikam"), "--slug"),
        (("--ews-url", "ftp://mail"), "is not an http(s) address"),
        (("--entra-tenant", "not-a-guid"), "not a Microsoft Entra tenant id"),
        (("--key-user", "kim at fabrikam"), "kim at fabrikam: not an e-mail address"),
        (("--key-user", "kim@fabrikam.test", "--key-user-name", "x" * 201), "longer than 200"),
        (("--c4c-url", "nonsense"), "is not an http(s) address"),
    ],
)
def test_bad_input_creates_nothing(runner, session, change, problem) -> None:
    result = create(runner, *change)
    assert result.exit_code != 0
    assert problem in result.output
    assert session.scalar(select(func.count()).select_from(Tenant)) == 0
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_an_exchange_server_tenant_needs_its_ews_address_and_a_slug_is_taken_once(
    runner, session
) -> None:
    result = runner.invoke(
        args=["tenant", "create", "--name", "X", "--slug", "xco", "--mail-system",
              "exchange-server", "--key-user", "a@x.test"],
    )  # fmt: skip
    assert result.exit_code != 0 and "--ews-url" in result.output
    assert create(runner).exit_code == 0
    again = create(runner)
    assert again.exit_code != 0 and "exists already" in again.output
    assert session.scalar(select(func.count()).select_from(Tenant)) == 1


def test_list_and_show_name_everything_but_the_secrets(runner, mail) -> None:
    assert runner.invoke(args=["tenant", "list"]).output.startswith("No tenants yet")
    assert create(runner).exit_code == 0

    listed = runner.invoke(args=["tenant", "list"])
    assert "fabrikam" in listed.output and "1 users" in listed.output
    assert "SAP: set up" in listed.output
    shown = runner.invoke(args=["tenant", "show", "fabrikam"])
    assert shown.exit_code == 0, shown.output
    assert "kim.key@fabrikam.test" in shown.output and "key user" in shown.output
    assert "invited" in shown.output
    assert "secret stored" in shown.output and "c4c-pass" not in shown.output
    missing = runner.invoke(args=["tenant", "show", "nobody"])
    assert missing.exit_code != 0 and "no tenant 'nobody'" in missing.output


def _import(runner, tmp_path, text: str, *extra: str):
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["users", "import", "--tenant", "fabrikam", *extra, str(path)])


def test_a_csv_with_one_bad_line_adds_nobody_then_the_fixed_file_adds_and_invites_all(
    runner, session, tmp_path, mail: MailCatcher
) -> None:
    assert create(runner).exit_code == 0
    mail.clear()
    bad = (
        "email,name,role\n"
        "ann@fabrikam.test,Ann Adams,user\n"
        "bob@contoso.test,Bob Brown,user\n"
        "cy@fabrikam.test,,user\n"
        "ANN@fabrikam.test,Ann Again,user\n"
        "kim.key@fabrikam.test,Kim,key user\n"
        "dee@fabrikam.test,Dee Doe,admin\n"
    )
    result = _import(runner, tmp_path, bad)
    assert result.exit_code != 0
    assert "nothing was added" in result.output
    for expected in (
        "line 3: bob@contoso.test: not an address of the company's domains (fabrikam.test)",
        "line 4: cy@fabrikam.test: the name is missing",
        "line 5: ann@fabrikam.test: the same address is also on line 2",
        "line 6: kim.key@fabrikam.test: already a user",
        "line 7: dee@fabrikam.test: the role 'admin' is neither 'user' nor 'key user'",
    ):
        assert expected in result.output
    assert "line 2:" not in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 1
    assert mail.messages == []

    checked = _import(runner, tmp_path, "email,name\nann@fabrikam.test,Ann Adams\n", "--check")
    assert checked.exit_code == 0 and "line 2: ann@fabrikam.test: fine" in checked.output
    assert session.scalar(select(func.count()).select_from(User)) == 1

    good = (
        "email,name,role,mail_system\n"
        "ann@fabrikam.test,Ann Adams,user,\n"
        "bo@fabrikam.test,Bo,key user,gmail\n"
    )
    result = _import(runner, tmp_path, good)
    assert result.exit_code == 0, result.output
    session.expire_all()
    added = {u.email: u for u in session.scalars(select(User))}
    assert added["bo@fabrikam.test"].role is Role.KEY_USER
    providers = dict(session.execute(select(Mailbox.address, Mailbox.provider)).all())
    assert providers["ann@fabrikam.test"] is Provider.EXCHANGE
    assert providers["bo@fabrikam.test"] is Provider.GMAIL
    assert sorted(r for m in mail.messages for r in m.recipients) == [
        "ann@fabrikam.test", "bo@fabrikam.test"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name,mail\nAnn,ann@fabrikam.test\n", "the first line names the columns"),
        ("email,name,email\n", "the first line names the columns"),
        ("", "the first line names the columns"),
        ("email,name\nann@fabrikam.test,Ann,extra\n", "3 values where the header names 2"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused(
    runner, session, tmp_path, mail, text, problem
) -> None:
    assert create(runner).exit_code == 0
    result = _import(runner, tmp_path, text)
    assert result.exit_code != 0 and problem in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_another_companys_user_cannot_be_added(runner, session, box, mail) -> None:
    assert create(runner, "--email-domain", "contoso.test").exit_code == 0
    result = add_person(runner, "anna@contoso.test", "A")
    assert result.exit_code != 0
    assert "belongs to a user of another company" in result.output
    assert "Contoso" not in result.output
    assert (
        session.scalars(select(User.tenant_id).where(User.email == "anna@contoso.test")).one()
        == box.tenant_id
    )


def test_remove_deletes_credentials_at_once_keeps_the_user_and_adding_again_restores(
    runner, session, resources, mail
) -> None:
    assert create(runner).exit_code == 0
    added = add_person(runner, "ann@fabrikam.test", "Ann")
    assert added.exit_code == 0, added.output
    mailbox = session.scalars(select(Mailbox).where(Mailbox.address == "ann@fabrikam.test")).one()
    mailbox.credentials_encrypted = resources.cipher.encrypt({"password": "ann-pass"})
    session.commit()

    refused = runner.invoke(
        args=["users", "remove", "--tenant", "fabrikam", "ann@fabrikam.test"], input="n\n"
    )
    assert refused.exit_code != 0
    removed = runner.invoke(
        args=["users", "remove", "--tenant", "fabrikam", "--yes", "ann@fabrikam.test"]
    )
    assert removed.exit_code == 0, removed.output
    session.expire_all()
    user = session.scalars(select(User).where(User.email == "ann@fabrikam.test")).one()
    assert user.removed_at is not None and user.session_generation == 1
    assert (mailbox.status, mailbox.credentials_encrypted, mailbox.next_sync_at) == (
        HealthStatus.DISABLED, None, None
    )  # fmt: skip
    again = runner.invoke(
        args=["users", "remove", "--tenant", "fabrikam", "--yes", "ann@fabrikam.test"]
    )
    assert again.exit_code != 0 and "already removed" in again.output
    no_invite = runner.invoke(args=["users", "invite", "--tenant", "fabrikam", "ann@fabrikam.test"])
    assert no_invite.exit_code != 0 and "was removed" in no_invite.output

    back = add_person(runner, "ann@fabrikam.test", "Ann B")
    assert back.exit_code == 0, back.output
    session.expire_all()
    assert (user.removed_at, user.name) == (None, "Ann B")
    assert mailbox.status is HealthStatus.NOT_SYNCED and mailbox.next_sync_at is None


def test_a_new_invitation_ends_the_older_link(runner, session, mail: MailCatcher) -> None:
    assert create(runner).exit_code == 0
    _link, first = link_in(mail, "kim.key@fabrikam.test")
    mail.clear()
    result = runner.invoke(
        args=["users", "invite", "--tenant", "fabrikam", "KIM.KEY@fabrikam.test"]
    )
    assert result.exit_code == 0, result.output
    _link, second = link_in(mail, "kim.key@fabrikam.test")
    now = utcnow()
    assert not invitations.find(session, first).usable(now)
    assert invitations.find(session, second).usable(now)
    assert invitations.find(session, "forged") is None


def test_an_unreachable_mail_server_leaves_the_invitation_to_send_again(
    runner, session, resources, mail: MailCatcher
) -> None:
    working = resources.settings
    resources.settings = dataclasses.replace(working, smtp_port=_closed_port())
    try:
        result = create(runner)
    finally:
        resources.settings = working
    assert result.exit_code == 0, result.output
    assert "was not sent" in result.output
    assert "flask users invite --tenant fabrikam kim.key@fabrikam.test" in result.output
    assert session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert mail.messages == []
    again = runner.invoke(args=["users", "invite", "--tenant", "fabrikam", "kim.key@fabrikam.test"])
    assert again.exit_code == 0 and "Invitation sent" in again.output
    assert len(mail.messages) == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

"""Key users add, import, invite and remove their company's people in the admin panel, by the
same rules as ``flask users``; and nobody else can."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from backend.models import Invitation, Mailbox, User
from backend.models.mailbox import HealthStatus
from backend.models.user import Role
from emulators.smtp import MailCatcher
from tests.support import factories
from tests.support.web import csrf_token, sign_in

GOOD = "email,name,role\nann@contoso.test,Ann Adams,user\nbo@contoso.test,Bo Berg,key user\n"
BAD = "email,name\nann@contoso.test,Ann Adams\ncy@fabrikam.test,Cy\nann@contoso.test,Ann\n"


def people_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.removed_at.is_(None)))


def post(client, path: str, **form):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/"), **form})


def test_a_key_user_adds_one_person_who_gets_an_invitation(
    client, session, kim, mail: MailCatcher
) -> None:
    page = client.get("/admin/people/new")
    assert page.status_code == 200 and 'id="add-one"' in page.get_data(as_text=True)
    answer = post(client, "/admin/people/add", email="Ann@Contoso.test", name=" Ann  Adams ",
                  role="user", mail_system="gmail")  # fmt: skip
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"
    ann = session.scalars(select(User).where(User.email == "ann@contoso.test")).one()
    assert (ann.name, ann.role) == ("Ann Adams", Role.USER)
    assert (
        session.scalars(select(Mailbox.provider).where(Mailbox.user_id == ann.id)).one() == "GMAIL"
    )
    (message,) = mail.messages
    assert message.recipients == ("ann@contoso.test",) and "/invitation/" in message.body
    table = client.get("/admin/").get_data(as_text=True)
    assert "An invitation was sent to ann@contoso.test." in table
    assert f'id="access-{ann.id}">Invited<' in table


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"email": "eve@evil.test", "name": "Eve"}, "not an address of the company&#39;s domains"),
        ({"email": "kim@contoso.test", "name": "Kim"}, "already a user"),
        ({"email": "no-at-sign", "name": "X"}, "not an e-mail address"),
        ({"email": "x@contoso.test", "name": ""}, "the name is missing"),
        ({"email": "x@contoso.test", "name": "X", "role": "root"}, "neither"),
        ({"email": "x@contoso.test", "name": "X", "mail_system": "lotus"}, "is not one of"),
    ],
)
def test_a_refused_person_is_shown_with_the_reason_and_nothing_is_added(
    client, session, kim, mail, form, problem
) -> None:
    answer = post(client, "/admin/people/add", **form)
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "Nobody was added" in text and problem in text
    assert people_count(session) == 1 and mail.messages == []


def test_a_csv_with_one_bad_line_adds_nobody_then_the_fixed_file_adds_everyone(
    client, session, kim, mail: MailCatcher
) -> None:
    checked = post(client, "/admin/people/import", csv=BAD)
    assert checked.status_code == 422
    text = checked.get_data(as_text=True)
    assert "Nothing will be added until every line is fine" in text
    assert "not an address of the company&#39;s domains (contoso.test)" in text
    assert "the same address is also on line 2" in text
    assert 'id="import-people"' not in text
    assert post(client, "/admin/people/import", csv=BAD, confirmed="yes").status_code == 422
    assert people_count(session) == 1

    upload = {
        "csrf_token": csrf_token(client, "/admin/"),
        "file": (io.BytesIO(GOOD.encode("utf-8-sig")), "people.csv"),
    }
    preview = client.post("/admin/people/import", data=upload, content_type="multipart/form-data")
    assert preview.status_code == 200
    assert "Add 2 people and invite them" in preview.get_data(as_text=True)
    assert people_count(session) == 1, "a preview adds nobody"

    done = post(client, "/admin/people/import", csv=GOOD, confirmed="yes")
    assert done.status_code == 302
    assert people_count(session) == 3
    assert sorted(r for m in mail.messages for r in m.recipients) == [
        "ann@contoso.test", "bo@contoso.test"
    ]  # fmt: skip
    again = post(client, "/admin/people/import", csv=GOOD, confirmed="yes")
    assert again.status_code == 422 and "already a user" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("upload", "status", "problem"),
    [
        ((b"x" * 600_000, "big.csv"), 413, "larger than"),
        (("email,name\nann@contoso.test,Ann \xe9\n".encode("latin-1"), "l1.csv"), 422, "not UTF-8"),
        ((b"", ""), 422, "Choose a CSV file"),
        ((b"mail,who\n", "x.csv"), 422, "the first line names the columns"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused(
    client, session, kim, upload, status, problem
) -> None:
    body, name = upload
    answer = client.post(
        "/admin/people/import",
        data={"csrf_token": csrf_token(client, "/admin/"), "file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )
    assert answer.status_code == status
    assert problem in answer.get_data(as_text=True)
    assert people_count(session) == 1


def test_remove_asks_first_then_deletes_the_credentials(
    client, session, resources, tenant, kim
) -> None:
    box = factories.mailbox(session, resources.cipher, tenant, "ann@contoso.test",
                            credentials={"password": "ann-pass"})  # fmt: skip
    session.commit()
    asked = post(client, f"/admin/people/{box.user_id}/remove")
    assert asked.status_code == 200 and 'id="confirm-remove"' in asked.get_data(as_text=True)
    assert box.credentials_encrypted is not None
    done = post(client, f"/admin/people/{box.user_id}/remove", confirmed="yes")
    assert done.status_code == 302
    session.expire_all()
    assert (box.status, box.credentials_encrypted) == (HealthStatus.DISABLED, None)
    table = client.get("/admin/").get_data(as_text=True)
    assert "Ann was removed: their mailbox credentials are deleted." in table
    assert "ann@contoso.test" not in table.split("<table", 1)[1], "removed users leave the table"
    yourself = post(client, f"/admin/people/{kim.id}/remove", confirmed="yes")
    assert yourself.status_code == 302
    assert "key users cannot remove themselves" in client.get("/admin/").get_data(as_text=True)
    assert session.get(User, kim.id).removed_at is None


def test_send_again_ends_the_older_link(client, session, resources, tenant, kim, mail) -> None:
    assert (
        post(client, "/admin/people/add", email="ann@contoso.test", name="Ann").status_code == 302
    )
    ann = session.scalars(select(User).where(User.email == "ann@contoso.test")).one()
    assert post(client, f"/admin/people/{ann.id}/invite").status_code == 302
    rows = session.scalars(select(Invitation).where(Invitation.user_id == ann.id)).all()
    assert len(rows) == 2 and len(mail.messages) == 2
    assert not rows[0].usable(rows[1].created_at) and rows[1].usable(rows[1].created_at)


def test_another_tenants_people_are_not_found(client, session, resources, kim, mail) -> None:
    other = factories.tenant(session, resources.cipher, slug="fabrikam")
    box = factories.mailbox(session, resources.cipher, other, "zoe@fabrikam.test")
    session.commit()
    for action in ("invite", "remove"):
        answer = post(client, f"/admin/people/{box.user_id}/{action}", confirmed="yes")
        assert answer.status_code == 404
    assert session.get(User, box.user_id).removed_at is None and mail.messages == []
    refused = post(client, "/admin/people/add", email="zoe@fabrikam.test", name="Zoe")
    assert refused.status_code == 422


def test_plain_users_and_strangers_cannot_manage_people(
    app, client, session, resources, tenant
) -> None:
    box = factories.mailbox(session, resources.cipher, tenant, "ann@contoso.test")
    session.commit()
    assert client.get("/admin/people/new").status_code == 302, "signed out: to the sign-in page"
    sign_in(app, client, session.get(User, box.user_id))
    assert client.get("/admin/people/new").status_code == 403
    token = csrf_token(client)
    for path in (
        "/admin/people/add",
        "/admin/people/import",
        f"/admin/people/{box.user_id}/remove",
    ):
        form = {"csrf_token": token, "email": "x@contoso.test", "name": "X", "confirmed": "yes"}
        assert client.post(path, data=form).status_code == 403
    assert people_count(session) == 1


def test_a_post_without_the_csrf_token_is_refused(client, session, kim) -> None:
    answer = client.post("/admin/people/add", data={"email": "ann@contoso.test", "name": "Ann"})
    assert answer.status_code == 400
    assert people_count(session) == 1

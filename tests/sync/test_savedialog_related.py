"""The Save dialog links only an account or contact it offered: a ``related_id`` of another
shape (a path on the C4C host) or one no search offered never reaches C4C, and every key the
C4C client puts in a URL is percent-encoded."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CHTTPError
from backend.models import Issue, User
from backend.savedialog import errors as texts
from backend.savedialog import search_related, submit
from emulators.c4c import C4CEmulator
from emulators.ews.seed import add_message
from tests.support.web import csrf_token, sign_in
from tests.support.world import ADDRESS, C4C_PASSWORD, C4C_USER


@pytest.fixture
def mail_issue(ews, sync_now, session, mailbox) -> Issue:
    """An e-mail from a sender C4C does not know: its issue asks for the account."""
    add_message(ews.store.mailbox(ADDRESS), "Hello from nowhere", "x@nowhere.test",
                categories=["SAP"])  # fmt: skip
    sync_now()
    return session.scalars(select(Issue).where(Issue.mailbox_id == mailbox.id)).one()


@pytest.fixture
def hidden(crm: C4CClient) -> dict:
    """An object of another entity set, which the integration user may read."""
    return crm.create("IndividualCustomerCollection", {"FirstName": "Pat", "LastName": "Private"},
                      "seed-private")  # fmt: skip


def _reached(c4c: C4CEmulator, what: str) -> list[str]:
    return [f"{e.method} {e.path}" for e in c4c.log.entries() if what in e.path]


def _anna(session, mailbox) -> User:
    return session.get(User, mailbox.user_id)


def test_a_path_posing_as_the_related_id_never_reaches_c4c(
    c4c, crm, session, resources, mailbox, mail_issue, hidden
) -> None:
    crm.create("CorporateAccountCollection", {"Name": "Nowhere Inc"}, "seed-1")
    search_related(session, resources, mail_issue, "Nowhere", viewer=_anna(session, mailbox))
    c4c.log.clear()
    attack = f"x/../IndividualCustomerCollection('{hidden['ObjectID']}')?a="

    result = submit(session, resources, mail_issue, {}, _anna(session, mailbox),
                    related_id=attack)  # fmt: skip

    assert (result.ok, result.form.related.error) == (False, texts.RELATED_NOT_OFFERED)
    assert _reached(c4c, "IndividualCustomer") == []
    assert c4c.service.store.all("EMailCollection") == []


def test_an_id_no_search_offered_is_refused_until_a_search_offers_it(
    c4c, crm, session, resources, mailbox, mail_issue
) -> None:
    other = crm.create("CorporateAccountCollection", {"Name": "Unrelated Ltd"}, "seed-2")
    c4c.log.clear()
    refused = submit(session, resources, mail_issue, {}, _anna(session, mailbox),
                     related_id=other["ObjectID"])  # fmt: skip
    assert (refused.ok, refused.form.related.error) == (False, texts.RELATED_NOT_OFFERED)
    assert _reached(c4c, other["ObjectID"]) == []

    [candidate] = search_related(
        session, resources, mail_issue, "Unrelated", viewer=_anna(session, mailbox)
    )
    saved = submit(session, resources, mail_issue, {}, _anna(session, mailbox),
                   related_id=candidate.object_id)  # fmt: skip
    assert saved.ok, saved.form
    [email] = c4c.service.store.all("EMailCollection")
    assert email["AccountID"] == other["AccountID"]


def test_the_dashboards_save_dialog_refuses_a_path_too(
    app, client, c4c, crm, session, mailbox, mail_issue, hidden
) -> None:
    sign_in(app, client, _anna(session, mailbox))
    c4c.log.clear()
    attack = f"x/../IndividualCustomerCollection('{hidden['ObjectID']}')?a="
    data = {"csrf_token": csrf_token(client), "action": "save", "related_id": attack}
    answer = client.post(f"/issues/{mail_issue.id}/fix", data=data)
    assert answer.status_code == 422
    assert texts.RELATED_NOT_OFFERED in answer.get_data(as_text=True)
    assert _reached(c4c, "IndividualCustomer") == []


@pytest.mark.parametrize("key", ["a/b", "x/../Other('1')?a=", "50%", "a#b", "O'Brien c"])
def test_every_key_the_client_sends_is_percent_encoded(c4c, key: str) -> None:
    sent: list[str] = []
    client = C4CClient(c4c.base_url, user=C4C_USER, password=C4C_PASSWORD)
    client.session.hooks["response"].append(lambda answer, **_: sent.append(answer.request.url))
    with pytest.raises(C4CHTTPError) as missing:
        client.get("ContactCollection", key)
    assert missing.value.status == 404
    [url] = sent
    literal = url.removeprefix(c4c.base_url + "ContactCollection(").removesuffix(")")
    assert requests.utils.unquote(literal) == "'" + key.replace("'", "''") + "'"
    assert not set("/?# ") & set(literal)
    assert not re.search(r"%(?![0-9A-F]{2})", literal), "every % is an escape"

"""A tenant that hides other users' titles: a key user sees neither the title nor a value of a
colleague's item anywhere (Retry's message, the Save dialog, the add-in's form, SAP's message
in the issues list, the export and the API)."""

from __future__ import annotations

import pytest

from backend.auth import addin_tokens
from backend.models import Issue, Mailbox, SyncItem, Tenant, User
from backend.models.types import ItemType
from backend.savedialog import errors as texts
from backend.web.admin_csv import HEADER
from tests.support.web import csrf_token, sign_in
from tests.web.test_admin_issues import _csv, _issue, anna_box  # noqa: F401 - a fixture

SECRET_TITLE = "Anna's secret deal"
SECRET_VALUE = "Value 'Project Falcon' is not valid for field 'JobTitle'"


@pytest.fixture
def secret(session, tenant: Tenant, anna_box: Mailbox) -> Issue:  # noqa: F811
    config = tenant.config
    config.hide_other_users_titles = True
    tenant.config = config
    session.commit()
    item = SyncItem(mailbox_id=anna_box.id, item_type=ItemType.CONTACT, mailbox_item_id="A1",
                    external_id="ssi-a1", title=SECRET_TITLE)  # fmt: skip
    session.add(item)
    return _issue(session, anna_box, "A1", title=SECRET_TITLE, backend_message=SECRET_VALUE,
                  fields=["JobTitle"], action_title="Fill in the job title")  # fmt: skip


def _leaks(text: str) -> bool:
    return "secret deal" in text or "Project Falcon" in text


def test_retrying_a_colleagues_item_does_not_name_it(client, kim, secret) -> None:
    answer = client.post(f"/issues/{secret.id}/retry", data={"csrf_token": csrf_token(client)},
                         follow_redirects=True)  # fmt: skip
    page = answer.get_data(as_text=True)
    assert "The item will be tried again in a moment." in page
    assert not _leaks(page)


def test_the_dashboards_save_dialog_of_a_colleagues_item_stays_closed(client, kim, secret) -> None:
    page = client.get(f"/issues/{secret.id}/fix", follow_redirects=True).get_data(as_text=True)
    assert "only the owner of this mailbox can open and fix this one" in page
    assert not _leaks(page)
    token = csrf_token(client)
    for data in ({"action": "search", "related_query": "Fab"}, {"action": "save"}):
        answer = client.post(f"/issues/{secret.id}/fix", data={"csrf_token": token, **data},
                             follow_redirects=True)  # fmt: skip
        assert not _leaks(answer.get_data(as_text=True))
        assert texts.HIDDEN in answer.get_data(as_text=True)


def test_the_add_in_form_of_a_colleagues_item_stays_closed(client, session, kim, secret) -> None:
    token = addin_tokens.issue(session, kim, "outlook", 60).secret
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/addin/api/v1/issues/{secret.id}"
    for method, path, body in (("GET", "/form", None), ("POST", "/form", {"values": {}}),
                               ("GET", "/related?q=Fab", None)):  # fmt: skip
        answer = client.open(base + path, method=method, json=body, headers=headers)
        assert answer.status_code == 403, (method, path, answer.get_json())
        assert answer.get_json()["message"] == texts.HIDDEN
        assert not _leaks(answer.get_data(as_text=True))


def test_sap_messages_of_a_colleagues_item_are_hidden_in_the_list_export_and_api(
    client, kim, secret
) -> None:
    page = client.get("/admin/issues").get_data(as_text=True)
    assert "Fill in the job title" in page and not _leaks(page), "its advice, worded again"
    [row] = [row for row in _csv(client)[1:] if row[1] == "anna@contoso.test"]
    assert row[HEADER.index("message")] == "" and row[HEADER.index("title")] == ""
    item = client.get(f"/api/v1/issues/{secret.id}").get_json()
    assert (item["title"], item["message"]) == (None, None)


def test_the_owner_still_sees_and_retries_their_own_item(app, client, session, secret) -> None:
    sign_in(app, client, session.get(User, secret.user_id))
    page = client.get("/issues").get_data(as_text=True)
    assert "secret deal" in page
    answer = client.post(f"/issues/{secret.id}/retry", data={"csrf_token": csrf_token(client)},
                         follow_redirects=True)  # fmt: skip
    assert "secret deal” will be tried again" in answer.get_data(as_text=True)

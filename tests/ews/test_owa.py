"""The mail client preview of the EWS emulator: sign-in, the item view, Office host endpoints."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from emulators.ews import EwsEmulator
from emulators.ews.owa import rest_id
from emulators.ews.seed import add_message
from tests.support.outlook import bare_account

ADDRESS, PASSWORD = "anna@contoso.test", "anna-pass"


@pytest.fixture
def owa():
    emulator = EwsEmulator(addin_url="https://sync.contoso.test/addin/taskpane")
    box = emulator.store.add_mailbox(ADDRESS, PASSWORD)
    message = add_message(box, "Quote <b>", "jane@fabrikam.test", categories=["SAP", "Blue"])
    client = emulator.app.test_client()
    return emulator, client, message


def signed_in(client) -> None:
    answer = client.post("/owa/signin", data={"address": ADDRESS.upper(), "password": PASSWORD})
    assert answer.status_code == 302


def test_a_wrong_password_or_unknown_address_is_refused(owa) -> None:
    _emulator, client, _message = owa
    assert b'id="owa-sign-in"' in client.get("/owa/").data
    for address, password in ((ADDRESS, "nope"), ("eve@contoso.test", PASSWORD), (ADDRESS, "")):
        answer = client.post("/owa/signin", data={"address": address, "password": password})
        assert answer.status_code == 401
    assert client.get("/owa/api/item?ItemID=x").status_code == 401
    assert client.post("/owa/api/categories", json={"ItemID": "x"}).status_code == 401


def test_an_item_opens_by_outlook_deep_link_with_the_pane_beside_it(owa) -> None:
    _emulator, client, message = owa
    signed_in(client)
    page = client.get(
        f"/owa/?ItemID={quote(message.id, safe='')}&exvsurl=1&viewmodel=ReadMessageItem"
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Quote &lt;b&gt;" in text and "Quote <b>" not in text
    assert 'src="https://sync.contoso.test/addin/taskpane"' in text
    assert f'data-item-id="{rest_id(message.id)}"' in text
    assert client.get("/owa/?ItemID=bm90LWFuLWl0ZW0=").status_code == 404
    assert client.get("/owa/?folder=nowhere").status_code == 404


def test_categories_are_read_and_edited_as_outlook_would(owa) -> None:
    emulator, client, message = owa
    signed_in(client)
    item = client.get(f"/owa/api/item?ItemID={rest_id(message.id)}").json
    assert (item["itemType"], [c["displayName"] for c in item["categories"]]) == (
        "message", ["SAP", "Blue"],
    )  # fmt: skip
    before = emulator.store.mailbox(ADDRESS).items[message.id].change_key
    change = {"ItemID": message.id, "add": ["Red"], "remove": ["Blue"]}
    edited = client.post("/owa/api/categories", json=change)
    assert [c["displayName"] for c in edited.json["categories"]] == ["SAP", "Red"]
    assert emulator.store.mailbox(ADDRESS).items[message.id].change_key != before
    with emulator:
        [seen] = bare_account(emulator.endpoint, ADDRESS, PASSWORD).inbox.all()
        assert seen.categories == ["SAP", "Red"]

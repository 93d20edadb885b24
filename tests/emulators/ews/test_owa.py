"""The mail client preview of the EWS emulator: sign-in, the item view, contact cards, Office host
endpoints."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from backend.mailbox.outlook import owa_link
from backend.models.types import ItemType
from emulators.ews import EwsEmulator
from emulators.ews.seed import add_contact, add_message
from emulators.owa import rest_id
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


def test_contacts_and_accounts_open_as_contact_cards_by_the_products_link(owa) -> None:
    emulator, client, _message = owa
    box = emulator.store.mailbox(ADDRESS)
    jane = add_contact(box, "Jane", "Doe", "jane@fabrikam.test", categories=["Customers"])
    northwind = add_contact(box, "Northwind Traders", "", "info@northwind.test",
                            folder="SAP Accounts")  # fmt: skip
    signed_in(client)
    link = urlsplit(owa_link("http://localhost/owa/", ItemType.CONTACT, jane.id))
    page = client.get(f"{link.path}?{link.query}").get_data(as_text=True)
    assert 'id="contact-card"' in page and '<h1 id="reading-subject">Jane Doe</h1>' in page
    assert "jane@fabrikam.test" in page and ">Customers<" in page
    assert "(no subject)" not in page and 'id="taskpane"' not in page, "no add-in on contacts"
    assert 'aria-current="page">SAP Contacts<' in page

    accounts = client.get("/owa/?folder=sap-accounts").get_data(as_text=True)
    assert "Northwind Traders" in accounts and "Jane Doe" not in accounts
    opened = client.get(f"/owa/?ItemID={quote(northwind.id, safe='')}&exvsurl=1")
    assert "info@northwind.test" in opened.get_data(as_text=True)
    for group in ("Mail", "Calendar", "People"):
        assert f'<h2 class="owa-group">{group}</h2>' in accounts

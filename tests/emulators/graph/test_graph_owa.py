"""The Graph emulator's Outlook on the web: Exchange Online mailboxes open by Outlook's own deep
links (as the dashboard builds them for Olivia), contacts as contact cards, messages with the
task pane beside them, categories edited as Outlook does."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from backend.mailbox.graph.provider import outlook_web_link
from backend.models.types import ItemType
from emulators.graph import GraphEmulator
from emulators.graph.seed import seed_contoso

ADDRESS, PASSWORD, TOKEN = "olivia@contoso.test", "olivia-pw", "graph.olivia"


@pytest.fixture
def outlook():
    emulator = GraphEmulator(addin_url="https://sync.contoso.test/addin/taskpane")
    mailbox = seed_contoso(emulator.store, ADDRESS, TOKEN)
    emulator.store.web_passwords[ADDRESS] = PASSWORD
    return emulator, mailbox, emulator.app.test_client()


def opened(client, item_type: ItemType, item_id: str) -> str:
    link = urlsplit(outlook_web_link(item_type, item_id, "http://localhost/owa/"))
    answer = client.get(f"{link.path}?{link.query}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_only_the_mailboxs_password_signs_in(outlook) -> None:
    _emulator, _mailbox, client = outlook
    assert 'id="owa-sign-in"' in client.get("/owa/").get_data(as_text=True)
    for address, password in ((ADDRESS, "nope"), ("eve@contoso.test", PASSWORD), (ADDRESS, "")):
        refused = client.post("/owa/signin", data={"address": address, "password": password})
        assert refused.status_code == 401
    assert client.get("/owa/api/item?ItemID=x").status_code == 401


def test_the_dashboards_links_open_messages_and_contacts(outlook) -> None:
    _emulator, mailbox, client = outlook
    client.post("/owa/signin", data={"address": ADDRESS, "password": PASSWORD})
    message = next(i for i in mailbox.items.values()
                   if i.fields.get("subject") == "Trade fair leads")  # fmt: skip
    page = opened(client, ItemType.EMAIL, message.id)
    assert '<h1 id="reading-subject">Trade fair leads</h1>' in page
    assert 'src="https://sync.contoso.test/addin/taskpane"' in page
    assert f'data-item-id="{message.id}"' in page, "Office.js hands the REST id to the pane"

    lena = next(i for i in mailbox.items.values() if i.fields.get("givenName") == "Lena")
    card = opened(client, ItemType.CONTACT, lena.id)
    assert 'id="contact-card"' in card and "lena@fabrikam.test" in card
    assert "(no subject)" not in card and 'id="taskpane"' not in card
    assert 'aria-current="page">SAP Contacts<' in card
    account = next(i for i in mailbox.items.values() if i.fields.get("companyName") == "Fabrikam")
    assert "Fabrikam" in opened(client, ItemType.ACCOUNT, account.id)
    assert client.get("/owa/?ItemID=bm90aGluZw&exvsurl=1").status_code == 404


def test_categories_edited_here_are_what_graph_answers(outlook) -> None:
    emulator, mailbox, client = outlook
    client.post("/owa/signin", data={"address": ADDRESS, "password": PASSWORD})
    message = next(i for i in mailbox.items.values() if i.fields.get("subject") == "Team lunch")
    edited = client.post("/owa/api/categories", json={"ItemID": message.id, "add": ["SAP"]})
    assert [c["displayName"] for c in edited.json["categories"]] == ["SAP"]
    read = emulator.app.test_client().get(
        f"/v1.0/me/messages/{message.id}?$select=categories",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert read.json["categories"] == ["SAP"]

"""The demo's emulated clients in Chromium, as a person opens the dashboard's links: contacts and
accounts as contact cards in the emulated Outlook, an Exchange Online mailbox in the Graph
emulator's Outlook, and C4C's deep link in the emulated C4C; axe-core finds nothing serious."""

from __future__ import annotations

from backend import presenters
from backend.mailbox.graph.provider import outlook_web_link
from backend.models import Tenant
from backend.models.types import ItemType
from emulators.ews.seed import add_contact
from emulators.graph import GraphEmulator
from emulators.graph.seed import seed_contoso
from tests.browser.a11y import check_accessibility
from tests.browser.conftest import screenshot
from tests.support.world import ADDRESS, C4C_PASSWORD, C4C_USER, PASSWORD


def test_contacts_open_as_contact_cards_in_the_emulated_outlook(new_page, ews) -> None:
    box = ews.store.mailbox(ADDRESS)
    add_contact(box, "Jane", "Doe", "jane@fabrikam.test", categories=["Customers"])
    add_contact(box, "Northwind Traders", "", "info@northwind.test", folder="SAP Accounts")
    page = new_page()
    page.goto(f"{ews.url}/owa/")
    check_accessibility(page, "Outlook sign-in")
    page.fill("#address", ADDRESS)
    page.fill("#password", PASSWORD)
    page.click("#owa-sign-in")
    page.get_by_role("link", name="SAP Contacts").click()
    page.get_by_role("link", name="Jane Doe").click()
    card = page.locator("#contact-card")
    assert "jane@fabrikam.test" in card.inner_text() and "Customers" in card.inner_text()
    assert not page.locator("#taskpane").count()
    check_accessibility(page, "Outlook contact card")
    screenshot(page, "ux-20-outlook-contacts")
    page.get_by_role("link", name="SAP Accounts").click()
    page.get_by_role("link", name="Northwind Traders").click()
    assert "info@northwind.test" in page.inner_text("#contact-card")


def test_an_exchange_online_link_opens_in_the_graph_emulators_outlook(new_page) -> None:
    graph = GraphEmulator(addin_url="about:blank")
    mailbox = seed_contoso(graph.store, "olivia@contoso.test", "graph.olivia")
    graph.store.web_passwords["olivia@contoso.test"] = "olivia-pw"
    lena = next(i for i in mailbox.items.values() if i.fields.get("givenName") == "Lena")
    with graph:
        page = new_page()
        page.goto(outlook_web_link(ItemType.CONTACT, lena.id, f"{graph.url}/owa/"))
        page.fill("#address", "olivia@contoso.test")
        page.fill("#password", "olivia-pw")
        page.click("#owa-sign-in")
        page.goto(outlook_web_link(ItemType.CONTACT, lena.id, f"{graph.url}/owa/"))
        assert "lena@fabrikam.test" in page.inner_text("#contact-card")
        check_accessibility(page, "Exchange Online contact card")
        message = next(i for i in mailbox.items.values()
                       if i.fields.get("subject") == "Trade fair leads")  # fmt: skip
        page.goto(outlook_web_link(ItemType.EMAIL, message.id, f"{graph.url}/owa/"))
        assert page.inner_text("#reading-subject") == "Trade fair leads"
        assert page.locator("#taskpane").count() == 1
        screenshot(page, "ux-21-outlook-exchange-online")


def test_open_in_sap_lands_on_the_record_in_the_emulated_c4c(new_page, c4c, crm) -> None:
    account = crm.create("CorporateAccountCollection", {"Name": "Fabrikam"}, "seed-1")
    jane = {"FirstName": "Jane", "LastName": "Doe", "AccountID": account["AccountID"],
            "Email": "jane@fabrikam.test"}  # fmt: skip
    contact = crm.create("ContactCollection", jane, "seed-2")
    tenant = Tenant(c4c_base_url=c4c.base_url)
    page = new_page()
    page.goto(presenters.c4c_deep_link(tenant, ItemType.CONTACT, contact["ContactID"]))
    check_accessibility(page, "C4C log-on")
    page.fill("#user", C4C_USER)
    page.fill("#password", C4C_PASSWORD)
    page.click("#c4c-logon")
    assert page.inner_text("#object-title") == "Jane Doe"
    assert account["AccountID"] in page.content() and contact["ContactID"] in page.content()
    check_accessibility(page, "C4C contact")
    screenshot(page, "ux-24-c4c-contact")

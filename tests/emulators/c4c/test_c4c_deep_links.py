"""The emulated C4C answers its web client's deep links: log on, then a page for the object."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

from backend import presenters
from backend.crm.c4c import C4CClient
from backend.models import Tenant
from backend.models.types import ItemType
from emulators.c4c import C4CEmulator
from tests.fixtures.c4c import PASSWORD, USER

DEEP = {
    "bo_ns": "http://sap.com/thingTypes",
    "bo": "COD_GENERIC",
    "node": "Root",
    "operation": "OnExtInspect",
    "sapbyd-agent": "TAB",
}


def logged_on(emulator: C4CEmulator) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{emulator.url}/sap/public/byd/runtime?{urlencode(DEEP)}", timeout=5)
    assert page.status_code == 200 and "Log on" in page.text
    refused = browser.post(f"{emulator.url}/sap/public/byd/runtime/logon",
                           data={"user": USER, "password": "wrong"}, timeout=5)  # fmt: skip
    assert refused.status_code == 401 and "Logon failed" in refused.text
    browser.post(f"{emulator.url}/sap/public/byd/runtime/logon",
                 data={"user": USER, "password": PASSWORD}, timeout=5)  # fmt: skip
    return browser


def test_the_products_deep_link_opens_a_page_for_the_contact(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    account = c4c_client.create("CorporateAccountCollection", {"Name": "Fabrikam"}, "ext-1")
    contact = c4c_client.create(
        "ContactCollection",
        {"FirstName": "Jane", "LastName": "Doe", "AccountID": account["AccountID"],
         "Email": "jane@fabrikam.test"},
        "ext-2",
    )  # fmt: skip
    tenant = Tenant(c4c_base_url=c4c_emulator.base_url)
    link = presenters.c4c_deep_link(tenant, ItemType.CONTACT, contact["ContactID"])
    browser = requests.Session()
    first = browser.get(link, timeout=5)
    assert "Log on" in first.text, "an unknown browser logs on first, as in C4C"
    target = first.text.split('name="target" value="')[1].split('"')[0]
    logon = {"user": USER, "password": PASSWORD, "target": target.replace("&amp;", "&")}
    opened = browser.post(f"{c4c_emulator.url}/sap/public/byd/runtime/logon", data=logon, timeout=5)
    assert opened.status_code == 200
    assert "Jane Doe" in opened.text and "Contact" in opened.text
    assert contact["ContactID"] in opened.text and "jane@fabrikam.test" in opened.text
    account_page = browser.get(
        presenters.c4c_deep_link(tenant, ItemType.ACCOUNT, account["AccountID"]), timeout=5
    )
    assert "Fabrikam" in account_page.text and "Account" in account_page.text


@pytest.mark.parametrize(
    ("changes", "status", "text"),
    [
        ({"operation": "OnInspect"}, 400, "not a valid navigation target"),
        ({"bo": "COD_CONTACT"}, 400, "not a valid navigation target"),
        ({"param.Type": "COD_CONTACT_PERSON_TT"}, 400, "not supported"),
        ({"param.Type": "COD_CONTACT_TT", "param.InternalID": "9999999"}, 404, "does not exist"),
        ({"param.Type": "COD_CONTACT_TT"}, 400, "not supported"),
    ],
)
def test_links_of_another_form_answer_with_c4cs_message(
    c4c_emulator: C4CEmulator, changes, status, text
) -> None:
    browser = logged_on(c4c_emulator)
    query = {**DEEP, **changes}
    answer = browser.get(f"{c4c_emulator.url}/sap/public/byd/runtime?{urlencode(query)}", timeout=5)
    assert answer.status_code == status and text in answer.text


def test_the_object_id_is_not_the_internal_id(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    contact = c4c_client.create("ContactCollection", {"LastName": "Doe"}, "ext-3")
    browser = logged_on(c4c_emulator)
    query = {**DEEP, "param.Type": "COD_CONTACT_TT", "param.InternalID": contact["ObjectID"]}
    answer = browser.get(f"{c4c_emulator.url}/sap/public/byd/runtime?{urlencode(query)}", timeout=5)
    assert answer.status_code == 404

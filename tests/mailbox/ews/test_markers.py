"""Sync markers: categories on the item and "Sync Error" in the master category list."""

from __future__ import annotations

from exchangelib import Contact

from backend.mailbox import category_list
from backend.mailbox.base import AccountRecord
from backend.mailbox.ews.provider import ExchangeProvider
from backend.models.types import ItemType
from emulators.ews import EwsEmulator, Mailbox
from emulators.ews.seed import add_contact, add_message


def _categories(account, item_id: str) -> list[str]:
    return list(
        next(account.fetch(ids=[(item_id, None)], only_fields=["categories"])).categories or []
    )


def test_markers_keep_the_users_categories(
    provider: ExchangeProvider, mailbox: Mailbox, account
) -> None:
    item = add_contact(mailbox, "Ada", "", categories=["Customers", "VIP"])
    provider.set_markers(ItemType.CONTACT, item.id, "Last name missing")
    assert _categories(account, item.id) == [
        "Customers",
        "VIP",
        "Sync Error",
        "Sync Error: Last name missing",
    ]

    provider.set_markers(ItemType.CONTACT, item.id, "Account missing")
    assert _categories(account, item.id) == [
        "Customers",
        "VIP",
        "Sync Error",
        "Sync Error: Account missing",
    ]

    provider.clear_markers(ItemType.CONTACT, item.id)
    assert _categories(account, item.id) == ["Customers", "VIP"]


def test_clearing_the_last_markers_removes_the_field(
    provider: ExchangeProvider, mailbox: Mailbox, ews: EwsEmulator
) -> None:
    item = add_message(mailbox, "Quote", "ada@example.com")
    provider.set_markers(ItemType.EMAIL, item.id, "Sender unknown in C4C")
    ews.log.clear()
    provider.clear_markers(ItemType.EMAIL, item.id)
    assert "Categories" not in mailbox.items[item.id].fields
    assert any(b"DeleteItemField" in e.body for e in ews.log.entries("POST"))
    ews.log.clear()
    provider.clear_markers(ItemType.EMAIL, item.id)
    assert not any(b"UpdateItem" in e.body for e in ews.log.entries("POST"))


def test_markers_survive_a_concurrent_user_edit(
    provider: ExchangeProvider, mailbox: Mailbox, account
) -> None:
    item = add_contact(mailbox, "Ada", "")
    contact = next(account.fetch(ids=[(item.id, None)]))
    provider.set_markers(ItemType.CONTACT, item.id, "Last name missing")
    contact.categories = ["Mine"]
    contact.save(update_fields=["categories"], conflict_resolution="AlwaysOverwrite")
    provider.clear_markers(ItemType.CONTACT, item.id)
    assert _categories(account, item.id) == ["Mine"]


def test_marker_category_is_red_once_per_mailbox(
    make_provider, ews: EwsEmulator, mailbox: Mailbox
) -> None:
    provider = make_provider()
    provider.ensure_marker_definitions()
    provider.ensure_marker_definitions()
    calendar = mailbox.distinguished("calendar")
    stored = mailbox.user_configurations[(calendar.id, "CategoryList")]["XmlData"]
    assert category_list.colours(stored) == {"Sync Error": 0}
    configuration_calls = [e for e in ews.log.entries("POST") if b"UserConfiguration" in e.body]
    assert len(configuration_calls) == 2  # one Get (not found), one Create

    ews.log.clear()
    make_provider().ensure_marker_definitions()
    calls = [e.body for e in ews.log.entries("POST") if b"UserConfiguration" in e.body]
    assert len(calls) == 1 and b"GetUserConfiguration" in calls[0]


def test_existing_category_list_is_fixed_not_replaced(
    make_provider, account, mailbox: Mailbox
) -> None:
    original = (
        b'<?xml version="1.0"?><categories default="" xmlns="CategoryList.xsd">'
        b'<category name="Customers" color="7" guid="{1}"/>'
        b'<category name="Sync Error" color="4" guid="{2}"/>'
        b'<category name="Sync Error: Last name missing" color="3" guid="{3}"/>'
        b"</categories>"
    )
    account.calendar.create_user_configuration(name="CategoryList", xml_data=original)
    make_provider().ensure_marker_definitions()
    stored = account.calendar.get_user_configuration(name="CategoryList").xml_data
    assert category_list.colours(stored) == {
        "Customers": 7,
        "Sync Error": 0,
        "Sync Error: Last name missing": -1,
    }


def test_activate_creates_missing_sap_folders(make_provider, mailbox: Mailbox, account) -> None:
    accounts = mailbox.folder_by_path("Contacts", "SAP Accounts")
    del mailbox.folders[accounts.id]
    provider = make_provider()
    provider.activate()
    assert "SAP Accounts" in [f.name for f in account.contacts.children]
    ref = provider.create(ItemType.ACCOUNT, AccountRecord(name="Northwind"))
    assert isinstance(next(account.fetch(ids=[(ref.id, None)])), Contact)

"""Put items straight into an emulated mailbox (fast, for tests, benchmarks and the demo)."""

from __future__ import annotations

from datetime import datetime, timedelta

from lxml import etree

from emulators.ews.computed import recipient
from emulators.ews.soap import t
from emulators.ews.store import Item, Mailbox, Store, new_id, now


def _text(name: str, value: str) -> etree._Element:
    element = etree.Element(t(name))
    element.text = value
    return element


def _strings(name: str, values: list[str]) -> etree._Element:
    element = etree.Element(t(name))
    for value in values:
        etree.SubElement(element, t("String")).text = value
    return element


def _mailbox(name: str, address: str) -> etree._Element:
    element = etree.Element(t(name))
    box = etree.SubElement(element, t("Mailbox"))
    etree.SubElement(box, t("EmailAddress")).text = address
    return element


def add_contact(
    mailbox: Mailbox,
    given_name: str,
    surname: str,
    email: str | None = None,
    *,
    folder: str = "SAP Contacts",
    categories: list[str] | None = None,
) -> Item:
    """A contact in ``Contacts/<folder>`` with a display name, an e-mail address, categories."""
    fields = {
        "DisplayName": _text("DisplayName", f"{given_name} {surname}".strip()),
        "GivenName": _text("GivenName", given_name),
        "Surname": _text("Surname", surname),
    }
    if email:
        addresses = etree.Element(t("EmailAddresses"))
        etree.SubElement(addresses, t("Entry"), Key="EmailAddress1").text = email
        fields["EmailAddresses"] = addresses
    if categories:
        fields["Categories"] = _strings("Categories", categories)
    target = mailbox.folder_by_path("Contacts", folder)
    return mailbox.add_item("Contact", target.id, fields)


def add_message(
    mailbox: Mailbox,
    subject: str,
    sender: str,
    *,
    folder: tuple[str, ...] = ("Inbox",),
    categories: list[str] | None = None,
    received: datetime | None = None,
) -> Item:
    """A received message from ``sender`` to the mailbox owner."""
    moment = (received or now()).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {
        "Subject": _text("Subject", subject),
        "Body": _text("Body", f"Hello, this is about {subject}."),
        "DateTimeReceived": _text("DateTimeReceived", moment),
        "DateTimeSent": _text("DateTimeSent", moment),
        "From": _mailbox("From", sender),
        "Sender": _mailbox("Sender", sender),
        "ToRecipients": _mailbox("ToRecipients", mailbox.address),
        "InternetMessageId": _text("InternetMessageId", f"<{new_id(b'MSG')[:16]}@example.com>"),
        "IsRead": _text("IsRead", "false"),
    }
    fields["Body"].set("BodyType", "Text")
    if categories:
        fields["Categories"] = _strings("Categories", categories)
    return mailbox.add_item("Message", mailbox.folder_by_path(*folder).id, fields)


def add_task(mailbox: Mailbox, subject: str, *, categories: list[str] | None = None) -> Item:
    """A task in the Tasks folder, due in a week."""
    fields = {
        "Subject": _text("Subject", subject),
        "DueDate": _text("DueDate", (now() + timedelta(days=7)).strftime("%Y-%m-%dT00:00:00Z")),
        "Status": _text("Status", "NotStarted"),
    }
    if categories:
        fields["Categories"] = _strings("Categories", categories)
    return mailbox.add_item("Task", mailbox.distinguished("tasks").id, fields)


def add_meeting(
    mailbox: Mailbox,
    subject: str,
    start: datetime,
    organizer: tuple[str, str],
    *,
    minutes: int = 60,
    categories: list[str] | None = None,
) -> Item:
    """A meeting someone else organises, as Exchange puts an accepted invitation in the calendar.

    Args:
        mailbox: the invited mailbox.
        subject: the meeting's subject.
        start: when it starts (aware).
        organizer: the organiser's (name, address).
        minutes: how long it lasts.
        categories: the owner's categories on it.
    """
    name, address = organizer
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    attendees = etree.Element(t("RequiredAttendees"))
    attendees.append(recipient("Attendee", mailbox.address, mailbox.display_name))
    fields = {
        "Subject": _text("Subject", subject),
        "Start": _text("Start", start.strftime(stamp)),
        "End": _text("End", (start + timedelta(minutes=minutes)).strftime(stamp)),
        "UID": _text("UID", new_id(b"UID")),
        "Organizer": recipient("Organizer", address, name),
        "MyResponseType": _text("MyResponseType", "Accept"),
        "RequiredAttendees": attendees,
    }
    if categories:
        fields["Categories"] = _strings("Categories", categories)
    return mailbox.add_item("CalendarItem", mailbox.distinguished("calendar").id, fields)


def seed_demo(store: Store, address: str = "demo@example.com", password: str = "demo") -> Mailbox:
    """A mailbox with a few SAP contacts, an account, a task and tagged e-mails."""
    mailbox = store.mailboxes.get(address) or store.add_mailbox(address, password)
    add_contact(mailbox, "Ada", "Lovelace", "ada@example.com", categories=["Customers"])
    add_contact(mailbox, "Grace", "", "grace@example.com")
    add_contact(mailbox, "Northwind", "", "info@northwind.example", folder="SAP Accounts")
    add_task(mailbox, "Send the quote to Ada", categories=["SAP"])
    add_message(mailbox, "Quote request", "ada@example.com", categories=["SAP"])
    add_message(mailbox, "Lunch?", "friend@example.org")
    add_message(mailbox, "Contract", "grace@example.com", folder=("SAP Cloud for Customer",))
    return mailbox


def seed_contoso(mailbox: Mailbox) -> None:
    """The mailbox side of the Contoso demo (see ``emulators.c4c.seed.seed_contoso``).

    Synced cleanly: Fabrikam, Jane Doe, a new contact, a task and two e-mails from known
    contacts. Issues: a contact without a last name, an e-mail whose sender C4C does not know,
    and an edit of Northwind Traders, which C4C keeps read-only (after a logged conflict).
    """
    add_contact(mailbox, "Fabrikam", "", None, folder="SAP Accounts")
    add_contact(mailbox, "Northwind Traders", "", "info@northwind.test", folder="SAP Accounts")
    add_contact(mailbox, "Jane", "Doe", "jane@fabrikam.test", categories=["Customers"])
    add_contact(mailbox, "Oscar", "Newman", "oscar@newco.test")
    add_contact(mailbox, "Mia", "", "mia@fabrikam.test", categories=["Follow up"])
    add_task(mailbox, "Send the offer to Fabrikam", categories=["SAP"])
    add_message(mailbox, "Quote request", "jane@fabrikam.test", categories=["SAP"])
    add_message(mailbox, "Partnership idea", "someone@unknown.test", categories=["SAP"])
    add_message(mailbox, "Lunch on Friday?", "friend@example.org")
    add_message(mailbox, "Contract draft", "dan@northwind.test", folder=("SAP Cloud for Customer",))


def seed_fabrikam(mailbox: Mailbox) -> None:
    """A Fabrikam sales person's mailbox: two customers' contacts in "SAP Contacts", one of them
    without a last name (the first sync's issue), and a task."""
    add_contact(mailbox, "Tom", "Tailor", "tom@tailspin.test")
    add_contact(mailbox, "Mia", "", "mia@tailspin.test")
    add_task(mailbox, "Call Tailspin Toys about the renewal", categories=["SAP"])

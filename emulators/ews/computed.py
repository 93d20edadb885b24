"""What Exchange computes rather than stores what a client sent: times, sizes, who organises a
meeting, who a message is displayed to, the conversation a message belongs to, a contact's
"file as" name, and the canonical form of booleans.

Some values depend on who created the item (the organiser of a meeting, the sender of a sent
message): :func:`stamp` writes them when CreateItem saves the item. The others are derived
from the item's own elements each time it is read (:func:`computed_element`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime

from lxml import etree

from emulators.ews.schema import BOOLEAN_FIELDS, COMPUTED_FIELDS, ITEM_CLASSES
from emulators.ews.soap import SoapFault, t
from emulators.ews.store import Item, Mailbox, new_id

BOOLEAN_TEXT = {"true": "true", "1": "true", "false": "false", "0": "false"}
REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg)\s*:\s*)+", re.IGNORECASE)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical(name: str, element: etree._Element) -> None:
    """Write an ``xs:boolean`` element as ``true``/``false`` (Exchange never echoes ``1``/``0``).

    Raises:
        SoapFault: ``ErrorSchemaValidation`` for a value that is not an ``xs:boolean``.
    """
    if name not in BOOLEAN_FIELDS:
        return
    text = (element.text or "").strip()
    if text not in BOOLEAN_TEXT:
        raise SoapFault("ErrorSchemaValidation", f"'{text}' is not a valid value for '{name}'.")
    element.text = BOOLEAN_TEXT[text]


def recipient(tag: str, address: str, name: str | None = None) -> etree._Element:
    """``t:{tag}`` holding one ``t:Mailbox`` as Exchange resolves it (name, SMTP address)."""
    element = etree.Element(t(tag))
    box = etree.SubElement(element, t("Mailbox"))
    etree.SubElement(box, t("Name")).text = name or address
    etree.SubElement(box, t("EmailAddress")).text = address
    etree.SubElement(box, t("RoutingType")).text = "SMTP"
    etree.SubElement(box, t("MailboxType")).text = "Mailbox"
    return element


def _text(name: str, value: str) -> etree._Element:
    element = etree.Element(t(name))
    element.text = value
    return element


def stamp(
    kind: str, fields: dict[str, etree._Element], mailbox: Mailbox, disposition: str | None
) -> None:
    """Set what Exchange sets on CreateItem: a message's Internet id (and, once sent, its
    sender), an appointment's UID, and the mailbox owner as organiser of a new meeting."""
    if kind == "Message":
        if "InternetMessageId" not in fields:
            fields["InternetMessageId"] = _text(
                "InternetMessageId", f"<{new_id(b'MSG')[:20]}@emulator.local>"
            )
        if disposition in ("SendOnly", "SendAndSaveCopy"):
            fields.setdefault("From", recipient("From", mailbox.address, mailbox.display_name))
            fields["Sender"] = recipient("Sender", mailbox.address, mailbox.display_name)
    if kind == "CalendarItem":
        if "UID" not in fields:
            fields["UID"] = _text("UID", new_id(b"UID"))
        fields["Organizer"] = recipient("Organizer", mailbox.address, mailbox.display_name)
        fields["MyResponseType"] = _text("MyResponseType", "Organizer")


def _names(item: Item, container: str) -> str:
    holder = item.fields.get(container)
    if holder is None:
        return ""
    names = []
    for box in holder.iter(t("Mailbox")):
        names.append(box.findtext(t("Name")) or box.findtext(t("EmailAddress")) or "")
    return "; ".join(name for name in names if name)


def _topic(item: Item) -> str:
    return REPLY_PREFIX.sub("", item.texts("Subject")[0] if "Subject" in item.fields else "")


def _file_as(item: Item) -> str:
    given = item.texts("GivenName")[0] if "GivenName" in item.fields else ""
    surname = item.texts("Surname")[0] if "Surname" in item.fields else ""
    if given and surname:
        return f"{surname}, {given}"
    for name in ("DisplayName", "CompanyName"):
        if name in item.fields:
            return item.texts(name)[0]
    return surname or given


def computed(item: Item, name: str) -> str | None:
    """The text of a server-computed element, or ``None`` if the server keeps none."""
    if name == "ItemClass" and "ItemClass" not in item.fields:
        return ITEM_CLASSES[item.kind]
    if name == "DateTimeCreated":
        return iso(item.created)
    if name == "LastModifiedTime":
        return iso(item.modified)
    if name == "Size":
        return str(sum(len(etree.tostring(e)) for e in item.fields.values()))
    if name == "HasAttachments":
        return "false"
    if name in item.fields or name not in COMPUTED_FIELDS[item.kind]:
        return None
    derived = {
        "DateTimeReceived": lambda: iso(item.created),
        "DisplayTo": lambda: _names(item, "ToRecipients"),
        "DisplayCc": lambda: _names(item, "CcRecipients"),
        "ConversationTopic": lambda: _topic(item),
        "IsMeeting": lambda: (
            "true"
            if {"RequiredAttendees", "OptionalAttendees", "Resources"} & set(item.fields)
            else "false"
        ),
        "CalendarItemType": lambda: "RecurringMaster" if "Recurrence" in item.fields else "Single",
        "FileAs": lambda: _file_as(item),
    }
    if name == "ConversationId":
        return conversation_id(item)
    return derived[name]()


def conversation_id(item: Item) -> str:
    """One id per conversation topic of the mailbox, as Exchange groups a thread."""
    digest = hashlib.sha256(_topic(item).strip().lower().encode()).digest()[:16]
    return base64.b64encode(b"CNV" + digest).decode()


def computed_element(item: Item, name: str) -> etree._Element | None:
    """The element a response shows for a server-computed ``name``, or ``None``."""
    value = computed(item, name)
    if value is None:
        return None
    if name == "ConversationId":
        return etree.Element(t(name), Id=value)
    return _text(name, value)

"""Lookups that touch no item: ResolveNames (names to mailboxes of the directory and contacts of
the caller) and ConvertId (an id in another format).

The directory is the emulator's set of mailboxes. ResolveNames matches an entry as Exchange's
ambiguous name resolution does: ``SMTP:address`` exactly, otherwise the start of an address or
of a word of a name, case aside. ConvertId is also what exchangelib sends first to learn the
server's version from the answer's ``ServerVersionInfo`` header, when none is configured.
"""

from __future__ import annotations

import base64
import binascii

from lxml import etree

from emulators.ews.context import Context
from emulators.ews.items import Shape, render
from emulators.ews.soap import EwsError, SoapFault, error, m, success, t
from emulators.ews.store import Item, Mailbox

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI}}}type"
SCOPES = ("ActiveDirectory", "ActiveDirectoryContacts", "Contacts", "ContactsActiveDirectory")
MAX_RESOLUTIONS = 100
ID_FORMATS = ("EwsId", "EwsLegacyId", "EntryId", "HexEntryId", "StoreId")
"""The formats this server converts between (Exchange also has ``OwaId``)."""


def _matches(entry: str, address: str, names: list[str]) -> bool:
    if entry.lower().startswith("smtp:"):
        return address.lower() == entry[5:].strip().lower()
    wanted = entry.strip().lower()
    words = [word for name in names for word in name.lower().split()]
    return address.lower().startswith(wanted) or any(
        word.startswith(wanted) for word in [*words, *(name.lower() for name in names)]
    )


def _mailbox_element(
    name: str, address: str, kind: str, item: Item | None = None
) -> etree._Element:
    element = etree.Element(t("Mailbox"))
    etree.SubElement(element, t("Name")).text = name
    etree.SubElement(element, t("EmailAddress")).text = address
    etree.SubElement(element, t("RoutingType")).text = "SMTP"
    etree.SubElement(element, t("MailboxType")).text = kind
    if item is not None:
        etree.SubElement(element, t("ItemId"), Id=item.id, ChangeKey=item.change_key)
    return element


def _directory_entry(mailbox: Mailbox, full: bool) -> etree._Element:
    resolution = etree.Element(t("Resolution"))
    resolution.append(_mailbox_element(mailbox.display_name, mailbox.address, "Mailbox"))
    if full:
        contact = etree.SubElement(resolution, t("Contact"))
        etree.SubElement(contact, t("DisplayName")).text = mailbox.display_name
        addresses = etree.SubElement(contact, t("EmailAddresses"))
        etree.SubElement(
            addresses, t("Entry"), Key="EmailAddress1"
        ).text = f"SMTP:{mailbox.address}"
        etree.SubElement(contact, t("ContactSource")).text = "ActiveDirectory"
    return resolution


def _contact_entry(item: Item, full: bool) -> etree._Element:
    address = _first_address(item)
    name = item.texts("DisplayName")[0] if "DisplayName" in item.fields else address
    resolution = etree.Element(t("Resolution"))
    resolution.append(_mailbox_element(name, address, "Contact", item))
    if full:
        resolution.append(render(item, Shape("AllProperties"), streamed=False))
    return resolution


def _contacts(ctx: Context, op: etree._Element) -> list[Item]:
    holder = op.find(m("ParentFolderIds"))
    folders = (
        [ctx.folder(element) for element in holder]
        if holder is not None and len(holder)
        else [ctx.mailbox.distinguished("contacts")]
    )
    return [
        item
        for folder in folders
        for item in ctx.mailbox.items_in(folder.id)
        if item.kind == "Contact"
    ]


def resolve_names(ctx: Context, op: etree._Element) -> list[etree._Element]:
    entry = (op.findtext(m("UnresolvedEntry")) or "").strip()
    full_data = op.get("ReturnFullContactData")
    scope = op.get("SearchScope", "ActiveDirectoryContacts")
    if not entry or full_data not in ("true", "false", "1", "0") or scope not in SCOPES:
        raise SoapFault("ErrorSchemaValidation", "The request failed schema validation.")
    full = full_data in ("true", "1")
    try:
        candidates = _contacts(ctx, op) if "Contacts" in scope else []
    except EwsError as failure:
        return [error("ResolveNames", failure)]
    found_contacts = [
        _contact_entry(item, full)
        for item in candidates
        if _first_address(item) and _matches(entry, _first_address(item), _contact_names(item))
    ]
    directory = [
        _directory_entry(mailbox, full)
        for mailbox in ctx.store.mailboxes.values()
        if "ActiveDirectory" in scope
        and _matches(entry, mailbox.address, [mailbox.name] if mailbox.name else [])
    ]
    ordered = (
        directory + found_contacts
        if scope.startswith("ActiveDirectory")
        else found_contacts + directory
    )[:MAX_RESOLUTIONS]
    if not ordered:
        nothing = EwsError("ErrorNameResolutionNoResults", "No results were found.")
        return [error("ResolveNames", nothing)]
    if len(ordered) == 1:
        message = success("ResolveNames")
    else:
        message = etree.Element(m("ResolveNamesResponseMessage"), ResponseClass="Warning")
        etree.SubElement(message, m("MessageText")).text = "Multiple results were found."
        etree.SubElement(message, m("ResponseCode")).text = "ErrorNameResolutionMultipleResults"
        etree.SubElement(message, m("DescriptiveLinkKey")).text = "0"
    resolutions = etree.SubElement(
        message,
        m("ResolutionSet"),
        TotalItemsInView=str(len(ordered)),
        IncludesLastItemInRange="true",
    )
    resolutions.extend(ordered)
    return [message]


def _first_address(item: Item) -> str:
    addresses = item.fields.get("EmailAddresses")
    if addresses is None:
        return ""
    return next((e.text for e in addresses if e.text), "")


def _contact_names(item: Item) -> list[str]:
    return [
        item.texts(name)[0]
        for name in ("DisplayName", "GivenName", "Surname")
        if name in item.fields
    ]


def _raw(value: str, source: str) -> bytes:
    """The bytes an id stands for, read in ``source`` format; ``ErrorInvalidIdMalformed`` unless
    this server issued it."""
    try:
        if source == "HexEntryId":
            raw = bytes.fromhex(value)
        else:
            raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise EwsError("ErrorInvalidIdMalformed", "Id is malformed.") from None
    if raw[:3] not in (b"ITM", b"FLD") or len(raw) != 19:
        raise EwsError("ErrorInvalidIdMalformed", "Id is malformed.")
    return raw


def convert_id(ctx: Context, op: etree._Element) -> list[etree._Element]:
    destination = op.get("DestinationFormat")
    holder = op.find(m("SourceIds"))
    if destination not in (*ID_FORMATS, "OwaId") or holder is None or len(holder) == 0:
        raise SoapFault("ErrorSchemaValidation", "The request failed schema validation.")
    if destination == "OwaId":
        raise SoapFault("ErrorInvalidRequest", "This server does not convert ids to OwaId.")
    if any(source.get("Format") not in (*ID_FORMATS, "OwaId") for source in holder):
        raise SoapFault("ErrorSchemaValidation", "The request failed schema validation.")
    messages = []
    for source in holder:
        try:
            raw = _raw(source.get("Id") or "", source.get("Format") or "")
            mailbox = ctx.store.mailbox(source.get("Mailbox") or "")
        except EwsError as failure:
            messages.append(error("ConvertId", failure))
            continue
        converted = raw.hex().upper() if destination == "HexEntryId" else base64.b64encode(raw)
        message = success("ConvertId")
        etree.SubElement(
            message,
            m("AlternateId"),
            {XSI_TYPE: "t:AlternateIdType"},
            nsmap={"xsi": XSI},
            Format=destination,
            Id=converted if isinstance(converted, str) else converted.decode(),
            Mailbox=mailbox.address,
        )
        messages.append(message)
    return messages

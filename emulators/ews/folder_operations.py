"""Folder and user-configuration operations: GetFolder, FindFolder, CreateFolder and the
Get/Create/UpdateUserConfiguration calls that hold the master category list."""

from __future__ import annotations

import base64

from lxml import etree

from emulators.ews.context import Context, folder_element
from emulators.ews.soap import EwsError, SoapFault, error, m, success, t
from emulators.ews.store import Folder, new_id


def get_folder(ctx: Context, op: etree._Element) -> list[etree._Element]:
    messages = []
    for element in op.find(m("FolderIds")) if op.find(m("FolderIds")) is not None else []:
        try:
            folder = ctx.folder(element)
        except EwsError as failure:
            messages.append(error("GetFolder", failure))
            continue
        message = success("GetFolder")
        etree.SubElement(message, m("Folders")).append(folder_element(folder, ctx.mailbox))
        messages.append(message)
    if not messages:
        raise SoapFault("ErrorSchemaValidation", "The element 'FolderIds' is missing or empty.")
    return messages


def find_folder(ctx: Context, op: etree._Element) -> list[etree._Element]:
    traversal = op.get("Traversal")
    if traversal not in ("Shallow", "Deep", "SoftDeleted"):
        raise SoapFault("ErrorSchemaValidation", "The attribute 'Traversal' is missing or invalid.")
    view = op.find(m("IndexedPageFolderView"))
    offset = int(view.get("Offset", "0")) if view is not None else 0
    limit = int(view.get("MaxEntriesReturned", "1000")) if view is not None else 1000

    def answer(parent: Folder) -> etree._Element:
        found = ctx.mailbox.children(parent.id, deep=traversal == "Deep")
        page = found[offset : offset + limit]
        message = success("FindFolder")
        root = etree.SubElement(
            message,
            m("RootFolder"),
            IndexedPagingOffset=str(offset + len(page)),
            TotalItemsInView=str(len(found)),
            IncludesLastItemInRange="true" if offset + len(page) >= len(found) else "false",
        )
        container = etree.SubElement(root, t("Folders"))
        container.extend(folder_element(folder, ctx.mailbox) for folder in page)
        return message

    return ctx.per_folder(op.find(m("ParentFolderIds")), "FindFolder", answer)


def create_folder(ctx: Context, op: etree._Element) -> list[etree._Element]:
    parent_holder = op.find(m("ParentFolderId"))
    if parent_holder is None or len(parent_holder) != 1:
        raise SoapFault("ErrorSchemaValidation", "The element 'ParentFolderId' is missing.")
    folders = op.find(m("Folders"))
    if folders is None or len(folders) == 0:
        raise SoapFault("ErrorSchemaValidation", "The element 'Folders' is missing or empty.")
    try:
        parent = ctx.folder(parent_holder[0])
    except EwsError as failure:
        return [error("CreateFolder", failure) for _ in folders]
    messages = []
    for element in folders:
        name = element.findtext(t("DisplayName"))
        folder_class = element.findtext(t("FolderClass")) or {
            "ContactsFolder": "IPF.Contact",
            "CalendarFolder": "IPF.Appointment",
            "TasksFolder": "IPF.Task",
        }.get(etree.QName(element).localname, "IPF.Note")
        if not name:
            messages.append(
                error("CreateFolder", EwsError("ErrorInvalidFolderId", "DisplayName is required."))
            )
            continue
        try:
            folder = ctx.mailbox.add_folder(name, folder_class, parent.id)
        except EwsError as failure:
            messages.append(error("CreateFolder", failure))
            continue
        message = success("CreateFolder")
        created = etree.SubElement(etree.SubElement(message, m("Folders")), element.tag)
        etree.SubElement(created, t("FolderId"), Id=folder.id, ChangeKey=folder.change_key)
        messages.append(message)
    return messages


def _configuration_key(ctx: Context, name_element: etree._Element | None) -> tuple[str, str]:
    if name_element is None or not name_element.get("Name") or len(name_element) != 1:
        raise SoapFault(
            "ErrorSchemaValidation", "'UserConfigurationName' needs a Name and a folder."
        )
    return ctx.folder(name_element[0]).id, name_element.get("Name") or ""


def get_user_configuration(ctx: Context, op: etree._Element) -> list[etree._Element]:
    try:
        key = _configuration_key(ctx, op.find(m("UserConfigurationName")))
        stored = ctx.mailbox.user_configurations.get(key)
        if stored is None:
            raise EwsError("ErrorItemNotFound", "The specified object was not found in the store.")
    except EwsError as failure:
        return [error("GetUserConfiguration", failure)]
    wanted = op.findtext(m("UserConfigurationProperties")) or "All"
    message = success("GetUserConfiguration")
    config = etree.SubElement(message, m("UserConfiguration"))
    name = etree.SubElement(config, t("UserConfigurationName"), Name=key[1])
    etree.SubElement(name, t("FolderId"), Id=key[0], ChangeKey="AQAAAA==")
    if wanted in ("All", "Id"):
        etree.SubElement(config, t("ItemId"), Id=str(stored["id"]), ChangeKey="AQAAAA==")
    for part in ("Dictionary", "XmlData", "BinaryData"):
        if wanted in ("All", part) and part in stored:
            value = stored[part]
            assert isinstance(value, bytes)
            etree.SubElement(config, t(part)).text = base64.b64encode(value).decode()
    return [message]


def _store_configuration(ctx: Context, op: etree._Element, *, create: bool) -> None:
    config = op.find(m("UserConfiguration"))
    if config is None:
        raise SoapFault("ErrorSchemaValidation", "The element 'UserConfiguration' is missing.")
    key = _configuration_key(ctx, config.find(t("UserConfigurationName")))
    existing = ctx.mailbox.user_configurations.get(key)
    if create and existing is not None:
        raise EwsError("ErrorItemSave", "The user configuration object already exists.")
    if not create and existing is None:
        raise EwsError("ErrorItemNotFound", "The specified object was not found in the store.")
    stored: dict[str, bytes | str] = dict(existing or {"id": new_id(b"CFG")})
    for part in ("XmlData", "BinaryData"):
        text = config.findtext(t(part))
        if text is not None:
            stored[part] = base64.b64decode(text)
    ctx.mailbox.user_configurations[key] = stored


def create_user_configuration(ctx: Context, op: etree._Element) -> list[etree._Element]:
    try:
        _store_configuration(ctx, op, create=True)
    except EwsError as failure:
        return [error("CreateUserConfiguration", failure)]
    return [success("CreateUserConfiguration")]


def update_user_configuration(ctx: Context, op: etree._Element) -> list[etree._Element]:
    try:
        _store_configuration(ctx, op, create=False)
    except EwsError as failure:
        return [error("UpdateUserConfiguration", failure)]
    return [success("UpdateUserConfiguration")]

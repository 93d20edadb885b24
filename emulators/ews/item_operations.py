"""Item operations: FindItem, GetItem, CreateItem, UpdateItem, DeleteItem and SyncFolderItems."""

from __future__ import annotations

from lxml import etree

from emulators.ews.computed import stamp
from emulators.ews.context import Context
from emulators.ews.items import (
    Shape,
    apply_update,
    fields_from_xml,
    local,
    matches,
    parse_time,
    render,
)
from emulators.ews.schema import ITEM_CLASSES
from emulators.ews.soap import EwsError, SoapFault, error, m, success, t
from emulators.ews.store import DELETE, Folder, Item

MAX_SYNC_CHANGES = 512
FIND_LIMIT = 1000


def _ids(op: etree._Element, container: str) -> list[etree._Element]:
    holder = op.find(m(container))
    if holder is None or len(holder) == 0:
        raise SoapFault("ErrorSchemaValidation", f"The element '{container}' is missing or empty.")
    return list(holder)


def find_item(ctx: Context, op: etree._Element) -> list[etree._Element]:
    if op.get("Traversal") not in ("Shallow", "SoftDeleted", "Associated"):
        raise SoapFault("ErrorSchemaValidation", "The attribute 'Traversal' is missing or invalid.")
    shape = Shape.from_xml(op.find(m("ItemShape")))
    restriction = op.find(m("Restriction"))

    def answer(folder: Folder) -> etree._Element:
        found = ctx.mailbox.items_in(folder.id)
        if restriction is not None and len(restriction):
            found = [item for item in found if matches(item, restriction[0])]
        order = op.find(f"{m('SortOrder')}/{t('FieldOrder')}")
        if order is not None:
            name = (order[0].get("FieldURI") or "").split(":")[-1]
            found.sort(
                key=lambda item: item.texts(name), reverse=order.get("Order") == "Descending"
            )
        message = success("FindItem")
        attributes, page = _page(op, found)
        root = etree.SubElement(message, m("RootFolder"), attributes)
        container = etree.SubElement(root, t("Items"))
        container.extend(render(item, shape, streamed=False) for item in page)
        return message

    return ctx.per_folder(op.find(m("ParentFolderIds")), "FindItem", answer)


def _page(op: etree._Element, found: list[Item]) -> tuple[dict[str, str], list[Item]]:
    calendar = op.find(m("CalendarView"))
    if calendar is not None:
        start, end = (
            parse_time(calendar.get("StartDate", "")),
            parse_time(calendar.get("EndDate", "")),
        )
        found = [
            item
            for item in found
            if item.kind == "CalendarItem"
            and parse_time(item.texts("Start")[0]) < end
            and parse_time(item.texts("End")[0]) > start
        ]
        found.sort(key=lambda item: parse_time(item.texts("Start")[0]))
        limit = int(calendar.get("MaxEntriesReturned", str(FIND_LIMIT)))
        page = found[:limit]
        last = "true" if len(page) == len(found) else "false"
        return {"TotalItemsInView": str(len(found)), "IncludesLastItemInRange": last}, page
    view = op.find(m("IndexedPageItemView"))
    offset = int(view.get("Offset", "0")) if view is not None else 0
    limit = (
        min(int(view.get("MaxEntriesReturned", str(FIND_LIMIT))), FIND_LIMIT)
        if view is not None
        else FIND_LIMIT
    )
    if view is not None and view.get("BasePoint") == "End":
        found = list(reversed(found))
    page = found[offset : offset + limit]
    last = "true" if offset + len(page) >= len(found) else "false"
    return {
        "IndexedPagingOffset": str(offset + len(page)),
        "TotalItemsInView": str(len(found)),
        "IncludesLastItemInRange": last,
    }, page


def get_item(ctx: Context, op: etree._Element) -> list[etree._Element]:
    shape = Shape.from_xml(op.find(m("ItemShape")))
    messages = []
    for element in _ids(op, "ItemIds"):
        try:
            item = ctx.mailbox.item(element.get("Id") or "")
        except EwsError as failure:
            messages.append(error("GetItem", failure))
            continue
        message = success("GetItem")
        etree.SubElement(message, m("Items")).append(render(item, shape))
        messages.append(message)
    return messages


def create_item(ctx: Context, op: etree._Element) -> list[etree._Element]:
    saved = op.find(m("SavedItemFolderId"))
    elements = _ids(op, "Items")
    try:
        target = ctx.folder(saved[0]) if saved is not None and len(saved) else None
    except EwsError as failure:
        # Nothing can be saved in a folder that is not there: every item fails alike.
        return [error("CreateItem", failure) for _ in elements]
    messages = []
    for element in elements:
        kind = local(element)
        try:
            if kind not in ITEM_CLASSES:
                raise SoapFault("ErrorSchemaValidation", f"'{kind}' is not a valid item.")
            fields = fields_from_xml(kind, element)
            folder = target or ctx.mailbox.distinguished(_default_folder(kind, op))
            if kind == "CalendarItem" and op.get("SendMeetingInvitations") is None:
                raise EwsError(
                    "ErrorSendMeetingInvitationsRequired",
                    "The SendMeetingInvitations attribute is required for calendar items.",
                )
            if kind == "Message" and op.get("MessageDisposition") is None:
                raise EwsError(
                    "ErrorMessageDispositionRequired",
                    "MessageDisposition attribute is required.",
                )
            stamp(kind, fields, ctx.mailbox, op.get("MessageDisposition"))
            item = ctx.mailbox.add_item(kind, folder.id, fields)
            invitations = op.get("SendMeetingInvitations", "SendToNone")
            if kind == "CalendarItem" and invitations != "SendToNone":
                ctx.mailbox.invitations_sent.append(item.id)
        except EwsError as failure:
            messages.append(error("CreateItem", failure))
            continue
        message = success("CreateItem")
        created = etree.SubElement(etree.SubElement(message, m("Items")), t(kind))
        etree.SubElement(created, t("ItemId"), Id=item.id, ChangeKey=item.change_key)
        messages.append(message)
    return messages


def _default_folder(kind: str, op: etree._Element) -> str:
    if kind == "Message":
        return "sentitems" if op.get("MessageDisposition") == "SendAndSaveCopy" else "drafts"
    return {"CalendarItem": "calendar", "Contact": "contacts", "Task": "tasks"}[kind]


def update_item(ctx: Context, op: etree._Element) -> list[etree._Element]:
    resolution = op.get("ConflictResolution")
    if resolution not in ("NeverOverwrite", "AutoResolve", "AlwaysOverwrite"):
        raise SoapFault("ErrorSchemaValidation", "The attribute 'ConflictResolution' is invalid.")
    messages = []
    for change in _ids(op, "ItemChanges"):
        try:
            item_id = change.find(t("ItemId"))
            if item_id is None:
                raise SoapFault("ErrorSchemaValidation", "ItemChange needs an ItemId.")
            item = ctx.mailbox.item(item_id.get("Id") or "")
            key = item_id.get("ChangeKey")
            if key and key != item.change_key and resolution != "AlwaysOverwrite":
                raise EwsError(
                    "ErrorIrresolvableConflict",
                    "The send or update operation could not be performed because the change key "
                    "passed in the request does not match the current change key for the item.",
                )
            if (
                item.kind == "CalendarItem"
                and op.get("SendMeetingInvitationsOrCancellations") is None
            ):
                raise EwsError(
                    "ErrorSendMeetingInvitationsOrCancellationsRequired",
                    "SendMeetingInvitationsOrCancellations is required for calendar items.",
                )
            updates = change.find(t("Updates"))
            if updates is None or len(updates) == 0:
                raise EwsError("ErrorIncorrectUpdatePropertyCount", "No updates were given.")
            original = {name: element for name, element in item.fields.items()}
            try:
                for update in updates:
                    apply_update(item, update)
            except EwsError:
                item.fields = original
                raise
            ctx.mailbox.changed(item)
        except EwsError as failure:
            messages.append(error("UpdateItem", failure))
            continue
        message = success("UpdateItem")
        updated = etree.SubElement(etree.SubElement(message, m("Items")), t(item.kind))
        etree.SubElement(updated, t("ItemId"), Id=item.id, ChangeKey=item.change_key)
        conflicts = etree.SubElement(message, m("ConflictResults"))
        etree.SubElement(conflicts, t("Count")).text = "0"
        messages.append(message)
    return messages


def delete_item(ctx: Context, op: etree._Element) -> list[etree._Element]:
    delete_type = op.get("DeleteType")
    if delete_type not in ("HardDelete", "SoftDelete", "MoveToDeletedItems"):
        raise SoapFault("ErrorSchemaValidation", "The attribute 'DeleteType' is invalid.")
    cancellations = op.get("SendMeetingCancellations")
    messages = []
    for element in _ids(op, "ItemIds"):
        try:
            item = ctx.mailbox.item(element.get("Id") or "")
            if item.kind == "CalendarItem":
                if cancellations is None:
                    raise EwsError(
                        "ErrorSendMeetingCancellationsRequired",
                        "SendMeetingCancellations is required for calendar items.",
                    )
                if cancellations != "SendToNone" and "RequiredAttendees" in item.fields:
                    ctx.mailbox.cancellations_sent.append(item.id)
            trash = ctx.mailbox.distinguished("deleteditems")
            if delete_type == "MoveToDeletedItems" and item.folder_id != trash.id:
                ctx.mailbox.move_item(item, trash.id)
            else:
                ctx.mailbox.remove_item(item)
        except EwsError as failure:
            messages.append(error("DeleteItem", failure))
            continue
        messages.append(success("DeleteItem"))
    return messages


def sync_folder_items(ctx: Context, op: etree._Element) -> list[etree._Element]:
    shape = Shape.from_xml(op.find(m("ItemShape")))
    holder = op.find(m("SyncFolderId"))
    if holder is None or len(holder) != 1:
        raise SoapFault("ErrorSchemaValidation", "The element 'SyncFolderId' is missing.")
    limit = int(op.findtext(m("MaxChangesReturned")) or "0")
    if not 1 <= limit <= MAX_SYNC_CHANGES:
        raise SoapFault("ErrorSchemaValidation", "MaxChangesReturned must be between 1 and 512.")
    try:
        folder = ctx.folder(holder[0])
    except EwsError as failure:
        return [_sync_error(failure)]
    state = op.findtext(m("SyncState"))
    log = ctx.mailbox.change_log[folder.id]
    try:
        start = ctx.store.sync_states.decode(state, folder) if state else 0
        if start > (log[-1][0] if log else 0):
            raise EwsError("ErrorInvalidSyncStateData", "Synchronization state data is corrupt.")
    except EwsError as failure:
        return [_sync_error(failure)]
    window: dict[str, tuple[bool, bool]] = {}
    end = start
    existed = _existence(log, start)
    for seq, item_id, kind in log:
        if seq <= start:
            continue
        if item_id not in window and len(window) >= limit:
            break
        before, _after = window.get(item_id, (existed.get(item_id, False), False))
        window[item_id] = (before, kind != DELETE)
        end = seq
    message = success("SyncFolderItems")
    etree.SubElement(message, m("SyncState")).text = ctx.store.sync_states.encode(folder, end)
    last = "true" if not log or end == log[-1][0] else "false"
    etree.SubElement(message, m("IncludesLastItemInRange")).text = last
    changes = etree.SubElement(message, m("Changes"))
    for item_id, (before, after) in window.items():
        current = ctx.mailbox.items.get(item_id)
        if after and current is not None and current.folder_id == folder.id:
            change = etree.SubElement(changes, t("Update" if before else "Create"))
            change.append(render(current, shape, streamed=False))
        elif before and not after:
            etree.SubElement(etree.SubElement(changes, t("Delete")), t("ItemId"), Id=item_id)
    return [message]


def _existence(log: list[tuple[int, str, str]], position: int) -> dict[str, bool]:
    """Which items existed in the folder at change-log ``position``."""
    existed: dict[str, bool] = {}
    for seq, item_id, kind in log:
        if seq > position:
            break
        existed[item_id] = kind != DELETE
    return existed


def _sync_error(failure: EwsError) -> etree._Element:
    """An error message that, like Exchange's, still carries an empty state and the range flag."""
    message = error("SyncFolderItems", failure)
    etree.SubElement(message, m("SyncState"))
    etree.SubElement(message, m("IncludesLastItemInRange")).text = "true"
    return message

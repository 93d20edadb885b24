"""One request's view of the server: the mailbox it acts on and how ids in it resolve."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from emulators.ews.soap import EwsError, SoapFault, error, t
from emulators.ews.store import Folder, Mailbox, Store


@dataclass
class Context:
    store: Store
    mailbox: Mailbox

    def folder(self, element: etree._Element) -> Folder:
        """Resolve a ``t:FolderId`` or ``t:DistinguishedFolderId`` in this request's mailbox."""
        name = etree.QName(element).localname
        if name == "FolderId":
            return self.mailbox.folder(element.get("Id") or "")
        if name == "DistinguishedFolderId":
            address = element.findtext(f"{t('Mailbox')}/{t('EmailAddress')}")
            if address and address.lower() != self.mailbox.address:
                self.store.mailbox(address)
                raise EwsError(
                    "ErrorAccessDenied", "Access is denied. Check credentials and try again."
                )
            return self.mailbox.distinguished(element.get("Id") or "")
        raise SoapFault("ErrorSchemaValidation", f"'{name}' is not a folder id.")

    def per_folder(
        self,
        container: etree._Element | None,
        operation: str,
        answer: Callable[[Folder], etree._Element],
    ) -> list[etree._Element]:
        """One response message per folder id of a ``ParentFolderIds``-like container:
        ``answer(folder)``, or the operation's error message for an id that resolves to none."""
        if container is None or len(container) == 0:
            raise SoapFault("ErrorSchemaValidation", "A folder id is required.")
        messages = []
        for element in container:
            try:
                folder = self.folder(element)
            except EwsError as failure:
                messages.append(error(operation, failure))
                continue
            messages.append(answer(folder))
        return messages


def folder_element(folder: Folder, mailbox: Mailbox) -> etree._Element:
    """``t:Folder`` (or ContactsFolder, CalendarFolder, TasksFolder) as GetFolder returns it."""
    kind = {
        "IPF.Contact": "ContactsFolder",
        "IPF.Appointment": "CalendarFolder",
        "IPF.Task": "TasksFolder",
    }.get(folder.folder_class or "", "Folder")
    element = etree.Element(t(kind))
    etree.SubElement(element, t("FolderId"), Id=folder.id, ChangeKey=folder.change_key)
    if folder.parent_id:
        etree.SubElement(element, t("ParentFolderId"), Id=folder.parent_id, ChangeKey="AQAAAA==")
    if folder.folder_class:
        etree.SubElement(element, t("FolderClass")).text = folder.folder_class
    etree.SubElement(element, t("DisplayName")).text = folder.display_name
    etree.SubElement(element, t("TotalCount")).text = str(len(mailbox.items_in(folder.id)))
    etree.SubElement(element, t("ChildFolderCount")).text = str(len(mailbox.children(folder.id)))
    if kind == "Folder":
        etree.SubElement(element, t("UnreadCount")).text = "0"
    return element

"""Contacts and accounts through the People API: the people in the contact groups
"SAP Contacts" and "SAP Accounts".

A failing one is also put in the group "SAP Sync Error". The cursor is the People sync token;
an expired one gives a full read. Writes carry the person's etag, so an edit made meanwhile is
refused as a conflict.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from googleapiclient.errors import HttpError

from backend.mailbox import cursors
from backend.mailbox.base import (
    AccountRecord,
    Changes,
    ContactRecord,
    ItemRecord,
    ItemRef,
    UnsupportedOperation,
    follow_folder,
)
from backend.mailbox.gmail import records as google_records
from backend.mailbox.gmail.clients import GoogleClients
from backend.mailbox.gmail.part import ApiPart
from backend.models.types import ItemType

BATCH_GET = 200
"""People one ``people:batchGet`` reads (the API's most)."""
GROUPS = {ItemType.CONTACT: "SAP Contacts", ItemType.ACCOUNT: "SAP Accounts"}
ERROR_GROUP = "SAP Sync Error"
PEOPLE_FIELDS = {
    ItemType.CONTACT: google_records.CONTACT_FIELDS,
    ItemType.ACCOUNT: google_records.ACCOUNT_FIELDS,
}


class PeopleContacts(ApiPart):
    """The mailbox's contacts and accounts: contact groups and their people."""

    _groups: dict[str, str] | None = None
    _sync_token: str = ""

    def __init__(self, clients: GoogleClients) -> None:
        super().__init__(clients)
        self._kept: dict[ItemType, str] = {}
        """Each item type's group as this run found it (followed when the user renamed it)."""

    def activate(self) -> None:
        for name in (*GROUPS.values(), ERROR_GROUP):
            self._group(name)

    def _listed(self) -> dict[str, str]:
        """The mailbox's contact groups, name to resource name (listed once)."""
        if self._groups is None:
            listed = self._clients.run(self._clients.api.contact_groups.list())
            found = listed.get("contactGroups", [])
            self._groups = {group["name"]: group["resourceName"] for group in found}
        return self._groups

    def _group(self, name: str) -> str:
        """The resource name of contact group ``name``, created when missing."""
        groups = self._listed()
        if name not in groups:
            body = {"contactGroup": {"name": name}}
            groups[name] = self._clients.run(self._clients.api.contact_groups.create(body=body))[
                "resourceName"
            ]
        return groups[name]

    # -- reading ------------------------------------------------------------------------------

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        """The people of the item type's group changed since the cursor's sync token (everyone
        when there is none, or it expired). The delta is read first: when nobody changed, the
        groups are not listed, and the group is the one the cursor kept while it was looked up
        lately (:data:`~backend.mailbox.cursors.FOLDER_CHECK_SECONDS`)."""
        kept, token = cursors.unpack_with(cursor, "token")
        trusted = cursors.trusted_folder(kept, item_type.value)
        people, lost = None, False
        if token:
            try:
                people = list(self._connections(item_type, token))
            except HttpError as error:
                if error.resp.status != 400:
                    raise
                lost = True  # the sync token expired
        if people == [] and trusted and self._groups is None:
            self._kept[item_type] = trusted[0]
            next_token = self._sync_token
            next_cursor = cursors.trusted_cursor(kept, item_type.value, trusted, token=next_token)
            return Changes(item_type, (), (), next_cursor, False)
        group = self._kept_group(item_type, cursors.kept_folder(kept, item_type.value))
        if people is not None and not self._put_back(item_type.value):
            return self._delta(item_type, group, people)
        everyone = list(self._connections(item_type, None))
        chosen = tuple(
            _record(item_type, person) for person in everyone if group in _groups_of(person)
        )
        return Changes(
            item_type, chosen, (), self._cursor(item_type, group), True, cursor_lost=lost
        )

    def _kept_group(self, item_type: ItemType, known: tuple[str | None, str | None]) -> str:
        """The item type's group, followed when the user renamed it, put back when they
        deleted it (:func:`follow_folder`)."""
        name = GROUPS[item_type]
        group, change = follow_folder(name, self._listed(), known, lambda: self._group(name))
        self._note(item_type.value, change)
        self._kept[item_type] = group
        return group

    def _cursor(self, item_type: ItemType, group: str) -> str:
        names = {resource: name for name, resource in (self._groups or {}).items()}
        kept = cursors.keep_checked_folder(item_type.value, group, names.get(group, ""))
        return cursors.pack_cursor({"token": self._sync_token, **kept})

    def _delta(self, item_type: ItemType, group: str, people: list[dict]) -> Changes:
        upserted, deleted, deselected = [], [], []
        for person in people:
            if person.get("metadata", {}).get("deleted"):
                deleted.append(person["resourceName"])
            elif group in _groups_of(person):
                upserted.append(_record(item_type, person))
            else:
                deselected.append(person["resourceName"])
        cursor = self._cursor(item_type, group)
        return Changes(item_type, tuple(upserted), tuple(deleted), cursor, False, tuple(deselected))

    def _connections(self, item_type: ItemType, sync_token: str | None) -> Iterator[dict]:
        """Every connection (or every one changed since ``sync_token``); keeps the next token
        in ``self._sync_token``."""
        fields = ",".join((*PEOPLE_FIELDS[item_type], "memberships", "metadata"))
        connections = self._clients.api.connections
        params: dict[str, Any] = {"resourceName": "people/me", "personFields": fields,
                                  "pageSize": 1000, "requestSyncToken": True}  # fmt: skip
        if sync_token:
            params["syncToken"] = sync_token
        request = connections.list(**params)
        while request is not None:
            answer = self._clients.run(request)
            yield from answer.get("connections", [])
            self._sync_token = answer.get("nextSyncToken", "")
            request = connections.list_next(request, answer)

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        fields = ",".join((*PEOPLE_FIELDS[item_type], "metadata"))
        people = self._clients.api.persons
        return _record(
            item_type, self._clients.run(people.get(resourceName=item_id, personFields=fields))
        )

    def get_many(self, item_type: ItemType, item_ids: Sequence[str]) -> dict[str, ItemRecord]:
        """The people in ``people:batchGet`` requests of ``BATCH_GET``; one gone is left out."""
        fields = ",".join((*PEOPLE_FIELDS[item_type], "metadata"))
        people = self._clients.api.persons
        found: dict[str, ItemRecord] = {}
        for start in range(0, len(item_ids), BATCH_GET):
            chunk = list(item_ids[start : start + BATCH_GET])
            read = self._clients.run(people.getBatchGet(resourceNames=chunk, personFields=fields))
            for answer in read.get("responses", []):
                if "person" in answer and not answer.get("status", {}).get("code"):
                    found[answer["requestedResourceName"]] = _record(item_type, answer["person"])
        return found

    # -- writing ------------------------------------------------------------------------------

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        """Create the person in the item type's group."""
        person = _person(item_type, record)
        group = self._kept.get(item_type) or self._group(GROUPS[item_type])
        body = {**person, "memberships": [
            {"contactGroupMembership": {"contactGroupResourceName": group}}
        ]}  # fmt: skip
        fields = ",".join(PEOPLE_FIELDS[item_type])
        created = self._clients.api.persons.createContact(body=body, personFields=fields)
        answer = self._clients.run(created)
        return ItemRef(answer["resourceName"], answer["etag"])

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        """Write the mapped fields with the etag ``change_key``; Google refuses a stale one
        (400 ``failedPrecondition``, a conflict)."""
        fields = ",".join(PEOPLE_FIELDS[item_type])
        body = {**_person(item_type, record), "etag": change_key}
        person = self._clients.run(
            self._clients.api.persons.updateContact(
                resourceName=record.id, updatePersonFields=fields, personFields=fields, body=body
            )
        )
        return ItemRef(person["resourceName"], person["etag"])

    def delete(self, item_type: ItemType, item_id: str) -> None:
        self._clients.run(self._clients.api.persons.deleteContact(resourceName=item_id))

    def set_markers(self, item_type: ItemType, item_id: str) -> None:
        """The group "SAP Sync Error" (Google has no place for the detail words)."""
        self._regroup(item_id, "resourceNamesToAdd")

    def clear_markers(self, item_type: ItemType, item_id: str) -> None:
        self._regroup(item_id, "resourceNamesToRemove")

    def _regroup(self, item_id: str, change: str) -> None:
        members = self._clients.api.group_members
        group = self._group(ERROR_GROUP)
        self._clients.run(members.modify(resourceName=group, body={change: [item_id]}))


def _groups_of(person: dict[str, Any]) -> set[str]:
    return {
        m["contactGroupMembership"].get("contactGroupResourceName", "")
        for m in person.get("memberships", [])
        if "contactGroupMembership" in m
    }


def _record(item_type: ItemType, person: dict[str, Any]) -> ItemRecord:
    if item_type is ItemType.ACCOUNT:
        return google_records.account_record(person)
    return google_records.contact_record(person)


def _person(item_type: ItemType, record: ItemRecord) -> dict[str, Any]:
    if isinstance(record, AccountRecord):
        return google_records.account_person(record)
    if isinstance(record, ContactRecord):
        return google_records.contact_person(record)
    raise UnsupportedOperation(f"{item_type.value} items are not people in Gmail")

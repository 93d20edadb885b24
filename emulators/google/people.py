"""The People API v1: a user's contacts and contact groups (``/v1/people...``,
``/v1/contactGroups...``).

Contacts are created, read, updated (with the person's ``etag``: a stale one is refused as
Google refuses it) and deleted; ``people/me/connections`` lists them, and with
``requestSyncToken`` hands out a token that lists only what changed since (deleted contacts
with ``metadata.deleted``). Tokens can be expired by the test (:meth:`PeopleStore.expire`).
Groups are created and listed, and members added or removed. ``people:batchGet`` reads up to
200 people in one request, each answered in its own ``PersonResponse`` (one gone with its
status). Answers follow the discovery document's ``Person``, ``ListConnectionsResponse``,
``GetPeopleResponse`` and ``ContactGroup`` schemas.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulators.base import ServerClock
from emulators.google.changes import ChangeLog
from emulators.google.errors import GoogleError, invalid, not_found
from emulators.google.params import bounded_int, json_body, page_start

FIELDS = ("names", "emailAddresses", "phoneNumbers", "organizations", "addresses", "urls",
          "memberships", "metadata")  # fmt: skip
UPDATABLE = FIELDS[:-1]
"""What ``updatePersonFields`` may name (the metadata is the server's)."""
MAX_BATCH_GET = 200
"""Resource names one ``people:batchGet`` may ask for."""
RPC_CODES = {"NOT_FOUND": 5}
"""The ``google.rpc.Code`` of a failure a batch read answers per person."""
SYSTEM_GROUPS = {"myContacts": "My Contacts", "starred": "Starred"}
STALE_ETAG = (
    "Request person.etag is different than the current person.etag. Clear local cache and get "
    "the latest person and then try again with the new etag."
)
EXPIRED_TOKEN = "Sync token is expired. Clear local cache and retry call without the sync token."


@dataclass
class Contact:
    id: str
    fields: dict[str, list[dict[str, Any]]]
    groups: list[str]
    version: int = 1
    deleted: bool = False
    change: int = 0
    updated: str = ""

    @property
    def resource_name(self) -> str:
        return f"people/{self.id}"

    @property
    def etag(self) -> str:
        return "%" + base64.b64encode(f"{self.id}:{self.version}".encode()).decode()


@dataclass
class ContactGroup:
    id: str
    name: str
    system: bool = False

    @property
    def resource_name(self) -> str:
        return f"contactGroups/{self.id}"


@dataclass
class PeopleStore:
    contacts: dict[str, Contact] = field(default_factory=dict)
    groups: dict[str, ContactGroup] = field(default_factory=dict)
    clock: ServerClock = field(default_factory=lambda: ServerClock(whole_seconds=False))

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.changes = ChangeLog(
            GoogleError(400, "failedPrecondition", EXPIRED_TOKEN, "FAILED_PRECONDITION")
        )
        for group_id, name in SYSTEM_GROUPS.items():
            self.groups[group_id] = ContactGroup(group_id, name, system=True)

    def expire(self) -> None:
        """Sync tokens handed out so far are refused from now on (400)."""
        self.changes.expire()

    def contact(self, resource_name: str) -> Contact:
        found = self.contacts.get(resource_name.removeprefix("people/"))
        if found is None or found.deleted:
            raise not_found()
        return found

    def group(self, resource_name: str) -> ContactGroup:
        found = self.groups.get(resource_name.removeprefix("contactGroups/"))
        if found is None:
            raise not_found()
        return found

    def create(self, body: dict[str, Any]) -> Contact:
        contact = Contact(f"c{secrets.randbits(60)}", {}, ["myContacts"])
        self._write(contact, body, UPDATABLE)
        self.contacts[contact.id] = contact
        return contact

    def update(self, resource_name: str, body: dict[str, Any], fields: list[str]) -> Contact:
        contact = self.contact(resource_name)
        if body.get("etag") != contact.etag:
            raise GoogleError(400, "failedPrecondition", STALE_ETAG, "FAILED_PRECONDITION")
        self._write(contact, body, fields)
        return contact

    def delete(self, resource_name: str) -> None:
        contact = self.contact(resource_name)
        contact.deleted = True
        self._touch(contact)

    def modify_members(self, group: ContactGroup, add: list[str], remove: list[str]) -> list[str]:
        """Add and remove members; the resource names that name no contact."""
        missing = []
        for name, adding in [(n, True) for n in add] + [(n, False) for n in remove]:
            contact = self.contacts.get(name.removeprefix("people/"))
            if contact is None or contact.deleted:
                missing.append(name)
                continue
            if adding and group.id not in contact.groups:
                contact.groups.append(group.id)
            elif not adding and group.id in contact.groups:
                contact.groups.remove(group.id)
            else:
                continue
            self._touch(contact)
        return missing

    def _write(self, contact: Contact, body: dict[str, Any], fields: list[str] | tuple[str, ...]):
        for name in fields:
            if name not in UPDATABLE:
                raise invalid(f'Invalid updatePersonFields mask path: "{name}".')
            values = body.get(name) or []
            if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
                raise invalid(f"Invalid value at 'person.{name}'")
            if name == "memberships":
                contact.groups = [_group_id(v) for v in values] or ["myContacts"]
                if any(group not in self.groups for group in contact.groups):
                    raise invalid("Invalid contact group in memberships")
            else:
                contact.fields[name] = [_plain(v) for v in values]
        self._touch(contact)

    def _touch(self, contact: Contact) -> None:
        contact.version += 1
        contact.change = self.changes.next()
        contact.updated = self.clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _group_id(membership: dict[str, Any]) -> str:
    inner = membership.get("contactGroupMembership") or {}
    name = inner.get("contactGroupResourceName") or inner.get("contactGroupId") or ""
    return str(name).removeprefix("contactGroups/")


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """What a person's field keeps of what was sent (metadata is the server's)."""
    return {k: v for k, v in value.items() if k != "metadata" and isinstance(v, str | bool)}


def person_json(contact: Contact, fields: list[str]) -> dict[str, Any]:
    source = {"type": "CONTACT", "id": contact.id, "etag": contact.etag,
              "updateTime": contact.updated}  # fmt: skip
    shown: dict[str, Any] = {"resourceName": contact.resource_name, "etag": contact.etag}
    if contact.deleted:
        shown["metadata"] = {"sources": [source], "deleted": True}
        return shown
    if "metadata" in fields:
        shown["metadata"] = {"sources": [source], "objectType": "PERSON"}
    meta = {"primary": True, "source": {"type": "CONTACT", "id": contact.id}}
    for name in fields:
        if name == "metadata":
            continue
        if name == "memberships":
            shown[name] = [
                {"metadata": {"source": meta["source"]}, "contactGroupMembership": {
                    "contactGroupId": group, "contactGroupResourceName": f"contactGroups/{group}"}}
                for group in contact.groups
            ]  # fmt: skip
        elif contact.fields.get(name):
            shown[name] = [{"metadata": meta, **value} for value in contact.fields[name]]
    if "names" in shown:
        for value in shown["names"]:
            full = " ".join(p for p in (value.get("givenName"), value.get("familyName")) if p)
            value.setdefault("displayName", full)
    return shown


def group_json(store: PeopleStore, group: ContactGroup, max_members: int = 0) -> dict[str, Any]:
    members = [c for c in store.contacts.values() if not c.deleted and group.id in c.groups]
    shown = {"memberResourceNames": [c.resource_name for c in members[:max_members]]}
    return {
        "resourceName": group.resource_name,
        "etag": base64.b64encode(f"{group.id}:{len(members)}".encode()).decode(),
        "metadata": {"updateTime": "2026-01-01T00:00:00.000Z"},
        "groupType": "SYSTEM_CONTACT_GROUP" if group.system else "USER_CONTACT_GROUP",
        "name": group.name,
        "formattedName": group.name,
        "memberCount": len(members),
        **(shown if max_members and members else {}),
    }


def _person_response(store: PeopleStore, name: str, fields: list[str]) -> dict[str, Any]:
    """One ``PersonResponse`` of a batch read: the person, or the status of its failure."""
    try:
        person = person_json(store.contact(name), fields)
    except GoogleError as refused:
        return {
            "requestedResourceName": name,
            "httpStatusCode": refused.code,
            "status": {"code": RPC_CODES[refused.status], "message": refused.message},
        }
    return {"requestedResourceName": name, "httpStatusCode": 200, "person": person, "status": {}}


def _person_fields(required: bool = True) -> list[str]:
    raw = request.args.get("personFields", "")
    if not raw:
        if required:
            raise invalid("personFields mask is required. Please specify one or more valid paths.")
        return list(FIELDS)
    names = [name.strip() for name in raw.split(",") if name.strip()]
    for name in names:
        if name not in FIELDS:
            raise invalid(f'Invalid personFields mask path: "{name}".')
    return names


def create_blueprint(store_of: Callable[[], PeopleStore]) -> Blueprint:
    api = Blueprint("people", __name__, url_prefix="/v1")

    @api.get("/people/me/connections")
    def connections() -> Response:
        store, fields = store_of(), _person_fields()
        size = bounded_int("pageSize", 100, 1, 1000)
        start = page_start()
        token = request.args.get("syncToken")
        with store.lock:
            since = store.changes.since(token) if token else None
            chosen = sorted(
                (c for c in store.contacts.values()
                 if (since is None and not c.deleted) or (since is not None and c.change > since)),
                key=lambda c: c.change,
            )  # fmt: skip
            page = chosen[start : start + size]
            answer: dict[str, Any] = {
                "connections": [person_json(c, fields) for c in page],
                "totalPeople": len(chosen),
                "totalItems": len(chosen),
            }
            if start + size < len(chosen):
                answer["nextPageToken"] = str(start + size)
            elif request.args.get("requestSyncToken") == "true" or token:
                answer["nextSyncToken"] = store.changes.token()
        if not answer["connections"]:
            del answer["connections"]
        return jsonify(answer)

    @api.get("/people/<person_id>")
    def get_person(person_id: str) -> Response:
        store, fields = store_of(), _person_fields()
        with store.lock:
            return jsonify(person_json(store.contact(person_id), fields))

    @api.get("/people:batchGet")
    def batch_get() -> Response:
        store, fields = store_of(), _person_fields()
        names = request.args.getlist("resourceNames")
        if not names:
            raise invalid("resourceNames must not be empty.")
        if len(names) > MAX_BATCH_GET:
            raise invalid(f"Too many resourceNames: at most {MAX_BATCH_GET} may be requested.")
        for name in names:
            if not name.startswith("people/") or len(name) == len("people/"):
                raise invalid(f"Invalid resource name: {name}")
        with store.lock:
            return jsonify({"responses": [_person_response(store, name, fields) for name in names]})

    @api.post("/people:createContact")
    def create_contact() -> Response:
        store, fields = store_of(), _person_fields(required=False)
        with store.lock:
            return jsonify(person_json(store.create(json_body()), fields))

    @api.patch("/people/<person_id>:updateContact")
    def update_contact(person_id: str) -> Response:
        store = store_of()
        mask = request.args.get("updatePersonFields", "")
        if not mask:
            raise invalid("updatePersonFields mask is required. Please specify one or more paths.")
        fields = [name.strip() for name in mask.split(",") if name.strip()]
        shown = _person_fields(required=False)
        with store.lock:
            return jsonify(person_json(store.update(person_id, json_body(), fields), shown))

    @api.delete("/people/<person_id>:deleteContact")
    def delete_contact(person_id: str) -> Response:
        store = store_of()
        with store.lock:
            store.delete(person_id)
        return jsonify({})

    @api.get("/contactGroups")
    def list_groups() -> Response:
        store = store_of()
        with store.lock:
            groups = [group_json(store, group) for group in store.groups.values()]
        return jsonify(contactGroups=groups, totalItems=len(groups))

    @api.get("/contactGroups/<group_id>")
    def get_group(group_id: str) -> Response:
        store = store_of()
        max_members = bounded_int("maxMembers", 0, 0, 1_000_000)
        with store.lock:
            return jsonify(group_json(store, store.group(group_id), max_members))

    @api.post("/contactGroups")
    def create_group() -> Response:
        store, body = store_of(), json_body()
        name = str((body.get("contactGroup") or {}).get("name", "")).strip()
        if not name:
            raise invalid("Contact group name must not be empty.")
        with store.lock:
            if any(g.name.casefold() == name.casefold() for g in store.groups.values()):
                raise GoogleError(409, "alreadyExists", "Contact group name already exists.",
                                  "ALREADY_EXISTS")  # fmt: skip
            group = ContactGroup(secrets.token_hex(8), name)
            store.groups[group.id] = group
            return jsonify(group_json(store, group))

    @api.post("/contactGroups/<group_id>/members:modify")
    def modify_members(group_id: str) -> Response:
        store, body = store_of(), json_body()
        add, remove = body.get("resourceNamesToAdd") or [], body.get("resourceNamesToRemove") or []
        if not isinstance(add, list) or not isinstance(remove, list) or not (add or remove):
            raise invalid("resourceNamesToAdd or resourceNamesToRemove must be set.")
        with store.lock:
            missing = store.modify_members(store.group(group_id), add, remove)
        return jsonify({"notFoundResourceNames": missing} if missing else {})

    return api

"""The Exchange provider: a :class:`~backend.mailbox.base.MailboxProvider` over EWS (exchangelib).

Cursors are SyncFolderItems states, one per synced folder, packed into one opaque string per item
type. Contacts and accounts are whole folders ("SAP Contacts", "SAP Accounts" under Contacts);
tasks and appointments are items with the "SAP" category; e-mails are messages in the "SAP Cloud
for Customer" folder or with the "SAP" category in the inbox and sent items.

Retries: exchangelib runs with ``FailFast``, so ``ErrorServerBusy`` reaches the caller at once with
its ``back_off``; the engine waits (the classification carries ``retry_after``) and retries the
step. Sleeping inside a worker for exchangelib's default of up to an hour would hide an outage.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from exchangelib import (
    DELEGATE,
    IMPERSONATION,
    Account,
    Build,
    Configuration,
    FailFast,
    Version,
)
from exchangelib.errors import (
    ErrorBatchProcessingStopped,
    ErrorFolderNotFound,
    ErrorInvalidSyncStateData,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
    ErrorServerBusy,
    ErrorTimeoutExpired,
    ResponseMessageError,
)
from exchangelib.folders import (
    BaseFolder,
    Calendar,
    Contacts,
    Folder,
    FolderCollection,
    Inbox,
    MsgFolderRoot,
    Root,
    SentItems,
    Tasks,
)
from exchangelib.items import NEVER_OVERWRITE, SAVE_ONLY, SEND_TO_NONE, Item
from exchangelib.protocol import Protocol
from exchangelib.services import UpdateItem

from backend.mailbox import category_list
from backend.mailbox.base import (
    Changes,
    FolderChange,
    FolderNotes,
    ItemRecord,
    ItemRef,
    UnsupportedOperation,
    follow_folder,
    update_alone,
)
from backend.mailbox.cursors import keep_folder, kept_folder, pack_cursor, unpack_cursor
from backend.mailbox.ews.credentials import (
    BasicAuth,
    BearerToken,
    Impersonation,
    NtlmAuth,
    exchangelib_credentials,
)
from backend.mailbox.ews.records import (
    ITEM_CLASSES,
    READ_FIELDS,
    WRITABLE_FIELDS,
    item_values,
    record_from_item,
)
from backend.mailbox.ews.selection import (
    SAP_CATEGORY,
    SELECTIONS,
    Selection,
)
from backend.mailbox.markers import CategoryMarkers
from backend.mailbox.outlook import owa_link
from backend.models.types import ItemType

SYNC_PAGE = 512
DISTINGUISHED = {
    "contacts": Contacts, "tasks": Tasks, "calendar": Calendar, "inbox": Inbox,
    "sent": SentItems, "msg_folder_root": MsgFolderRoot,
}  # fmt: skip
"""The well-known folders a selection names, by ``Selection.parent``."""
FETCH_CHUNK = 250
WRITTEN_TOGETHER = frozenset(set(ItemType) - {ItemType.EMAIL})
"""What the sync writes over in the mailbox, updates in one UpdateItem."""
MARKER_ATTEMPTS = 3


class UpdateEach(UpdateItem):
    """UpdateItem whose answer for each item is that item's: a refusal (a change key gone
    stale, an item gone, a value refused) is handed back in its place. exchangelib's own
    raises the first refusal but a few, and the answers after it are lost. A busy server or a
    timeout before any answer fails the request as a whole (the run's back-off sends it
    again); after some, it is the answer of the items it stopped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answered = 0

    def _get_element_container(self, message: Any, name: Any = None) -> Any:
        try:
            found = super()._get_element_container(message, name)
        except (ErrorServerBusy, ErrorTimeoutExpired) as busy:
            if not self.answered:
                raise
            found = busy
        except ResponseMessageError as refused:
            found = refused
        self.answered += 1
        return found


class ExchangeProvider(CategoryMarkers, FolderNotes):
    """A mailbox on Exchange Server reached through EWS.

    Args:
        endpoint: the EWS URL (``https://mail.example.com/EWS/Exchange.asmx``); ignored with
            ``autodiscover``.
        address: the mailbox's primary SMTP address.
        credentials: Basic, a bearer token, or impersonation through a service account.
        build: the Exchange build to speak to (fixed, so no version probing).
        timeout: seconds to wait for one HTTP response, or ``(connect, read)``.
        autodiscover: find the endpoint through Autodiscover (real deployments only).
        owa_url: the Outlook on the web base URL for deep links (default: next to the endpoint).
        revoke_token: called with the access token by :meth:`revoke` (OAuth only).
    """

    writes_together = WRITTEN_TOGETHER

    def __init__(
        self,
        endpoint: str,
        address: str,
        credentials: BasicAuth | NtlmAuth | BearerToken | Impersonation,
        *,
        build: tuple[int, int, int, int] = (15, 2, 1544, 4),
        timeout: float | tuple[float, float] = (5.0, 30.0),
        autodiscover: bool = False,
        owa_url: str | None = None,
        revoke_token: Callable[[str], None] | None = None,
    ) -> None:
        service = credentials.service if isinstance(credentials, Impersonation) else credentials
        ews_credentials, auth_type = exchangelib_credentials(service)
        config = Configuration(
            service_endpoint=None if autodiscover else endpoint,
            credentials=ews_credentials,
            auth_type=auth_type,
            version=Version(build=Build(*build)),
            retry_policy=FailFast(),
            max_connections=4,
        )
        _forget_other_sign_in(config)
        self.account = Account(
            address,
            config=config,
            autodiscover=autodiscover,
            access_type=IMPERSONATION if isinstance(credentials, Impersonation) else DELEGATE,
        )
        self.account.protocol.TIMEOUT = timeout
        self._credentials = service
        self._revoke_token = revoke_token
        self._owa_url = owa_url or owa_url_of(endpoint)
        self._folders: dict[str, Folder] = {}
        self._moved: dict[str, FolderChange] = {}
        self._known: dict[str, tuple[str | None, str | None]] = {}
        """Each SAP folder's id and name as the cursors of this run kept them."""
        self._root = Root(account=self.account)
        """The folder hierarchy's root, named without asking (folders are made from ids)."""
        self._markers_ensured = False
        self._requests = 0
        self._count_requests()

    # -- plumbing -----------------------------------------------------------------------------

    def _count_requests(self) -> None:
        """Count this provider's HTTP requests on exchangelib's shared sessions.

        exchangelib shares one protocol (and its pool of sessions) among every account with the
        same address and credentials, and keeps the sessions: each session gets one hook, which
        counts for whichever provider uses the protocol now (the last one made for it), whether
        the session is new, taken from the pool or renewed mid-request.
        """
        protocol = self.account.protocol
        protocol.ssi_requests_to = self._on_response  # type: ignore[attr-defined]
        if getattr(protocol, "ssi_counting", False):
            return

        def counted(session: Any) -> Any:
            if not getattr(session, "ssi_counted", False):
                session.hooks["response"].append(
                    lambda response, *args, **kwargs: protocol.ssi_requests_to(response)
                )
                session.ssi_counted = True
            return session

        create_session, get_session = protocol.create_session, protocol.get_session
        protocol.create_session = lambda: counted(create_session())  # type: ignore[method-assign]
        protocol.get_session = lambda: counted(get_session())  # type: ignore[method-assign]
        protocol.ssi_counting = True  # type: ignore[attr-defined]

    def _on_response(self, response: Any, *_args: Any, **_kwargs: Any) -> None:
        self._requests += 1

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent since this provider was made (two providers of the same address
        and credentials at once would share the count)."""
        return self._requests

    def _folder(self, selection: Selection) -> Folder:
        """The folder of ``selection``, found, followed or put back by :func:`follow_folder`
        from the id and name the cursor kept (a change is noted, for the run to tell once)."""
        folder = self._folders.get(selection.key)
        if folder is not None:
            return folder
        folder = parent = getattr(self.account, selection.parent)
        if selection.subfolder:
            found: dict[str, Folder] = {f.id: f for f in parent.children}

            def make() -> str:
                made = Folder(parent=parent, name=selection.subfolder)
                made.folder_class = parent.folder_class or "IPF.Note"
                made.save()
                found[made.id] = made
                return made.id

            def elsewhere(folder_id: str) -> str | None:
                lookup = [Folder(root=self._root, id=folder_id)]
                moved = next(iter(FolderCollection(account=self.account, folders=lookup)
                                  .get_folders()), None)  # fmt: skip
                if not isinstance(moved, BaseFolder):
                    return None
                found[folder_id] = moved  # moved by the user (Outlook "deletes" into Deleted Items)
                return moved.name

            folder_id, change = follow_folder(
                selection.subfolder, {f.name: f.id for f in found.values()},
                self._known.get(selection.key, (None, None)), make, elsewhere,
            )  # fmt: skip
            folder = found[folder_id]
            self._note(selection.key, change)
        self._folders[selection.key] = folder
        return folder

    # -- MailboxProvider ----------------------------------------------------------------------

    def activate(self) -> None:
        """Create missing SAP folders and make sure the marker category is red."""
        for selections in SELECTIONS.values():
            for selection in selections:
                self._folder(selection)
        self.ensure_marker_definitions()

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        """Changes since ``cursor``; an absent or invalid cursor gives a full read, and so does
        one whose SAP folder is gone (the user deleted it: it is put back)."""
        states = unpack_cursor(cursor)
        full = states is None
        for selection in SELECTIONS[item_type]:
            known = kept_folder(states or {}, selection.key)
            if known[0] is not None:
                self._known[selection.key] = known
                cached = self._folders.get(selection.key)
                if cached is not None and cached.id != known[0]:
                    del self._folders[selection.key]  # found by name before the kept id was known
        try:
            return self._changes(item_type, states or {}, full)
        except ErrorInvalidSyncStateData:
            return replace(self._changes(item_type, {}, True), cursor_lost=True)
        except (ErrorFolderNotFound, ErrorItemNotFound):
            if full:
                raise
            for selection in SELECTIONS[item_type]:
                self._folder(selection)  # the one gone is put back
            return self._changes(item_type, {}, True)

    def _read_folder(self, selection: Selection, states: dict[str, str]) -> Folder:
        """The folder to read: named by its id as the cursor kept it, or by its well-known name,
        so an idle run asks Exchange nothing about folders (a SyncFolderItems on a folder the
        user deleted fails, and the read starts over); looked up (found, followed, or put back)
        when the cursor has no id."""
        if selection.subfolder is None:
            return DISTINGUISHED[selection.parent](root=self._root)
        known, _name = kept_folder(states, selection.key)
        if known is None:
            return self._folder(selection)
        return Folder(root=self._root, id=known)

    def _changes(self, item_type: ItemType, states: dict[str, str], full: bool) -> Changes:
        upserted: list[ItemRecord] = []
        deleted: list[str] = []
        deselected: list[str] = []
        new_states: dict[str, str] = {}
        for selection in SELECTIONS[item_type]:
            folder = self._read_folder(selection, states)
            if selection.subfolder:
                name = folder.name or kept_folder(states, selection.key)[1] or selection.subfolder
                new_states |= keep_folder(selection.key, folder.id, name)
            changed: list[tuple[str, str]] = []
            # exchangelib falls back to the folder's last state when given none: reset it.
            folder.item_sync_state = states.get(selection.key)
            for kind, item in folder.sync_items(
                sync_state=folder.item_sync_state,
                only_fields=["changekey"],
                max_changes_returned=SYNC_PAGE,
            ):
                if kind in ("create", "update"):
                    changed.append((item.id, item.changekey))
                elif kind == "delete":
                    deleted.append(item.id)
            new_states[selection.key] = folder.item_sync_state
            for item in self._fetch(item_type, changed):
                if selection.needs_category and SAP_CATEGORY not in (item.categories or ()):
                    if not full:
                        deselected.append(item.id)
                    continue
                upserted.append(record_from_item(item_type, item))
        return Changes(
            item_type=item_type,
            upserted=tuple(upserted),
            deleted=tuple(deleted),
            deselected=tuple(deselected),
            cursor=pack_cursor(new_states),
            full=full,
        )

    def _fetch(self, item_type: ItemType, ids: list[tuple[str, str | None]]) -> Iterator[Item]:
        """The items, ``FETCH_CHUNK`` per GetItem, each handed on as it is parsed: a first read
        of a large folder holds its records, never all of exchangelib's items at once."""
        if not ids:
            return
        found = self.account.fetch(
            ids=ids, only_fields=list(READ_FIELDS[item_type]), chunk_size=FETCH_CHUNK
        )
        # An item deleted between the sync and the fetch comes back as ErrorItemNotFound.
        yield from (item for item in found if isinstance(item, Item))

    def _item(self, item_type: ItemType, item_id: str, fields: list[str]) -> Item:
        item = next(iter(self.account.fetch(ids=[(item_id, None)], only_fields=fields)))
        if isinstance(item, Exception):
            raise item
        return item

    def as_kept(self, item_type: ItemType, record: ItemRecord) -> ItemRecord:
        """Every field of a record has its place here."""
        return record

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        """One item as a record; exchangelib's ``ErrorItemNotFound`` if it is gone."""
        return record_from_item(
            item_type, self._item(item_type, item_id, list(READ_FIELDS[item_type]))
        )

    def get_many(self, item_type: ItemType, item_ids: Sequence[str]) -> dict[str, ItemRecord]:
        """The items in one GetItem (``FETCH_CHUNK`` a request); one gone is left out."""
        found = self._fetch(item_type, [(item_id, None) for item_id in item_ids])
        return {item.id: record_from_item(item_type, item) for item in found}

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        """Create the item in its SAP folder, with the "SAP" category where that selects it."""
        if item_type is ItemType.EMAIL:
            raise UnsupportedOperation("E-mails sync from the mailbox to C4C only")
        selection = SELECTIONS[item_type][0]
        categories = list(record.categories)
        if selection.needs_category and SAP_CATEGORY not in categories:
            categories.append(SAP_CATEGORY)
        values = {k: v for k, v in item_values(item_type, record).items() if v is not None}
        item = ITEM_CLASSES[item_type](
            account=self.account,
            folder=self._folder(selection),
            categories=categories or None,
            **values,
        )
        item.save(send_meeting_invitations=SEND_TO_NONE)
        return ItemRef(item.id, item.changekey)

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        """Overwrite the mapped fields; ``ErrorIrresolvableConflict`` if ``change_key`` is stale."""
        item = self._over(item_type, record, change_key)
        item.save(
            update_fields=list(WRITABLE_FIELDS[item_type]),
            conflict_resolution=NEVER_OVERWRITE,
            send_meeting_invitations=SEND_TO_NONE,
        )
        return ItemRef(item.id, item.changekey)

    def update_many(
        self, item_type: ItemType, writes: Sequence[tuple[ItemRecord, str]]
    ) -> list[ItemRef | Exception]:
        """The updates in one UpdateItem (``FETCH_CHUNK`` a request), one ``ItemChange``
        each; Exchange answers each on its own (a stale change key refuses that item alone)."""
        fields = list(WRITABLE_FIELDS[item_type])
        answers: dict[int, ItemRef | Exception] = {}
        items: dict[int, Item] = {}
        for position, (record, key) in enumerate(writes):
            try:  # a value Exchange would refuse is that write's failure, not the request's
                items[position] = self._over(item_type, record, key)
                items[position].clean(version=self.account.version)
            except Exception as error:
                answers[position] = error
                items.pop(position, None)
        sent = UpdateEach(account=self.account, chunk_size=FETCH_CHUNK).call(
            items=[(item, fields) for item in items.values()],
            conflict_resolution=NEVER_OVERWRITE,
            message_disposition=SAVE_ONLY,
            send_meeting_invitations_or_cancellations=SEND_TO_NONE,
            suppress_read_receipts=True,
        ) if items else []  # fmt: skip
        answered = list(sent)
        if len(answered) != len(items):
            raise ValueError(f"UpdateItem answered {len(answered)} of {len(items)} changes")
        for position, answer in zip(items, answered, strict=True):
            if isinstance(answer, ErrorBatchProcessingStopped):  # not done: sent again alone
                answer = update_alone(self, item_type, *writes[position])
            answers[position] = answer if isinstance(answer, Exception) else ItemRef(*answer)
        return [answers[position] for position in range(len(writes))]

    def _over(self, item_type: ItemType, record: ItemRecord, change_key: str) -> Item:
        """``record`` as an item to write over the one at ``change_key``."""
        if item_type is ItemType.EMAIL:
            raise UnsupportedOperation("E-mails sync from the mailbox to C4C only")
        if record.id is None:
            raise ValueError("update needs a record with an id")
        return ITEM_CLASSES[item_type](
            account=self.account,
            id=record.id,
            changekey=change_key,
            **item_values(item_type, record),
        )

    def delete(self, item_type: ItemType, item_id: str) -> None:
        """Move the item to Deleted Items; meeting cancellations are never sent."""
        item = ITEM_CLASSES[item_type](account=self.account, id=item_id, changekey=None)
        item.move_to_trash(send_meeting_cancellations=SEND_TO_NONE)

    def _selected_by_category(self, item_type: ItemType) -> bool:
        return any(selection.needs_category for selection in SELECTIONS[item_type])

    def _edit_categories(
        self, item_type: ItemType, item_id: str, edit: Callable[[list[str]], tuple[str, ...]]
    ) -> None:
        for attempt in range(MARKER_ATTEMPTS):
            item = self._item(item_type, item_id, ["categories"])
            current = list(item.categories or ())
            wanted = list(edit(current))
            if wanted == current:
                return
            item.categories = wanted or None
            try:
                item.save(update_fields=["categories"], conflict_resolution=NEVER_OVERWRITE)
                return
            except ErrorIrresolvableConflict:
                # The user edited the item between our read and write: read again, keep theirs.
                if attempt == MARKER_ATTEMPTS - 1:
                    raise

    def ensure_marker_definitions(self) -> None:
        """Make "Sync Error" red in the master category list; once per provider instance."""
        if self._markers_ensured:
            return
        calendar = self.account.calendar
        try:
            config = calendar.get_user_configuration(name=category_list.NAME, properties="All")
            current: bytes | None = config.xml_data
        except ErrorItemNotFound:
            config, current = None, None
        updated = category_list.ensure_marker_colours(current)
        if updated is not None and config is None:
            calendar.create_user_configuration(name=category_list.NAME, xml_data=updated)
        elif updated is not None:
            calendar.update_user_configuration(name=category_list.NAME, xml_data=updated)
        self._markers_ensured = True

    def deep_link(self, item_type: ItemType, item_id: str) -> str:
        """An Outlook on the web URL that opens the item."""
        return owa_link(self._owa_url, item_type, item_id)

    def revoke(self) -> None:
        """Forget this mailbox's access and close connections.

        With Basic auth nothing exists server side to revoke: the password stays the user's and
        the caller forgets it. With a bearer token, ``revoke_token`` (if given) revokes it at the
        identity provider.
        """
        if isinstance(self._credentials, BearerToken) and self._revoke_token is not None:
            self._revoke_token(self._credentials.access_token)
        self.account.protocol.close()


def owa_url_of(endpoint: str) -> str:
    """Outlook on the web of the server whose EWS endpoint is ``endpoint``."""
    return endpoint.rsplit("/EWS/", 1)[0] + "/owa/"


def _forget_other_sign_in(config: Configuration) -> None:
    """Drop exchangelib's shared connections to this server with these credentials when they
    sign in another way, or a failure it kept: it keeps one per address and credentials whatever
    the method (a company switching between Basic and Windows sign-in would go on with the old
    one), and raises a kept failure again on every later use."""
    try:
        cached, _ = Protocol[config]
    except KeyError:
        return
    if isinstance(cached, Exception) or cached.auth_type != config.auth_type:
        with contextlib.suppress(KeyError):
            del Protocol[config]
        if not isinstance(cached, Exception):
            cached.close()

"""Tasks through the Tasks API: the tasks of the list "SAP Tasks".

The cursor is the newest ``updated`` seen, with the ids of the tasks updated at that time, so
they are not read again. Google checks no change key for tasks: an update reads the task first
and refuses with :class:`ChangedMeanwhile` when its etag moved. Tasks have nowhere to show a
marker.
"""

from __future__ import annotations

from typing import Any

from googleapiclient.errors import HttpError

from backend.mailbox import cursors
from backend.mailbox.base import (
    ChangedMeanwhile,
    Changes,
    ItemRecord,
    ItemRef,
    TaskRecord,
    follow_folder,
)
from backend.mailbox.gmail import records as google_records
from backend.mailbox.gmail.part import ApiPart
from backend.models.types import ItemType

TASK_LIST = "SAP Tasks"


class TaskList(ApiPart):
    """The mailbox's tasks: one task list."""

    _list_id: str | None = None
    _titles: dict[str, str] | None = None

    def activate(self) -> None:
        self._sap_tasks()

    def _lists(self) -> dict[str, str]:
        """The mailbox's task lists, title to id (read once)."""
        if self._titles is None:
            found = self._clients.run(self._clients.api.tasklists.list(maxResults=100))
            self._titles = {t.get("title", ""): t["id"] for t in found.get("items", [])}
        return self._titles

    def _sap_tasks(self, known: tuple[str | None, str | None] = (None, None)) -> str:
        """The id of the task list "SAP Tasks": found by its title, else (renamed by the user)
        by the id ``known`` from the cursor, else made (put back)."""
        if self._list_id is None or known[0] not in (None, self._list_id):
            lists = self._clients.api.tasklists
            self._list_id, change = follow_folder(
                TASK_LIST, self._lists(), known,
                lambda: self._clients.run(lists.insert(body={"title": TASK_LIST}))["id"],
            )  # fmt: skip
            self._note(TASK_LIST, change)
        return self._list_id

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        """Tasks changed since the cursor: the newest ``updated`` seen and the ids updated at
        that very time, which ``updatedMin`` (inclusive) hands out again and are left out.

        The list the cursor kept is read first while it was looked up lately
        (:data:`~backend.mailbox.cursors.FOLDER_CHECK_SECONDS`): when nothing changed, the lists
        are not looked up (a list deleted makes the read fail, and they are looked up then)."""
        kept, since = cursors.unpack_with(cursor, "since")
        trusted = cursors.trusted_folder(kept, TASK_LIST)
        early = None
        if since is not None and trusted and self._titles is None:
            try:
                early = self._updated(trusted[0], since)
            except HttpError as error:
                if error.resp.status != 404:
                    raise
            if early is not None and not early[0]:
                self._list_id = trusted[0]
                next_cursor = cursors.trusted_cursor(kept, TASK_LIST, trusted, since=early[1])
                return Changes(ItemType.TASK, (), (), next_cursor, not since)
        list_id = self._sap_tasks(cursors.kept_folder(kept, TASK_LIST))
        if self._put_back(TASK_LIST):
            since, early = None, None  # a list put back is a new, empty one: read it in full
        found, next_since = early or self._updated(list_id, since)
        upserted = tuple(google_records.task_record(t) for t in found if not t.get("deleted"))
        deleted = tuple(task["id"] for task in found if task.get("deleted"))
        titles = {list_id: title for title, list_id in self._lists().items()}
        kept_list = cursors.keep_checked_folder(TASK_LIST, list_id, titles.get(list_id, ""))
        next_cursor = cursors.pack_cursor({"since": next_since, **kept_list})
        return Changes(ItemType.TASK, upserted, deleted, next_cursor, not since)

    def _updated(self, list_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str]:
        """The list's tasks updated since ``cursor`` (every task when empty), and the next
        one."""
        newest, _, ids = (cursor or "").partition("|")
        seen = set(ids.split(",")) if ids else set()
        params: dict[str, Any] = {"tasklist": list_id, "maxResults": 100}
        if newest:
            params.update(updatedMin=newest, showDeleted=True, showHidden=True)
        tasks = self._clients.api.tasks
        found: list[dict[str, Any]] = []
        request = tasks.list(**params)
        while request is not None:
            answer = self._clients.run(request)
            found += [t for t in answer.get("items", [])
                      if not (t["updated"] == newest and t["id"] in seen)]  # fmt: skip
            request = tasks.list_next(request, answer)
        if found:
            latest = max(task["updated"] for task in found)
            at_latest = {task["id"] for task in found if task["updated"] == latest}
            seen = seen | at_latest if latest == newest else at_latest
            newest = latest
        return found, f"{newest}|{','.join(sorted(seen))}" if newest else ""

    def _task(self, task_id: str) -> dict[str, Any]:
        return self._clients.run(
            self._clients.api.tasks.get(tasklist=self._sap_tasks(), task=task_id)
        )

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        return google_records.task_record(self._task(item_id))

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        assert isinstance(record, TaskRecord)
        body = google_records.task_body(record)
        tasks = self._clients.api.tasks
        task = self._clients.run(tasks.insert(tasklist=self._sap_tasks(), body=body))
        return ItemRef(task["id"], task["etag"])

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        """Patch the task unless it changed since ``change_key`` (Google checks none)."""
        assert isinstance(record, TaskRecord) and record.id is not None
        if self._task(record.id).get("etag") != change_key:
            raise ChangedMeanwhile(f"the task {record.id} changed since it was read")
        body = google_records.task_body(record)
        tasks = self._clients.api.tasks
        done = self._clients.run(tasks.patch(tasklist=self._sap_tasks(), task=record.id, body=body))
        return ItemRef(done["id"], done["etag"])

    def delete(self, item_type: ItemType, item_id: str) -> None:
        self._clients.run(self._clients.api.tasks.delete(tasklist=self._sap_tasks(), task=item_id))

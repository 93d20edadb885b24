"""Tasks through the Tasks API: the tasks of the list "SAP Tasks".

The cursor is the newest ``updated`` seen, with the ids of the tasks updated at that time, so
they are not read again. Google checks no change key for tasks: an update reads the task first
and refuses with :class:`ChangedMeanwhile` when its etag moved. Tasks have nowhere to show a
marker.
"""

from __future__ import annotations

from typing import Any

from backend.mailbox.base import ChangedMeanwhile, Changes, ItemRecord, ItemRef, TaskRecord
from backend.mailbox.gmail import records as google_records
from backend.mailbox.gmail.part import ApiPart
from backend.models.types import ItemType

TASK_LIST = "SAP Tasks"


class TaskList(ApiPart):
    """The mailbox's tasks: one task list."""

    _list_id: str | None = None

    def activate(self) -> None:
        self._sap_tasks()

    def _sap_tasks(self) -> str:
        """The id of the task list "SAP Tasks", created when missing."""
        if self._list_id is None:
            lists = self._clients.tasks.tasklists()
            found = next(
                (t["id"] for t in lists.list(maxResults=100).execute().get("items", [])
                 if t.get("title") == TASK_LIST),
                None,
            )  # fmt: skip
            if found is None:
                found = lists.insert(body={"title": TASK_LIST}).execute()["id"]
            self._list_id = found
        return self._list_id

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        """Tasks changed since the cursor: the newest ``updated`` seen and the ids updated at
        that very time, which ``updatedMin`` (inclusive) hands out again and are left out."""
        newest, _, ids = (cursor or "").partition("|")
        seen = set(ids.split(",")) if ids else set()
        params: dict[str, Any] = {"tasklist": self._sap_tasks(), "maxResults": 100}
        if newest:
            params.update(updatedMin=newest, showDeleted=True, showHidden=True)
        tasks = self._clients.tasks.tasks()
        found: list[dict[str, Any]] = []
        request = tasks.list(**params)
        while request is not None:
            answer = request.execute()
            found += [t for t in answer.get("items", [])
                      if not (t["updated"] == newest and t["id"] in seen)]  # fmt: skip
            request = tasks.list_next(request, answer)
        if found:
            latest = max(task["updated"] for task in found)
            at_latest = {task["id"] for task in found if task["updated"] == latest}
            seen = seen | at_latest if latest == newest else at_latest
            newest = latest
        upserted = tuple(google_records.task_record(t) for t in found if not t.get("deleted"))
        deleted = tuple(task["id"] for task in found if task.get("deleted"))
        next_cursor = f"{newest}|{','.join(sorted(seen))}" if newest else ""
        return Changes(ItemType.TASK, upserted, deleted, next_cursor, not cursor)

    def _task(self, task_id: str) -> dict[str, Any]:
        return self._clients.tasks.tasks().get(tasklist=self._sap_tasks(), task=task_id).execute()

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        return google_records.task_record(self._task(item_id))

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        assert isinstance(record, TaskRecord)
        body = google_records.task_body(record)
        tasks = self._clients.tasks.tasks()
        task = tasks.insert(tasklist=self._sap_tasks(), body=body).execute()
        return ItemRef(task["id"], task["etag"])

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        """Patch the task unless it changed since ``change_key`` (Google checks none)."""
        assert isinstance(record, TaskRecord) and record.id is not None
        if self._task(record.id).get("etag") != change_key:
            raise ChangedMeanwhile(f"the task {record.id} changed since it was read")
        body = google_records.task_body(record)
        tasks = self._clients.tasks.tasks()
        done = tasks.patch(tasklist=self._sap_tasks(), task=record.id, body=body).execute()
        return ItemRef(done["id"], done["etag"])

    def delete(self, item_type: ItemType, item_id: str) -> None:
        self._clients.tasks.tasks().delete(tasklist=self._sap_tasks(), task=item_id).execute()

"""Microsoft To Do: ``/todo/lists`` (every mailbox starts with "Tasks", the default list) and
their ``tasks`` (with ``/delta``).

To Do answers timestamps with seven decimals and leaves unset dates out. It is not known
whether the service checks ``If-Match`` on tasks, so the emulator ignores it there (a stale
one does not fail). A task needs a title.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from emulators.graph import items
from emulators.graph.errors import bad_request
from emulators.graph.mailbox import Folder, Item, Mailbox, now
from emulators.graph.odata import METADATA, answer
from emulators.graph.schema import ItemType, date_time_zone

_DATES = ("dueDateTime", "startDateTime", "reminderDateTime")
_LEFT_OUT = (*_DATES, "completedDateTime", "recurrence")
STATUSES = ("notStarted", "inProgress", "completed", "waitingOnOthers", "deferred")


def _precise(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


class TaskType(ItemType):
    name = "todoTask"
    common = ("createdDateTime", "lastModifiedDateTime", "categories")
    checks_if_match = False
    properties = {  # noqa: RUF012
        "importance": "normal", "isReminderOn": False, "status": "notStarted", "title": None,
        "hasAttachments": False, "body": {"content": "", "contentType": "text"},
        "dueDateTime": None, "startDateTime": None, "reminderDateTime": None,
        "completedDateTime": None, "recurrence": None, "bodyLastModifiedDateTime": None,
    }  # fmt: skip
    writable = frozenset(
        {"importance", "isReminderOn", "status", "title", "body", *_DATES, "recurrence"}
    )
    complex_values = frozenset({*_DATES, "recurrence", "completedDateTime"})
    enums = {  # noqa: RUF012
        "importance": ("microsoft.graph.importance", ("low", "normal", "high")),
        "status": ("microsoft.graph.taskStatus", STATUSES),
    }

    def adjust(self, changes: dict[str, Any], item: Item | None, mailbox: Mailbox) -> None:
        title = changes.get("title", item.fields.get("title") if item else None)
        if not isinstance(title, str) or not title.strip():
            raise bad_request("Invalid request: a task needs a title.", "invalidRequest")
        for name in _DATES:
            if changes.get(name) is not None:
                changes[name] = date_time_zone(changes[name], name)
        if changes.get("status") == "completed":
            moment = now().strftime("%Y-%m-%dT%H:%M:%S.0000000")
            changes["completedDateTime"] = {"dateTime": moment, "timeZone": "UTC"}
        elif "status" in changes:
            changes["completedDateTime"] = None

    def render(self, item: Item, mailbox: Mailbox) -> dict[str, Any]:
        entity = super().render(item, mailbox)
        for name in _LEFT_OUT:
            if entity.get(name) is None:
                entity.pop(name, None)
        return entity

    def computed(self, item: Item, mailbox: Mailbox) -> dict[str, Any]:
        return {
            "createdDateTime": _precise(item.created),
            "lastModifiedDateTime": _precise(item.modified),
            "bodyLastModifiedDateTime": _precise(item.modified),
        }


TASK = TaskType()


def render_list(folder: Folder) -> dict[str, Any]:
    return {
        "@odata.etag": f'W/"{folder.change_key}"',
        "displayName": folder.display_name,
        "isOwner": True,
        "isShared": False,
        "wellknownListName": folder.well_known or "none",
        "id": folder.id,
    }


def create_blueprint() -> Blueprint:
    todo = Blueprint("todo", __name__)

    def task_list(list_id: str) -> Folder:
        return g.mailbox.folder("todoTaskList", list_id)

    def task(list_id: str, item_id: str) -> Item:
        return g.mailbox.item("todoTask", item_id, task_list(list_id).id)

    @todo.get("/todo/lists")
    def list_lists() -> Response:
        lists = [f for f in g.mailbox.folders.values() if f.kind == "todoTaskList"]
        context = f"{METADATA}users('{g.mailbox.user_id}')/todo/lists"
        return answer({"@odata.context": context, "value": [render_list(f) for f in lists]})

    @todo.post("/todo/lists")
    def create_list() -> Response:
        made = g.mailbox.add_folder("todoTaskList", items.folder_name(), None)
        return answer(render_list(made), 201)

    @todo.get("/todo/lists/<list_id>")
    def get_list(list_id: str) -> Response:
        return answer(render_list(task_list(list_id)))

    items.add_collection_routes(todo, TASK, ("/todo/lists/<list_id>/tasks",), task_list)
    items.add_item_routes(todo, TASK, ("/todo/lists/<list_id>/tasks/<item_id>",), task)
    return todo

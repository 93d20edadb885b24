"""The Tasks API v1: a user's task lists and their tasks (``/tasks/v1/...``).

Lists are listed, created and deleted; tasks listed (``updatedMin`` for what changed since,
``showDeleted`` for what was deleted), read, created, patched and deleted. Answers follow the
discovery document's ``TaskList(s)`` and ``Task(s)`` schemas.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulators.google.errors import invalid, not_found
from emulators.google.params import bounded_int, json_body, page_start

STATUSES = ("needsAction", "completed")
TITLE_LIMIT, NOTES_LIMIT = 1024, 8192


def _now() -> datetime:
    return datetime.now(UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(raw: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"Invalid value for: {name} is not a valid RFC 3339 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class GoogleTask:
    id: str
    fields: dict[str, Any]
    updated: datetime
    position: int
    deleted: bool = False
    completed: datetime | None = None


@dataclass
class TaskList:
    id: str
    title: str
    updated: datetime
    tasks: dict[str, GoogleTask] = field(default_factory=dict)


class TaskStore:
    """One user's task lists, the default one ("My Tasks") first."""

    def __init__(self) -> None:
        self.lists: dict[str, TaskList] = {}
        self.lock = threading.RLock()
        self._positions = itertools.count(1)
        self.add_list("My Tasks")

    def add_list(self, title: str) -> TaskList:
        if not title.strip():
            raise invalid("Invalid task list title")
        found = TaskList(secrets.token_urlsafe(16), title, _now())
        self.lists[found.id] = found
        return found

    def task_list(self, list_id: str) -> TaskList:
        found = self.lists.get(list_id)
        if found is None:
            raise not_found()
        return found

    def task(self, list_id: str, task_id: str) -> GoogleTask:
        found = self.task_list(list_id).tasks.get(task_id)
        if found is None or found.deleted:
            raise not_found()
        return found

    def insert(self, list_id: str, body: dict[str, Any]) -> GoogleTask:
        target = self.task_list(list_id)
        task = GoogleTask(secrets.token_urlsafe(16), {}, _now(), next(self._positions))
        self._write(task, body)
        target.tasks[task.id] = task
        return task

    def patch(self, list_id: str, task_id: str, body: dict[str, Any]) -> GoogleTask:
        task = self.task(list_id, task_id)
        self._write(task, body)
        return task

    def delete(self, list_id: str, task_id: str) -> None:
        task = self.task(list_id, task_id)
        task.deleted = True
        task.updated = _now()

    def _write(self, task: GoogleTask, body: dict[str, Any]) -> None:
        title, notes = body.get("title", task.fields.get("title", "")), body.get("notes")
        if len(str(title)) > TITLE_LIMIT or (notes is not None and len(str(notes)) > NOTES_LIMIT):
            raise invalid("Invalid Value")
        status = body.get("status", task.fields.get("status", "needsAction"))
        if status not in STATUSES:
            raise invalid("Invalid Value")
        if "due" in body and body["due"] is not None:
            _parse_time(str(body["due"]), "due")
        for key in ("title", "notes", "due"):
            if key in body and body[key] is None:
                task.fields.pop(key, None)
            elif key in body:
                task.fields[key] = body[key]
        if status == "completed" and task.fields.get("status") != "completed":
            task.completed = _now()
        elif status == "needsAction":
            task.completed = None
        task.fields["status"] = status
        task.updated = _now()


def task_json(list_id: str, task: GoogleTask) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "kind": "tasks#task",
        "id": task.id,
        "etag": f'"{int(task.updated.timestamp() * 1000)}"',
        "title": task.fields.get("title", ""),
        "updated": _rfc3339(task.updated),
        "selfLink": f"https://www.googleapis.com/tasks/v1/lists/{list_id}/tasks/{task.id}",
        "position": f"{task.position:020d}",
        "status": task.fields.get("status", "needsAction"),
        "links": [],
        "webViewLink": f"https://tasks.google.com/task/{task.id}",
    }
    for key in ("notes", "due"):
        if task.fields.get(key) is not None:
            shown[key] = task.fields[key]
    if task.completed is not None:
        shown["completed"] = _rfc3339(task.completed)
    if task.deleted:
        shown["deleted"] = True
    return shown


def list_json(found: TaskList) -> dict[str, Any]:
    return {
        "kind": "tasks#taskList",
        "id": found.id,
        "etag": f'"{int(found.updated.timestamp() * 1000)}"',
        "title": found.title,
        "updated": _rfc3339(found.updated),
        "selfLink": f"https://www.googleapis.com/tasks/v1/users/@me/lists/{found.id}",
    }


def create_blueprint(store_of: Callable[[], TaskStore]) -> Blueprint:
    api = Blueprint("tasks", __name__, url_prefix="/tasks/v1")

    @api.get("/users/@me/lists")
    def list_lists() -> Response:
        store = store_of()
        with store.lock:
            items = [list_json(found) for found in store.lists.values()]
        return jsonify(kind="tasks#taskLists", etag='"lists"', items=items)

    @api.post("/users/@me/lists")
    def insert_list() -> Response:
        store = store_of()
        with store.lock:
            return jsonify(list_json(store.add_list(str(json_body().get("title", "")))))

    @api.delete("/users/@me/lists/<list_id>")
    def delete_list(list_id: str) -> tuple[str, int]:
        store = store_of()
        with store.lock:
            store.task_list(list_id)
            del store.lists[list_id]
        return "", 204

    @api.get("/lists/<list_id>/tasks")
    def list_tasks(list_id: str) -> Response:
        store = store_of()
        size = bounded_int("maxResults", 20, 1, 100)
        start = page_start()
        since = request.args.get("updatedMin")
        updated_min = _parse_time(since, "updatedMin") if since else None
        show_deleted = request.args.get("showDeleted") == "true"
        show_completed = request.args.get("showCompleted", "true") != "false"
        with store.lock:
            chosen = [
                task
                for task in sorted(
                    store.task_list(list_id).tasks.values(), key=lambda t: t.position
                )
                if (show_deleted or not task.deleted)
                and (show_completed or task.fields.get("status") != "completed")
                and (updated_min is None or task.updated >= updated_min)
            ]
            page = chosen[start : start + size]
            answer: dict[str, Any] = {
                "kind": "tasks#tasks",
                "etag": f'"{len(chosen)}"',
                "items": [task_json(list_id, task) for task in page],
            }
        if start + size < len(chosen):
            answer["nextPageToken"] = str(start + size)
        return jsonify(answer)

    @api.get("/lists/<list_id>/tasks/<task_id>")
    def get_task(list_id: str, task_id: str) -> Response:
        store = store_of()
        with store.lock:
            return jsonify(task_json(list_id, store.task(list_id, task_id)))

    @api.post("/lists/<list_id>/tasks")
    def insert_task(list_id: str) -> Response:
        store = store_of()
        with store.lock:
            return jsonify(task_json(list_id, store.insert(list_id, json_body())))

    @api.patch("/lists/<list_id>/tasks/<task_id>")
    def patch_task(list_id: str, task_id: str) -> Response:
        store = store_of()
        with store.lock:
            return jsonify(task_json(list_id, store.patch(list_id, task_id, json_body())))

    @api.delete("/lists/<list_id>/tasks/<task_id>")
    def delete_task(list_id: str, task_id: str) -> tuple[str, int]:
        store = store_of()
        with store.lock:
            store.delete(list_id, task_id)
        return "", 204

    return api

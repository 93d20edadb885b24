"""The Calendar API v3 events of a user's primary calendar (``/calendar/v3/calendars/...``).

Events are listed, read, created, patched (``colorId`` among the rest) and deleted. A list
answers a ``nextSyncToken``; given back as ``syncToken``, the next list holds only the events
changed since (deleted ones as ``status: cancelled``). Tokens can be expired by the test
(:meth:`Calendar.expire_sync_tokens`), after which they are 410 ``fullSyncRequired``, as Google
answers a token it no longer honours. Answers follow the discovery document's ``Event`` and
``Events`` schemas.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from emulators.google.changes import ChangeLog
from emulators.google.errors import GoogleError, invalid, not_found
from emulators.google.params import bounded_int, json_body, page_start

CALENDAR_LINK = "https://www.google.com/calendar/event?eid="
COLOR_IDS = frozenset(str(n) for n in range(1, 12))
"""Event colours "1" to "11" ("11" is Tomato, the red)."""
WRITABLE = frozenset(
    {"summary", "description", "location", "start", "end", "attendees", "colorId",
     "extendedProperties", "transparency", "visibility", "reminders"}
)  # fmt: skip
SYNC_TOKEN_GONE = "Sync token is no longer valid, a full sync is required."
NOT_WITH_SYNC_TOKEN = ("iCalUID", "orderBy", "privateExtendedProperty", "q",
                       "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin")  # fmt: skip


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class CalendarEvent:
    id: str
    fields: dict[str, Any]
    created: str
    updated: str
    sequence: int = 0
    cancelled: bool = False
    change: int = 0


@dataclass
class Calendar:
    """One user's primary calendar."""

    owner: str
    events: dict[str, CalendarEvent] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.changes = ChangeLog(GoogleError(410, "fullSyncRequired", SYNC_TOKEN_GONE, "GONE"))
        self.lock = threading.RLock()

    def insert(self, body: dict[str, Any]) -> CalendarEvent:
        _check(body, creating=True)
        stamp = _now()
        event = CalendarEvent(secrets.token_hex(13), _writable(body), stamp, stamp)
        self.events[event.id] = event
        self._touch(event)
        return event

    def get(self, event_id: str) -> CalendarEvent:
        event = self.events.get(event_id)
        if event is None or event.cancelled:
            raise not_found()
        return event

    def patch(self, event_id: str, body: dict[str, Any]) -> CalendarEvent:
        event = self.get(event_id)
        _check(body, creating=False)
        for key, value in _writable(body).items():
            if value is None:  # null clears a field, as in Google's patch semantics
                event.fields.pop(key, None)
            else:
                event.fields[key] = value
        event.sequence += 1
        event.updated = _now()
        self._touch(event)
        return event

    def delete(self, event_id: str) -> None:
        event = self.events.get(event_id)
        if event is None:
            raise not_found()
        if event.cancelled:
            raise GoogleError(410, "deleted", "Resource has been deleted")
        event.cancelled = True
        event.updated = _now()
        self._touch(event)

    def expire_sync_tokens(self) -> None:
        """Every sync token handed out so far is refused from now on (410)."""
        self.changes.expire()

    def _touch(self, event: CalendarEvent) -> None:
        event.change = self.changes.next()


def _writable(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key in WRITABLE}


def _check(body: dict[str, Any], *, creating: bool) -> None:
    if creating and not ({"start", "end"} <= body.keys()):
        raise invalid("Missing end time." if "start" in body else "Missing start time.")
    color = body.get("colorId")
    if color is not None and str(color) not in COLOR_IDS:
        raise invalid("Invalid color id.")
    for edge in ("start", "end"):
        moment = body.get(edge)
        if moment is not None and not (isinstance(moment, dict) and
                                       ("dateTime" in moment or "date" in moment)):  # fmt: skip
            raise invalid(f"Invalid {edge} time.")


def event_link_id(event_id: str, calendar_id: str) -> str:
    """The ``eid`` of Calendar's web links: event and calendar id, base64url, unpadded."""
    return base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")


def event_json(calendar: Calendar, event: CalendarEvent) -> dict[str, Any]:
    etag = hashlib.sha1(f"{event.id}:{event.change}".encode()).hexdigest()[:16]
    shown: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": f'"{int(etag, 16)}"',
        "id": event.id,
        "status": "cancelled" if event.cancelled else "confirmed",
    }
    if event.cancelled:
        return shown
    return {
        **shown,
        "htmlLink": CALENDAR_LINK + event_link_id(event.id, calendar.owner),
        "created": event.created,
        "updated": event.updated,
        "creator": {"email": calendar.owner, "self": True},
        "organizer": {"email": calendar.owner, "self": True},
        "iCalUID": f"{event.id}@google.com",
        "sequence": event.sequence,
        "eventType": "default",
        **event.fields,
    }


def create_blueprint(calendar_of: Callable[[], Calendar]) -> Blueprint:
    """Calendar events of the caller's primary calendar (``primary`` or their address)."""
    api = Blueprint("calendar", __name__, url_prefix="/calendar/v3/calendars/<calendar_id>")

    @api.url_value_preprocessor
    def take_calendar_id(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.calendar_id = (values or {}).pop("calendar_id", "")

    def calendar() -> Calendar:
        found = calendar_of()
        if g.calendar_id not in ("primary", found.owner):
            raise not_found()
        return found

    @api.get("/events")
    def list_events() -> Response:
        found = calendar()
        token = request.args.get("syncToken")
        if token and any(name in request.args for name in NOT_WITH_SYNC_TOKEN):
            raise invalid("Sync token cannot be used with other filtering parameters.")
        size = bounded_int("maxResults", 250, 1, 2500)
        start = page_start()
        marked = request.args.getlist("privateExtendedProperty")
        with found.lock:
            since = found.changes.since(token) if token else None
            show_deleted = since is not None or request.args.get("showDeleted") == "true"
            chosen = [
                event
                for event in sorted(found.events.values(), key=lambda e: e.change)
                if (since is None or event.change > since)
                and (show_deleted or not event.cancelled)
                and all(_has_private(event, pair) for pair in marked)
            ]
            page = chosen[start : start + size]
            answer: dict[str, Any] = {
                "kind": "calendar#events",
                "etag": f'"{found.changes.last}"',
                "summary": found.owner,
                "updated": _now(),
                "timeZone": "UTC",
                "accessRole": "owner",
                "defaultReminders": [],
                "items": [event_json(found, event) for event in page],
            }
            if start + size < len(chosen):
                answer["nextPageToken"] = str(start + size)
            else:
                answer["nextSyncToken"] = found.changes.token()
        return jsonify(answer)

    @api.get("/events/<event_id>")
    def get_event(event_id: str) -> Response:
        found = calendar()
        with found.lock:
            return jsonify(event_json(found, found.get(event_id)))

    @api.post("/events")
    def insert_event() -> Response:
        found = calendar()
        with found.lock:
            return jsonify(event_json(found, found.insert(json_body())))

    @api.patch("/events/<event_id>")
    def patch_event(event_id: str) -> Response:
        found = calendar()
        with found.lock:
            return jsonify(event_json(found, found.patch(event_id, json_body())))

    @api.delete("/events/<event_id>")
    def delete_event(event_id: str) -> tuple[str, int]:
        found = calendar()
        with found.lock:
            found.delete(event_id)
        return "", 204

    return api


def _has_private(event: CalendarEvent, pair: str) -> bool:
    name, _, value = pair.partition("=")
    private = (event.fields.get("extendedProperties") or {}).get("private") or {}
    return private.get(name) == value

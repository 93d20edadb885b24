"""Appointments through the Calendar API: the events of the primary calendar marked with the
private property ``ssiSync=1``.

The cursor is the Calendar sync token; an expired one (410) gives a full read. A failing event
turns Tomato (``colorId`` "11") and keeps its own colour in a private property, restored when it
is fixed. Google checks no change key for events: an update reads the event first and refuses
with :class:`ChangedMeanwhile` when its etag moved. Attendees are never told of our writes.
"""

from __future__ import annotations

from typing import Any

from googleapiclient.errors import HttpError

from backend.mailbox.base import (
    AppointmentRecord,
    ChangedMeanwhile,
    Changes,
    ItemRecord,
    ItemRef,
)
from backend.mailbox.gmail import records as google_records
from backend.mailbox.gmail.part import ApiPart
from backend.models.types import ItemType

MARK, COLOUR_KEPT, TOMATO = "ssiSync", "ssiSyncColor", "11"
"""The private event property that selects an event, the one keeping its colour, and red."""
PRIMARY = "primary"


class CalendarEvents(ApiPart):
    """The mailbox's appointments: marked events of the primary calendar."""

    def changes(self, item_type: ItemType, cursor: str | None) -> Changes:
        lost = False
        if cursor:
            try:
                return self._since(cursor)
            except HttpError as error:
                if error.resp.status != 410:
                    raise
                lost = True  # the sync token expired
        events, token = self._pages({})
        marked = tuple(
            google_records.appointment_record(event)
            for event in events
            if event.get("status") != "cancelled" and _marked(event)
        )
        return Changes(ItemType.APPOINTMENT, marked, (), token, True, cursor_lost=lost)

    def _since(self, cursor: str) -> Changes:
        events, token = self._pages({"syncToken": cursor})
        upserted, deleted, deselected = [], [], []
        for event in events:
            if event.get("status") == "cancelled":
                deleted.append(event["id"])
            elif _marked(event):
                upserted.append(google_records.appointment_record(event))
            else:
                deselected.append(event["id"])
        return Changes(ItemType.APPOINTMENT, tuple(upserted), tuple(deleted), token, False,
                       tuple(deselected))  # fmt: skip

    def _pages(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        events = self._clients.api.events
        found: list[dict[str, Any]] = []
        token = ""
        request = events.list(calendarId=PRIMARY, maxResults=250, **params)
        while request is not None:
            answer = self._clients.run(request)
            found += answer.get("items", [])
            token = answer.get("nextSyncToken", token)
            request = events.list_next(request, answer)
        return found, token

    def _event(self, event_id: str) -> dict[str, Any]:
        return self._clients.run(self._clients.api.events.get(calendarId=PRIMARY, eventId=event_id))

    def get(self, item_type: ItemType, item_id: str) -> ItemRecord:
        return google_records.appointment_record(self._event(item_id))

    # -- writing ------------------------------------------------------------------------------

    def create(self, item_type: ItemType, record: ItemRecord) -> ItemRef:
        """Create the event, marked, in the primary calendar."""
        assert isinstance(record, AppointmentRecord)
        body = {**google_records.event_body(record),
                "extendedProperties": {"private": {MARK: "1"}}}  # fmt: skip
        created = self._patching("insert", body=body)
        return ItemRef(created["id"], created["etag"])

    def update(self, item_type: ItemType, record: ItemRecord, change_key: str) -> ItemRef:
        """Patch the event unless it changed since ``change_key`` (Google checks none)."""
        assert isinstance(record, AppointmentRecord) and record.id is not None
        if self._event(record.id).get("etag") != change_key:
            raise ChangedMeanwhile(f"the event {record.id} changed since it was read")
        done = self._patching("patch", eventId=record.id, body=google_records.event_body(record))
        return ItemRef(done["id"], done["etag"])

    def delete(self, item_type: ItemType, item_id: str) -> None:
        self._patching("delete", eventId=item_id)

    def set_markers(self, item_type: ItemType, item_id: str) -> None:
        self._recolour(item_id, mark=True)

    def clear_markers(self, item_type: ItemType, item_id: str) -> None:
        self._recolour(item_id, mark=False)

    def _recolour(self, item_id: str, *, mark: bool) -> None:
        """Tomato while failing, keeping the event's own colour (or none) to restore later."""
        event = self._event(item_id)
        private = dict((event.get("extendedProperties") or {}).get("private") or {})
        if mark == (COLOUR_KEPT in private):
            return
        if mark:
            private[COLOUR_KEPT] = event.get("colorId") or "none"
            colour: str | None = TOMATO
        else:
            kept = private.pop(COLOUR_KEPT)
            colour = None if kept == "none" else kept
        shared = (event.get("extendedProperties") or {}).get("shared")
        properties = {"private": private, **({"shared": shared} if shared else {})}
        body = {"colorId": colour, "extendedProperties": properties}
        self._patching("patch", eventId=item_id, body=body)

    def select_for_sync(self, item_type: ItemType, item_id: str) -> None:
        """Mark the event so that it syncs."""
        event = self._event(item_id)
        properties = dict(event.get("extendedProperties") or {})
        properties["private"] = {**(properties.get("private") or {}), MARK: "1"}
        self._patching("patch", eventId=item_id, body={"extendedProperties": properties})

    def _patching(self, method: str, **params: Any) -> Any:
        """A write to the primary calendar that never notifies attendees."""
        call = getattr(self._clients.api.events, method)
        return self._clients.run(call(calendarId=PRIMARY, sendUpdates="none", **params))


def _marked(event: dict[str, Any]) -> bool:
    private = (event.get("extendedProperties") or {}).get("private") or {}
    return private.get(MARK) == "1"

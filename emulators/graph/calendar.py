"""Outlook calendar: ``/calendar``, ``/events`` (and ``/calendar/events``) and
``/calendarView/delta``.

Times are answered in UTC (``Prefer: outlook.timezone`` is not honoured); a body may give them
in UTC or an IANA zone. Graph has no switch to keep Exchange from mailing attendees, so the
emulator records each meeting message it would send in ``store.notifications``: an invitation
when an event with attendees is created, an update when its organizer sends any meeting
property (subject, times, location, body, attendees...: sending one counts, changed or not),
a cancellation when the organizer deletes it. Per-user properties (``categories``,
``showAs``, reminders, ``sensitivity``) send nothing. ``$select`` is refused on the calendar
view delta, as Graph v1.0 does not support it there.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, g

from emulators.graph import items
from emulators.graph.delta import delta
from emulators.graph.errors import bad_request, not_convertible
from emulators.graph.mailbox import Item, Mailbox
from emulators.graph.odata import METADATA, answer
from emulators.graph.schema import ItemType, date_time_zone, parse_time, preview

MEETING = frozenset(
    {"subject", "start", "end", "location", "locations", "body", "attendees", "isAllDay",
     "recurrence", "isOnlineMeeting", "onlineMeetingProvider"}
)  # fmt: skip
"""What attendees are told about when the organizer changes it."""
NEVER = "0001-01-01T00:00:00Z"


def _attendee(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict) or not isinstance(entry.get("emailAddress"), dict):
        raise not_convertible(entry, "microsoft.graph.attendee")
    address = entry["emailAddress"]
    return {
        "type": entry.get("type", "required"),
        "status": {"response": "none", "time": NEVER},
        "emailAddress": {"name": address.get("name") or address.get("address"),
                         "address": address.get("address")},
    }  # fmt: skip


def _addresses(attendees: list[dict[str, Any]]) -> list[str]:
    return [a["emailAddress"]["address"] for a in attendees]


class EventType(ItemType):
    name = "event"
    common = ("createdDateTime", "lastModifiedDateTime", "changeKey", "categories")
    properties = {  # noqa: RUF012
        "transactionId": None, "originalStartTimeZone": "UTC", "originalEndTimeZone": "UTC",
        "iCalUId": None, "reminderMinutesBeforeStart": 15, "isReminderOn": True,
        "hasAttachments": False, "subject": "", "bodyPreview": "", "importance": "normal",
        "sensitivity": "normal", "isAllDay": False, "isCancelled": False, "isOrganizer": True,
        "responseRequested": True, "seriesMasterId": None, "showAs": "busy",
        "type": "singleInstance", "webLink": None, "onlineMeetingUrl": None,
        "isOnlineMeeting": False, "onlineMeetingProvider": "unknown",
        "allowNewTimeProposals": True, "isDraft": False, "hideAttendees": False,
        "responseStatus": {"response": "organizer", "time": NEVER},
        "body": {"contentType": "html", "content": ""}, "start": None, "end": None,
        "location": {"displayName": "", "locationType": "default", "uniqueIdType": "unknown",
                     "address": {}, "coordinates": {}},
        "locations": [], "recurrence": None, "attendees": [], "organizer": None,
        "onlineMeeting": None,
    }  # fmt: skip
    writable = frozenset(
        {"transactionId", "reminderMinutesBeforeStart", "isReminderOn", "subject",
         "importance", "sensitivity", "isAllDay", "responseRequested", "showAs",
         "isOnlineMeeting", "onlineMeetingProvider", "allowNewTimeProposals", "hideAttendees",
         "body", "start", "end", "location", "locations", "recurrence", "attendees"}
    )  # fmt: skip
    complex_values = frozenset({"start", "end", "recurrence"})
    enums = {  # noqa: RUF012
        "showAs": ("microsoft.graph.freeBusyStatus",
                   ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")),
        "importance": ("microsoft.graph.importance", ("low", "normal", "high")),
        "sensitivity": ("microsoft.graph.sensitivity",
                        ("normal", "personal", "private", "confidential")),
    }  # fmt: skip

    def adjust(self, changes: dict[str, Any], item: Item | None, mailbox: Mailbox) -> None:
        for name in ("start", "end"):
            if name in changes:
                zone = (changes[name] or {}).get("timeZone") or "UTC"
                changes[name] = date_time_zone(changes[name], name)
                changes[f"original{name.title()}TimeZone"] = zone
        current = item.fields if item is not None else {}
        start, end = (
            changes.get("start", current.get("start")),
            changes.get("end", current.get("end")),
        )
        if start is None or end is None:
            raise bad_request("An event needs both a start and an end.", "ErrorInvalidRequest")
        if parse_time(end["dateTime"]) < parse_time(start["dateTime"]):
            raise bad_request(
                "The end of an event can't be before its start.", "ErrorInvalidRequest"
            )
        if "attendees" in changes:
            changes["attendees"] = [_attendee(entry) for entry in changes["attendees"]]
        if "body" in changes:
            changes["bodyPreview"] = preview(changes["body"])
        if isinstance(changes.get("location"), dict):
            shown = changes["location"].get("displayName") or ""
            changes["location"] = {**self.properties["location"], "displayName": shown}
            changes["locations"] = [changes["location"]] if shown else []
        if item is None:
            changes["iCalUId"] = "040000008200E00074C5B7101A82E00800000000" + secrets.token_hex(28)
            owner = {"name": mailbox.display_name, "address": mailbox.address}
            changes["organizer"] = {"emailAddress": owner}

    def computed(self, item: Item, mailbox: Mailbox) -> dict[str, Any]:
        return {
            "webLink": f"https://outlook.office365.com/owa/?itemid={quote(item.id, safe='')}"
            "&exvsurl=1&path=/calendar/item"
        }

    def after_create(self, item: Item, mailbox: Mailbox) -> None:
        if item.fields.get("attendees"):
            mailbox.announce("invitation", item.id, _addresses(item.fields["attendees"]))

    def after_update(
        self, item: Item, sent: dict[str, Any], before: dict[str, Any], mailbox: Mailbox
    ) -> None:
        told = _addresses(before.get("attendees", [])) + _addresses(
            item.fields.get("attendees", [])
        )
        if item.fields.get("isOrganizer", True) and told and MEETING & set(sent):
            mailbox.announce("update", item.id, list(dict.fromkeys(told)))

    def before_delete(self, item: Item, mailbox: Mailbox) -> None:
        if item.fields.get("isOrganizer", True) and item.fields.get("attendees"):
            mailbox.announce("cancellation", item.id, _addresses(item.fields["attendees"]))


EVENT = EventType()


def render_calendar(mailbox: Mailbox) -> dict[str, Any]:
    calendar = mailbox.default_folder("calendar")
    return {
        "@odata.context": f"{METADATA}users('{mailbox.user_id}')/calendar/$entity",
        "id": calendar.id,
        "name": calendar.display_name,
        "color": "auto",
        "hexColor": "",
        "isDefaultCalendar": True,
        "changeKey": calendar.change_key,
        "canShare": True,
        "canViewPrivateItems": True,
        "canEdit": True,
        "allowedOnlineMeetingProviders": ["teamsForBusiness"],
        "defaultOnlineMeetingProvider": "teamsForBusiness",
        "isTallyingResponses": True,
        "isRemovable": False,
        "owner": {"name": mailbox.display_name, "address": mailbox.address},
    }


def create_blueprint() -> Blueprint:
    calendar = Blueprint("calendar", __name__)

    def event(item_id: str) -> Item:
        return g.mailbox.item("event", item_id)

    @calendar.get("/calendar")
    def get_calendar() -> Response:
        return answer(render_calendar(g.mailbox))

    items.add_collection_routes(
        calendar,
        EVENT,
        ("/events", "/calendar/events"),
        lambda: g.mailbox.default_folder("calendar"),
        with_delta=False,
    )

    @calendar.get("/calendarView/delta")
    @calendar.get("/calendarView/delta()")
    def calendar_view_delta() -> Response:
        folder = g.mailbox.default_folder("calendar")
        return delta(EVENT, {folder.id}, "calendarView", calendar=True)

    items.add_item_routes(
        calendar, EVENT, ("/events/<item_id>", "/calendar/events/<item_id>"), event
    )
    return calendar

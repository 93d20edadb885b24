"""Events in the Graph emulator and the meeting messages Exchange would send for them."""

from __future__ import annotations

from emulators.graph import GraphEmulator
from tests.emulators.graph.conftest import ADDRESS, Graph

VISIT = {
    "subject": "Visit at Fabrikam",
    "body": {"contentType": "html", "content": "<p>Agenda: renewal</p>"},
    "start": {"dateTime": "2026-12-01T09:00:00", "timeZone": "UTC"},
    "end": {"dateTime": "2026-12-01T10:00:00", "timeZone": "UTC"},
    "location": {"displayName": "Redmond"},
    "attendees": [{"type": "required", "emailAddress": {"address": "jane@fabrikam.test"}}],
}


def kinds(emulator: GraphEmulator) -> list[str]:
    return [note["kind"] for note in emulator.store.notifications]


def test_an_event_has_graphs_shape(graph: Graph) -> None:
    event = graph.ok("POST", "/me/calendar/events", json=VISIT)
    assert event["organizer"] == {"emailAddress": {"name": "Gina Miller", "address": ADDRESS}}
    assert event["attendees"] == [{
        "type": "required",
        "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
        "emailAddress": {"name": "jane@fabrikam.test", "address": "jane@fabrikam.test"},
    }]  # fmt: skip
    assert (
        event["bodyPreview"] == "Agenda: renewal" and event["location"]["displayName"] == "Redmond"
    )
    assert (event["type"], event["isOrganizer"], event["showAs"]) == (
        "singleInstance",
        True,
        "busy",
    )
    assert event["iCalUId"] and event["webLink"].startswith("https://outlook.office365.com/")
    assert graph.ok("GET", f"/me/events/{event['id']}")["subject"] == "Visit at Fabrikam"
    assert graph.ok("GET", "/me/calendar")["isDefaultCalendar"] is True


def test_meeting_messages_go_out_on_invite_update_and_delete_only(
    emulator: GraphEmulator, graph: Graph
) -> None:
    alone = graph.ok("POST", "/me/events", json={**VISIT, "attendees": []})
    graph.ok("PATCH", f"/me/events/{alone['id']}", json={"subject": "Just me"})
    assert emulator.store.notifications == []

    event = graph.ok("POST", "/me/events", json=VISIT)
    assert emulator.store.notifications == [{
        "kind": "invitation", "mailbox": ADDRESS, "event_id": event["id"],
        "to": ["jane@fabrikam.test"],
    }]  # fmt: skip
    path = f"/me/events/{event['id']}"
    graph.ok("PATCH", path, json={"categories": ["SAP", "SAP Synced"], "showAs": "free"})
    graph.ok("PATCH", path, json={"isReminderOn": False, "reminderMinutesBeforeStart": 5})
    assert kinds(emulator) == ["invitation"]
    graph.ok("PATCH", path, json={"subject": "Visit at Fabrikam (moved)"})
    assert kinds(emulator) == ["invitation", "update"]
    assert graph.call("DELETE", path).status_code == 204
    assert kinds(emulator) == ["invitation", "update", "cancellation"]

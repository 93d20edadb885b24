"""Calendar events in the Google emulator, driven by google-api-python-client; answers checked
against the discovery document's schemas."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from emulators.google import GoogleEmulator
from tests.emulators.google.conftest import reason
from tests.fixtures.google import ADDRESS, TOKEN
from tests.support.discovery import check_response, service

MARK = {"private": {"ssiSync": "1"}}


@pytest.fixture
def events(google: GoogleEmulator):
    return service(google.url, "calendar", "v3", TOKEN).events()


def checked(method: str, request) -> dict:
    return check_response("calendar.v3", method, request.execute())


def meeting(summary: str, **extra) -> dict:
    return {"summary": summary, "start": {"dateTime": "2026-12-01T10:00:00Z"},
            "end": {"dateTime": "2026-12-01T11:00:00Z"}, **extra}  # fmt: skip


def test_events_are_created_read_coloured_and_listed_by_mark(events) -> None:
    jane = [{"email": "jane@fabrikam.test"}]
    body = meeting("Visit Fabrikam", extendedProperties=MARK, attendees=jane)
    visit = checked("events.insert", events.insert(calendarId="primary", body=body))
    events.insert(calendarId="primary", body=meeting("Dentist")).execute()
    marked = checked("events.list", events.list(calendarId="primary",
                                               privateExtendedProperty="ssiSync=1"))  # fmt: skip
    assert [e["summary"] for e in marked["items"]] == ["Visit Fabrikam"]
    red = checked("events.patch", events.patch(calendarId="primary", eventId=visit["id"],
                                               body={"colorId": "11"}))  # fmt: skip
    assert (red["colorId"], red["summary"], red["sequence"]) == ("11", "Visit Fabrikam", 1)
    read = checked("events.get", events.get(calendarId="primary", eventId=visit["id"]))
    assert read["attendees"] == jane
    for body, why in (({"colorId": "12"}, "no such colour"), ({"start": "noon"}, "bad start")):
        with pytest.raises(HttpError) as raised:
            events.patch(calendarId="primary", eventId=visit["id"], body=body).execute()
        assert reason(raised.value) == (400, "invalidArgument"), why
    with pytest.raises(HttpError) as raised:
        events.insert(calendarId="primary", body={"summary": "No time"}).execute()
    assert reason(raised.value) == (400, "invalidArgument")


def test_sync_tokens_give_changes_and_deletions_and_expire_with_410(google, events) -> None:
    first = events.insert(calendarId="primary", body=meeting("One")).execute()
    full = checked("events.list", events.list(calendarId="primary"))
    token = full["nextSyncToken"]
    second = events.insert(calendarId="primary", body=meeting("Two")).execute()
    events.delete(calendarId="primary", eventId=first["id"]).execute()

    changed = checked("events.list", events.list(calendarId="primary", syncToken=token))
    assert [(e["id"], e["status"]) for e in changed["items"]] == [
        (second["id"], "confirmed"), (first["id"], "cancelled"),
    ]  # fmt: skip
    quiet = events.list(calendarId="primary", syncToken=changed["nextSyncToken"]).execute()
    assert quiet["items"] == []
    with pytest.raises(HttpError) as raised:
        events.list(calendarId="primary", syncToken=token, q="x").execute()
    assert reason(raised.value) == (400, "invalidArgument")
    with pytest.raises(HttpError) as raised:
        events.get(calendarId="primary", eventId=first["id"]).execute()
    assert reason(raised.value) == (404, "notFound")

    google.store.calendars[ADDRESS].expire_sync_tokens()
    with pytest.raises(HttpError) as raised:
        events.list(calendarId="primary", syncToken=quiet["nextSyncToken"]).execute()
    assert reason(raised.value) == (410, "fullSyncRequired")

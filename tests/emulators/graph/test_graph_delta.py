"""Delta queries in the Graph emulator: paged first rounds, rounds of changes since a delta
link, removals, expired tokens and the calendar view's window."""

from __future__ import annotations

from typing import Any

from emulators.graph import GraphEmulator
from tests.emulators.graph.conftest import ADDRESS, Graph, error_of


def rounds(graph: Graph, url: str, page_size: int = 2) -> tuple[list[list[dict]], str]:
    """Every page of a delta round and its delta link."""
    pages: list[list[dict[str, Any]]] = []
    headers = {"Prefer": f"odata.maxpagesize={page_size}"}
    while True:
        answer = graph.call("GET", url, headers=headers)
        body = answer.json()
        assert answer.status_code == 200, body
        assert answer.headers["Preference-Applied"] == f"odata.maxpagesize={page_size}"
        pages.append(body["value"])
        if "@odata.deltaLink" in body:
            return pages, body["@odata.deltaLink"]
        url = body["@odata.nextLink"]
        assert url.startswith(graph.emulator.url + "/v1.0/me/")


def test_contacts_delta_pages_then_answers_only_what_changed(graph: Graph) -> None:
    folder = graph.ok("POST", "/me/contactFolders", json={"displayName": "SAP Contacts"})["id"]
    contacts = f"/me/contactFolders/{folder}/contacts"
    made = [graph.ok("POST", contacts, json={"givenName": f"P{n}"}) for n in range(5)]
    graph.ok("POST", "/me/contacts", json={"givenName": "Elsewhere"})

    pages, delta_link = rounds(graph, f"{contacts}/delta")
    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(c["givenName"] for page in pages for c in page) == [f"P{n}" for n in range(5)]
    assert "$deltatoken=" in delta_link

    graph.ok("PATCH", f"/me/contacts/{made[0]['id']}", json={"surname": "One"})
    graph.ok("PATCH", f"/me/contacts/{made[0]['id']}", json={"surname": "Two"})
    graph.call("DELETE", f"/me/contacts/{made[1]['id']}")
    graph.ok("POST", contacts, json={"givenName": "New"})
    pages, delta_link = rounds(graph, delta_link, page_size=10)
    changes = pages[0]
    assert [c.get("surname") or c.get("givenName") for c in changes if "@removed" not in c] == [
        "Two", "New",
    ]  # fmt: skip
    assert {"@odata.type": "#microsoft.graph.contact", "id": made[1]["id"],
            "@removed": {"reason": "deleted"}} in changes  # fmt: skip
    assert rounds(graph, delta_link)[0] == [[]]


def test_an_expired_or_foreign_token_must_be_dropped(emulator: GraphEmulator, graph: Graph) -> None:
    _, delta_link = rounds(graph, "/me/contactFolders/contacts/contacts/delta")
    emulator.store.expire_delta_tokens()
    gone = graph.call("GET", delta_link)
    assert error_of(gone) == (410, "SyncStateNotFound")
    assert gone.json()["error"]["message"].startswith("The sync state generation is not found")
    garbage = graph.call("GET", "/me/contactFolders/contacts/contacts/delta?$deltatoken=abc")
    assert error_of(garbage)[0] == 400
    assert rounds(graph, "/me/contactFolders/contacts/contacts/delta")[0] == [[]]


def test_messages_delta_keeps_select_and_the_received_filter_in_its_links(
    emulator: GraphEmulator, graph: Graph
) -> None:
    mailbox = emulator.store.find_mailbox(ADDRESS)
    for n in range(3):
        mailbox.receive(f"Mail {n}", "jane@fabrikam.test", categories=["SAP"])
    url = "/me/mailFolders/inbox/messages/delta?$select=subject,categories"
    pages, delta_link = rounds(graph, url)
    entries = [m for page in pages for m in page]
    assert {tuple(sorted(m)) for m in entries} == {("@odata.etag", "categories", "id", "subject")}
    moved = mailbox.items[entries[0]["id"]]
    mailbox.move(moved, mailbox.folder("mailFolder", "archive").id)
    mailbox.receive("Later", "jane@fabrikam.test")
    changes = rounds(graph, delta_link)[0][0]
    assert {"@odata.type": "#microsoft.graph.message", "id": moved.id,
            "@removed": {"reason": "changed"}} in changes  # fmt: skip
    assert [m["subject"] for m in changes if "subject" in m] == ["Later"]
    future = "/me/mailFolders/inbox/messages/delta?$filter=receivedDateTime ge 2999-01-01T00:00:00Z"
    assert rounds(graph, future)[0] == [[]]


def test_calendar_view_delta_needs_a_window_and_keeps_to_it(graph: Graph) -> None:
    def event(subject: str, day: int) -> dict[str, Any]:
        start = {"dateTime": f"2026-12-{day:02d}T09:00:00", "timeZone": "UTC"}
        end = {"dateTime": f"2026-12-{day:02d}T10:00:00", "timeZone": "UTC"}
        return graph.ok("POST", "/me/events", json={"subject": subject, "start": start, "end": end})

    inside, outside = event("Inside", 2), event("Outside", 20)
    missing = graph.call("GET", "/me/calendarView/delta?startDateTime=2026-12-01T00:00:00Z")
    assert error_of(missing) == (400, "ErrorInvalidParameter")
    window = "startDateTime=2026-12-01T00:00:00Z&endDateTime=2026-12-08T00:00:00Z"
    assert graph.call("GET", f"/me/calendarView/delta?{window}&$select=subject").status_code == 400
    pages, delta_link = rounds(graph, f"/me/calendarView/delta?{window}")
    assert [e["id"] for page in pages for e in page] == [inside["id"]]
    assert inside["start"] == {"dateTime": "2026-12-02T09:00:00.0000000", "timeZone": "UTC"}
    start = {"dateTime": "2026-12-03T09:00:00", "timeZone": "Europe/Berlin"}
    end = {"dateTime": "2026-12-03T10:00:00", "timeZone": "Europe/Berlin"}
    graph.ok("PATCH", f"/me/events/{outside['id']}", json={"start": start, "end": end})
    changes = rounds(graph, delta_link)[0][0]
    assert [(e["subject"], e["start"]["dateTime"]) for e in changes] == [
        ("Outside", "2026-12-03T08:00:00.0000000"),
    ]  # fmt: skip


def test_to_do_tasks_delta_reports_completed_and_deleted_tasks(graph: Graph) -> None:
    tasks = f"/me/todo/lists/{graph.ok('GET', '/me/todo/lists')['value'][0]['id']}/tasks"
    first = graph.ok("POST", tasks, json={"title": "First"})
    second = graph.ok("POST", tasks, json={"title": "Second"})
    _, delta_link = rounds(graph, f"{tasks}/delta")
    graph.ok("PATCH", f"{tasks}/{first['id']}", json={"status": "completed"})
    graph.call("DELETE", f"{tasks}/{second['id']}")
    changes = rounds(graph, delta_link)[0][0]
    assert [(t["id"], t.get("status"), t.get("@removed")) for t in changes] == [
        (first["id"], "completed", None), (second["id"], None, {"reason": "deleted"}),
    ]  # fmt: skip


def test_delta_as_an_odata_function_call_answers_as_the_path_segment_does(graph: Graph) -> None:
    """Microsoft's Graph SDK asks ``.../delta()``; Graph answers it like ``.../delta``."""
    graph.ok("POST", "/me/contacts", json={"givenName": "Fn"})
    start = {"dateTime": "2026-12-02T09:00:00", "timeZone": "UTC"}
    end = {"dateTime": "2026-12-02T10:00:00", "timeZone": "UTC"}
    graph.ok("POST", "/me/events", json={"subject": "Fn", "start": start, "end": end})
    window = "startDateTime=2026-12-01T00:00:00Z&endDateTime=2026-12-08T00:00:00Z"
    for path in ("/me/contacts/delta", "/me/mailFolders/inbox/messages/delta",
                 f"/me/calendarView/delta?{window}"):  # fmt: skip
        segment, function = path, path.replace("/delta", "/delta()")
        as_segment, as_function = rounds(graph, segment)[0], rounds(graph, function)[0]
        assert as_function == as_segment, path
    assert rounds(graph, "/me/contacts/delta()")[0][0][0]["givenName"] == "Fn"
    odd = graph.call("GET", "/me/contacts/delta(x)")
    assert error_of(odd)[0] in (400, 404)

"""Tasks in the Google emulator, driven by google-api-python-client; answers checked against
the discovery document's schemas."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from googleapiclient.errors import HttpError

from emulators.google import GoogleEmulator
from tests.emulators.google.conftest import reason
from tests.fixtures.google import TOKEN
from tests.support.discovery import check_response, service


@pytest.fixture
def api(google: GoogleEmulator):
    return service(google.url, "tasks", "v1", TOKEN)


def checked(method: str, request) -> dict:
    return check_response("tasks.v1", method, request.execute())


def test_a_list_of_tasks_changes_and_updated_min_shows_what_changed(api) -> None:
    sap = checked("tasklists.insert", api.tasklists().insert(body={"title": "SAP Tasks"}))
    titles = [t["title"] for t in checked("tasklists.list", api.tasklists().list())["items"]]
    assert titles == ["My Tasks", "SAP Tasks"]
    tasks = api.tasks()
    body = {"title": "Call Jane", "notes": "About the quote", "due": "2026-12-02T00:00:00.000Z"}
    call = checked("tasks.insert", tasks.insert(tasklist=sap["id"], body=body))
    old = tasks.insert(tasklist=sap["id"], body={"title": "Old"}).execute()
    time.sleep(0.01)
    since = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    done = checked("tasks.patch", tasks.patch(tasklist=sap["id"], task=call["id"],
                                              body={"status": "completed"}))  # fmt: skip
    assert done["status"] == "completed" and "completed" in done
    tasks.delete(tasklist=sap["id"], task=old["id"]).execute()

    changed = checked("tasks.list", tasks.list(tasklist=sap["id"], updatedMin=since,
                                               showDeleted=True))  # fmt: skip
    assert {(t["title"], t.get("deleted", False)) for t in changed["items"]} == {
        ("Call Jane", False), ("Old", True),
    }  # fmt: skip
    every = tasks.list(tasklist=sap["id"]).execute()["items"]
    assert [t["title"] for t in every] == ["Call Jane"]
    assert checked("tasks.get", tasks.get(tasklist=sap["id"], task=call["id"]))["notes"] == (
        "About the quote"
    )


def test_bad_requests_are_400_and_unknown_ids_404(api) -> None:
    tasks = api.tasks()
    default = api.tasklists().list().execute()["items"][0]["id"]
    for body in ({"title": "x" * 1025}, {"title": "t", "status": "done"}, {"due": "tomorrow"}):
        with pytest.raises(HttpError) as raised:
            tasks.insert(tasklist=default, body=body).execute()
        assert reason(raised.value) == (400, "invalidArgument"), body
    with pytest.raises(HttpError) as raised:
        tasks.get(tasklist=default, task="nope").execute()
    assert reason(raised.value) == (404, "notFound")
    with pytest.raises(HttpError) as raised:
        tasks.list(tasklist="nope").execute()
    assert reason(raised.value) == (404, "notFound")
    with pytest.raises(HttpError) as raised:
        tasks.list(tasklist=default, updatedMin="yesterday").execute()
    assert reason(raised.value) == (400, "invalidArgument")

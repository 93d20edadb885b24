"""JSON batching in the Graph emulator: parts answered in order, the limit of 20, dependencies,
and the mailbox concurrency a batch's parts count toward."""

from __future__ import annotations

from emulators.graph import GraphEmulator
from tests.emulators.graph.conftest import OTHER, Graph, app_token, error_of


def batch(graph: Graph, parts: list[dict]) -> list[dict]:
    body = graph.ok("POST", "/$batch", json={"requests": parts})
    return body["responses"]


def test_parts_are_answered_each_as_alone_in_one_logged_request(
    emulator: GraphEmulator, graph: Graph
) -> None:
    answers = batch(graph, [
        {"id": "1", "method": "POST", "url": "/me/contactFolders",
         "headers": {"Content-Type": "application/json"}, "body": {"displayName": "SAP Contacts"}},
        {"id": "2", "method": "GET", "url": "me/mailFolders/inbox"},
        {"id": "3", "method": "GET", "url": "/me/contacts/nothing"},
    ])  # fmt: skip
    assert [(a["id"], a["status"]) for a in answers] == [("1", 201), ("2", 200), ("3", 404)]
    assert answers[0]["body"]["displayName"] == "SAP Contacts"
    assert answers[0]["headers"]["Content-Type"].startswith("application/json")
    assert answers[2]["body"]["error"]["code"] == "ErrorItemNotFound"
    assert emulator.log.count() == 1


def test_a_batch_holds_at_most_twenty_parts_with_distinct_ids(graph: Graph) -> None:
    parts = [{"id": str(n), "method": "GET", "url": "/me"} for n in range(21)]
    assert error_of(graph.call("POST", "/$batch", json={"requests": parts})) == (400, "BadRequest")
    twins = [{"id": "1", "method": "GET", "url": "/me"}] * 2
    assert error_of(graph.call("POST", "/$batch", json={"requests": twins}))[0] == 400


def test_a_fifth_independent_part_for_one_mailbox_is_throttled(graph: Graph) -> None:
    parts = [{"id": str(n), "method": "GET", "url": "/me/contactFolders"} for n in range(5)]
    parts.append({"id": "ben", "method": "GET", "url": f"/users/{OTHER}"})
    answers = batch(graph, parts)
    assert [a["status"] for a in answers] == [200, 200, 200, 200, 429, 403]
    assert answers[4]["headers"]["Retry-After"] == "1"
    assert answers[4]["body"]["error"]["code"] == "ApplicationThrottled"


def test_dependent_parts_run_in_turn_and_fail_with_what_they_depend_on(graph: Graph) -> None:
    parts = [{"id": str(n), "method": "GET", "url": "/me/contactFolders",
              "dependsOn": [str(n - 1)] if n else []} for n in range(6)]  # fmt: skip
    parts.append({"id": "bad", "method": "GET", "url": "/me/contacts/nothing"})
    parts.append({"id": "after", "method": "GET", "url": "/me", "dependsOn": ["bad"]})
    answers = batch(graph, parts)
    assert [a["status"] for a in answers] == [200] * 6 + [404, 424]


def test_an_app_batch_reaches_other_mailboxes(emulator: GraphEmulator, graph: Graph) -> None:
    app = graph.as_(app_token(emulator))
    answers = batch(app, [{"id": "1", "method": "GET", "url": f"/users/{OTHER}/todo/lists"}])
    assert answers[0]["body"]["value"][0]["displayName"] == "Tasks"

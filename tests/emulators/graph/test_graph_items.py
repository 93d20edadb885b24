"""Contacts, mail, To Do and master categories in the Graph emulator: shapes, writes with
``If-Match``, ``$select`` and the category filter."""

from __future__ import annotations

from emulators.graph import GraphEmulator
from tests.emulators.graph.conftest import ADDRESS, Graph, error_of

JANE = {
    "givenName": "Jane",
    "surname": "Doe",
    "companyName": "Fabrikam",
    "emailAddresses": [{"address": "jane@fabrikam.test"}],
    "businessAddress": {"street": "1 Main St", "city": "Redmond", "countryOrRegion": "US"},
    "categories": ["SAP"],
}


def sap_contacts(graph: Graph) -> str:
    return graph.ok("POST", "/me/contactFolders", json={"displayName": "SAP Contacts"})["id"]


def test_a_contact_is_created_read_changed_and_deleted_with_its_change_key(graph: Graph) -> None:
    folder = sap_contacts(graph)
    twin = graph.call("POST", "/me/contactFolders", json={"displayName": "sap contacts"})
    assert error_of(twin) == (409, "ErrorFolderExists")
    made = graph.call("POST", f"/me/contactFolders/{folder}/contacts", json=JANE)
    assert made.status_code == 201
    jane = made.json()
    assert jane["displayName"] == "Jane Doe" and jane["parentFolderId"] == folder
    assert jane["@odata.etag"] == f'W/"{jane["changeKey"]}"'
    assert jane["emailAddresses"] == [
        {"name": "jane@fabrikam.test", "address": "jane@fabrikam.test"}
    ]
    assert jane["mobilePhone"] is None and jane["businessPhones"] == []
    assert jane["createdDateTime"].endswith("Z")

    path = f"/me/contacts/{jane['id']}"
    changed = graph.ok("PATCH", path, json={"jobTitle": "Buyer"},
                       headers={"If-Match": jane["@odata.etag"]})  # fmt: skip
    assert changed["jobTitle"] == "Buyer" and changed["surname"] == "Doe"
    assert changed["changeKey"] != jane["changeKey"]
    stale = graph.call("PATCH", path, json={"jobTitle": "CEO"},
                       headers={"If-Match": jane["@odata.etag"]})  # fmt: skip
    assert error_of(stale) == (412, "ErrorIrresolvableConflict")
    assert error_of(graph.call("DELETE", path, headers={"If-Match": jane["@odata.etag"]}))[0] == 412
    assert (
        graph.call("DELETE", path, headers={"If-Match": changed["@odata.etag"]}).status_code == 204
    )
    assert error_of(graph.call("GET", f"/me/contactFolders/{folder}/contacts/{jane['id']}")) == (
        404, "ErrorItemNotFound",
    )  # fmt: skip


def test_a_contact_without_any_name_is_accepted(graph: Graph) -> None:
    made = graph.ok("POST", "/me/contacts", json={"emailAddresses": [{"address": "x@y.test"}]})
    assert made["displayName"] is None and made["givenName"] is None


def test_select_limits_the_properties_but_keeps_id_and_etag(graph: Graph) -> None:
    folder = sap_contacts(graph)
    jane = graph.ok("POST", f"/me/contactFolders/{folder}/contacts", json=JANE)
    one = graph.ok("GET", f"/me/contacts/{jane['id']}?$select=categories,surname")
    assert set(one) == {"@odata.context", "@odata.etag", "id", "categories", "surname"}
    listed = graph.ok("GET", f"/me/contactFolders/{folder}/contacts?$select=givenName")["value"]
    assert listed == [{"@odata.etag": jane["@odata.etag"], "id": jane["id"], "givenName": "Jane"}]
    wrong = graph.call("GET", f"/me/contacts/{jane['id']}?$select=shoeSize")
    assert error_of(wrong)[0] == 400


def test_received_mail_is_filtered_by_category_and_only_its_flags_change(
    emulator: GraphEmulator, graph: Graph
) -> None:
    mailbox = emulator.store.find_mailbox(ADDRESS)
    quote = mailbox.receive("Quote request", "jane@fabrikam.test", categories=["SAP"])
    mailbox.receive("Lunch?", "friend@example.org")
    inbox = graph.ok("GET", "/me/mailFolders/inbox")
    assert (inbox["totalItemCount"], inbox["unreadItemCount"]) == (2, 2)
    marked = graph.ok("GET", "/me/mailFolders/inbox/messages?$filter=categories/any(c:c eq 'SAP')")
    assert [m["subject"] for m in marked["value"]] == ["Quote request"]
    message = marked["value"][0]
    assert message["from"] == {"emailAddress": {"name": "jane", "address": "jane@fabrikam.test"}}
    assert message["isDraft"] is False and message["parentFolderId"] == inbox["id"]
    assert message["webLink"].startswith("https://outlook.office365.com/owa/?ItemID=")
    assert message["body"]["contentType"] == "text" and message["bodyPreview"]
    path = f"/me/messages/{quote.id}"
    done = graph.ok("PATCH", path, json={"categories": ["SAP", "SAP Synced"], "isRead": True})
    assert done["categories"] == ["SAP", "SAP Synced"] and done["isRead"] is True
    assert error_of(graph.call("PATCH", path, json={"subject": "Changed"})) == (
        400, "ErrorInvalidPropertyUpdateSentMessage",
    )  # fmt: skip
    odd = graph.call("GET", "/me/mailFolders/inbox/messages?$filter=subject eq 'x'")
    assert error_of(odd) == (400, "ErrorInvalidUrlQueryFilter")
    assert len(graph.ok("GET", "/me/mailFolders")["value"]) == 7


def test_to_do_starts_with_tasks_and_completing_a_task_stamps_it(graph: Graph) -> None:
    lists = graph.ok("GET", "/me/todo/lists")["value"]
    assert [(entry["displayName"], entry["wellknownListName"]) for entry in lists] == [
        ("Tasks", "defaultList"),
    ]  # fmt: skip
    tasks = f"/me/todo/lists/{lists[0]['id']}/tasks"
    due = {"dateTime": "2026-12-01T00:00:00", "timeZone": "UTC"}
    task = graph.ok("POST", tasks, json={"title": "Call Jane", "dueDateTime": due,
                                         "categories": ["SAP"]})  # fmt: skip
    assert task["status"] == "notStarted" and task["importance"] == "normal"
    assert task["dueDateTime"] == {"dateTime": "2026-12-01T00:00:00.0000000", "timeZone": "UTC"}
    assert "completedDateTime" not in task
    done = graph.ok("PATCH", f"{tasks}/{task['id']}", json={"status": "completed"},
                    headers={"If-Match": 'W/"stale"'})  # fmt: skip
    assert done["completedDateTime"]["timeZone"] == "UTC"
    assert error_of(graph.call("POST", tasks, json={"title": ""}))[0] == 400
    bad = graph.call("PATCH", f"{tasks}/{task['id']}", json={"status": "done"})
    assert error_of(bad) == (400, "RequestBodyRead")


def test_master_categories_are_created_recoloured_and_keep_their_name(graph: Graph) -> None:
    defaults = graph.ok("GET", "/me/outlook/masterCategories")["value"]
    assert ("Red category", "preset0") in {(c["displayName"], c["color"]) for c in defaults}
    made = graph.call("POST", "/me/outlook/masterCategories",
                      json={"displayName": "SAP", "color": "preset4"})  # fmt: skip
    assert made.status_code == 201
    sap = made.json()
    again = graph.call("POST", "/me/outlook/masterCategories", json={"displayName": "sap"})
    assert error_of(again)[0] == 409
    path = f"/me/outlook/masterCategories/{sap['id']}"
    assert graph.ok("PATCH", path, json={"color": "preset0"})["color"] == "preset0"
    assert error_of(graph.call("PATCH", path, json={"displayName": "C4C"}))[0] == 400
    assert error_of(graph.call("PATCH", path, json={"color": "purple"})) == (400, "RequestBodyRead")
    assert graph.call("DELETE", path).status_code == 204
    assert error_of(graph.call("GET", path)) == (404, "ErrorItemNotFound")

"""The Exchange Online provider against the Graph emulator: folders, delta reads, markers,
meetings that must not notify, batches, and both ways of signing in."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from backend.mailbox.base import (
    AccountRecord,
    AppointmentRecord,
    ChangedMeanwhile,
    ContactRecord,
    EmailRecord,
    FolderChange,
    MailboxProvider,
    TaskRecord,
    UnsupportedOperation,
)
from backend.mailbox.graph.provider import GraphError, GraphProvider, WouldNotifyAttendees
from backend.mailbox.graph.session import GraphSession, stored_token
from backend.models.types import IssueCode, ItemType
from backend.sync.classifiers.graph import classify_graph_error
from emulators.base import Fault
from emulators.graph import GraphEmulator
from emulators.graph.errors import graph_fault

ADDRESS, TOKEN = "olivia@contoso.test", "eyJ0.olivia"
APP, SECRET = "ssi-sync-app", "app-secret"


@pytest.fixture
def graph() -> Any:
    emulator = GraphEmulator()
    emulator.add_mailbox(ADDRESS, TOKEN)
    with emulator:
        yield emulator


def bearer(token: str = TOKEN) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


@pytest.fixture
def provider(graph) -> GraphProvider:
    return GraphProvider(bearer(), ADDRESS, api_base=graph.url)


@pytest.fixture
def owner(graph) -> Any:
    """Olivia in Outlook: Graph with plain requests, no code of ours."""

    def call(method: str, path: str, **options: Any) -> dict[str, Any]:
        answer = bearer().request(method, f"{graph.url}/v1.0/me/{path}", timeout=10, **options)
        answer.raise_for_status()
        return answer.json() if answer.content else {}

    return call


def folder_id(owner, kind: str, name: str) -> str:
    folders = owner("GET", f"{kind}?$top=100")["value"]
    return next(f["id"] for f in folders if f["displayName"] == name)


def test_it_is_a_mailbox_provider_and_activation_makes_folders_and_red_marker_once(
    graph, provider, owner
) -> None:
    assert isinstance(provider, MailboxProvider)
    provider.activate()
    contact_folders = {f["displayName"] for f in owner("GET", "contactFolders")["value"]}
    assert {"SAP Contacts", "SAP Accounts"} <= contact_folders
    assert "SAP Cloud for Customer" in {
        f["displayName"] for f in owner("GET", "mailFolders")["value"]
    }
    categories = owner("GET", "outlook/masterCategories")["value"]
    assert [c["color"] for c in categories if c["displayName"] == "Sync Error"] == ["preset0"]

    graph.log.clear()
    again = GraphProvider(bearer(), ADDRESS, api_base=graph.url)
    again.activate()
    assert [entry.method for entry in graph.log.entries()] == ["POST"], "one batch, no writes"
    assert again.requests_sent == 1


def test_a_marker_category_of_another_colour_is_turned_red(graph, provider, owner) -> None:
    owner(
        "POST", "outlook/masterCategories", json={"displayName": "Sync Error", "color": "preset7"}
    )
    provider.ensure_marker_definitions()
    provider.ensure_marker_definitions()
    categories = owner("GET", "outlook/masterCategories")["value"]
    assert [c["color"] for c in categories if c["displayName"] == "Sync Error"] == ["preset0"]
    assert graph.log.count("PATCH", "masterCategories") == 1


def test_contacts_a_full_read_then_only_changes_by_delta_link(graph, provider, owner) -> None:
    provider.activate()
    folder = folder_id(owner, "contactFolders", "SAP Contacts")
    made = [
        owner("POST", f"contactFolders/{folder}/contacts",
              json={"givenName": "Jane", "surname": f"Doe{i}", "jobTitle": "Buyer",
                    "emailAddresses": [{"address": f"jane{i}@fabrikam.test"}],
                    "businessPhones": ["+1 555 0100"], "categories": ["Customer VIP"]})
        for i in range(3)
    ]  # fmt: skip
    first = provider.changes(ItemType.CONTACT, None)
    assert first.full and len(first.upserted) == 3 and not first.deleted
    jane = next(r for r in first.upserted if r.id == made[0]["id"])
    assert isinstance(jane, ContactRecord)
    assert (jane.given_name, jane.surname, jane.job_title, jane.emails, jane.business_phone) == (
        "Jane", "Doe0", "Buyer", ("jane0@fabrikam.test",), "+1 555 0100")  # fmt: skip
    assert jane.categories == ("Customer VIP",) and jane.change_key == made[0]["@odata.etag"]

    idle = provider.changes(ItemType.CONTACT, first.cursor)
    assert (idle.upserted, idle.deleted, idle.full) == ((), (), False)

    owner("PATCH", f"contacts/{made[1]['id']}", json={"jobTitle": "Chief Buyer"})
    owner("DELETE", f"contacts/{made[2]['id']}")
    later = provider.changes(ItemType.CONTACT, idle.cursor)
    assert [(r.id, r.job_title) for r in later.upserted] == [(made[1]["id"], "Chief Buyer")]
    assert later.deleted == (made[2]["id"],) and not later.full


def test_an_expired_delta_link_reads_everything_again(graph, provider, owner) -> None:
    provider.activate()
    created = provider.create(ItemType.CONTACT, ContactRecord(given_name="Jo", surname="Ng"))
    first = provider.changes(ItemType.CONTACT, None)
    graph.store.expire_delta_tokens()
    again = provider.changes(ItemType.CONTACT, first.cursor)
    assert again.full and [r.id for r in again.upserted] == [created.id]
    assert again.cursor_lost and not first.cursor_lost, "Graph no longer knew the link"
    garbled = provider.changes(ItemType.CONTACT, "not a cursor")
    assert garbled.full and not garbled.cursor_lost, "ours to read in full, not Graph's doing"
    links = json.loads(base64.urlsafe_b64decode(first.cursor))
    forged = {key: link.replace("deltatoken=", "deltatoken=x") for key, link in links.items()}
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    assert provider.changes(ItemType.CONTACT, cursor).full, "a link Graph never gave"


def test_pages_are_followed_to_the_delta_link(graph, owner) -> None:
    provider = GraphProvider(bearer(), ADDRESS, api_base=graph.url, page_size=10)
    provider.activate()
    for i in range(25):
        provider.create(ItemType.CONTACT, ContactRecord(given_name="P", surname=str(i)))
    graph.log.clear()
    found = provider.changes(ItemType.CONTACT, None)
    assert len(found.upserted) == 25
    assert graph.log.count("GET", "/contacts/delta") == 3


def test_accounts_write_and_read_the_company(provider) -> None:
    provider.activate()
    record = AccountRecord(name="Fabrikam", email="info@fabrikam.test", phone="+1 555 0199",
                           website="https://fabrikam.test", street="1 Main St", city="Springfield",
                           postal_code="12345", country="US")  # fmt: skip
    made = provider.create(ItemType.ACCOUNT, record)
    assert provider.get(ItemType.ACCOUNT, made.id) == replace(
        record, id=made.id, change_key=made.change_key,
        modified=provider.get(ItemType.ACCOUNT, made.id).modified,
    )  # fmt: skip


def test_markers_come_and_go_and_the_users_categories_stay(provider, owner) -> None:
    provider.activate()
    made = provider.create(ItemType.CONTACT, ContactRecord(given_name="No", categories=("VIP",)))
    provider.set_markers(ItemType.CONTACT, made.id, "Last name missing")
    assert owner("GET", f"contacts/{made.id}")["categories"] == [
        "VIP", "Sync Error", "Sync Error: Last name missing"]  # fmt: skip
    provider.set_markers(ItemType.CONTACT, made.id, "Not allowed in SAP")
    assert owner("GET", f"contacts/{made.id}")["categories"] == [
        "VIP", "Sync Error", "Sync Error: Not allowed in SAP"]  # fmt: skip
    provider.clear_markers(ItemType.CONTACT, made.id)
    assert owner("GET", f"contacts/{made.id}")["categories"] == ["VIP"]


def test_a_marker_written_while_the_user_edits_keeps_the_users_edit(graph, provider, owner) -> None:
    provider.activate()
    made = provider.create(ItemType.CONTACT, ContactRecord(given_name="Race", surname="Case"))
    graph.faults.add(graph_fault("ErrorIrresolvableConflict", 412, method="PATCH"))
    provider.set_markers(ItemType.CONTACT, made.id, "Will retry")
    assert graph.log.count("GET", f"/contacts/{made.id}") == 2, "read again after the conflict"
    assert "Sync Error" in owner("GET", f"contacts/{made.id}")["categories"]


def test_an_update_on_a_stale_change_key_is_a_conflict(provider, owner) -> None:
    provider.activate()
    made = provider.create(ItemType.CONTACT, ContactRecord(given_name="Old", surname="Key"))
    owner("PATCH", f"contacts/{made.id}", json={"jobTitle": "Edited in Outlook"})
    record = ContactRecord(id=made.id, given_name="New", surname="Key")
    with pytest.raises(GraphError) as refused:
        provider.update(ItemType.CONTACT, record, made.change_key)
    assert classify_graph_error(refused.value).code is IssueCode.CONFLICT
    assert owner("GET", f"contacts/{made.id}")["jobTitle"] == "Edited in Outlook"
    current = provider.get(ItemType.CONTACT, made.id)
    written = provider.update(ItemType.CONTACT, record, current.change_key or "")
    assert provider.get(ItemType.CONTACT, made.id).given_name == "New"
    assert written.change_key != current.change_key


def test_items_read_together_are_read_as_one_by_one_in_json_batches(graph, provider) -> None:
    provider.activate()
    made = [
        provider.create(ItemType.CONTACT, ContactRecord(given_name=f"P{n}", surname="Many")).id
        for n in range(23)
    ]
    provider.delete(ItemType.CONTACT, made[1])
    graph.log.clear()

    found = provider.get_many(ItemType.CONTACT, made)

    assert graph.log.count() == 2, "twenty parts to a batch"
    assert [entry.path for entry in graph.log.entries()] == ["/v1.0/$batch"] * 2
    # The part that waited on the gone one (the concurrency's chain) is left out with it, and
    # read alone by its write.
    left_out = {made[1], made[1 + 4], made[1 + 8], made[1 + 12], made[1 + 16]}
    assert set(found) == set(made) - left_out
    assert all(found[item_id] == provider.get(ItemType.CONTACT, item_id) for item_id in found)


def test_updates_together_go_as_patches_of_a_batch_each_answered_on_its_own(
    graph, provider, owner
) -> None:
    provider.activate()
    read = []
    for n in range(6):
        made = provider.create(ItemType.CONTACT, ContactRecord(given_name=f"P{n}", surname="Old"))
        read.append(provider.get(ItemType.CONTACT, made.id))
    owner("PATCH", f"contacts/{read[1].id}", json={"surname": "Edited in Outlook"})
    graph.log.clear()

    answers = provider.update_many(
        ItemType.CONTACT, [(replace(record, surname="New"), record.change_key) for record in read]
    )

    sent = [(entry.method, entry.path) for entry in graph.log.entries()]
    refused = answers[1]
    assert isinstance(refused, GraphError)
    assert classify_graph_error(refused).code is IssueCode.CONFLICT
    assert owner("GET", f"contacts/{read[1].id}")["surname"] == "Edited in Outlook"
    for record, answer in zip(read[:1] + read[2:], answers[:1] + answers[2:], strict=True):
        assert provider.get(ItemType.CONTACT, record.id).surname == "New"
        assert answer == (record.id, provider.get(ItemType.CONTACT, record.id).change_key)
    # The part that waited on the refused one was not run (424): it went again on its own.
    assert sent == [
        ("POST", "/v1.0/$batch"), ("PATCH", f"/v1.0/me/contacts/{read[5].id}"),
    ]  # fmt: skip
    with pytest.raises(UnsupportedOperation):
        provider.update_many(ItemType.TASK, [])


def test_updates_together_take_their_answers_by_id_and_keep_them_when_a_later_batch_fails(
    graph, provider, owner
) -> None:
    provider.activate()
    read = [
        provider.get(ItemType.CONTACT, provider.create(
            ItemType.CONTACT, ContactRecord(given_name=f"P{n}", surname="Old")).id)
        for n in range(23)
    ]  # fmt: skip
    owner("PATCH", f"contacts/{read[2].id}", json={"surname": "Edited in Outlook"})
    graph.store.batch_answers_reversed = True
    graph.faults.add(Fault(path=r"/\$batch$", method="POST", containing=read[20].id, status=503))

    answers = provider.update_many(
        ItemType.CONTACT, [(replace(record, surname="New"), record.change_key) for record in read]
    )

    assert isinstance(answers[2], GraphError) and answers[2].status == 412, "its own refusal"
    for n in (n for n in range(20) if n != 2):  # the first batch's, whatever their order
        now = provider.get(ItemType.CONTACT, read[n].id)
        assert (answers[n], now.surname) == ((read[n].id, now.change_key), "New")
    for n in (20, 21, 22):  # the second batch failed as a whole: its writes with its failure
        assert isinstance(answers[n], GraphError) and answers[n].status == 503
        assert provider.get(ItemType.CONTACT, read[n].id).surname == "Old"


def test_tasks_are_the_default_lists_tasks_with_the_sap_category(provider, owner) -> None:
    provider.activate()
    offer = TaskRecord(subject="Send the offer", due=date(2026, 12, 4), importance="High")
    made = provider.create(ItemType.TASK, offer)
    first = provider.changes(ItemType.TASK, None)
    [task] = first.upserted
    assert isinstance(task, TaskRecord)
    assert (task.subject, task.due, task.importance, task.status, task.categories) == (
        "Send the offer", date(2026, 12, 4), "High", "NotStarted", ("SAP",))  # fmt: skip

    lists = owner("GET", "todo/lists")["value"]
    default = next(t["id"] for t in lists if t["wellknownListName"] == "defaultList")
    errand = owner("POST", f"todo/lists/{default}/tasks", json={"title": "Private errand"})
    owner("PATCH", f"todo/lists/{default}/tasks/{made.id}", json={"categories": []})
    later = provider.changes(ItemType.TASK, first.cursor)
    assert later.upserted == () and set(later.deselected) == {made.id, errand["id"]}

    done = TaskRecord(id=made.id, subject="Send the offer", status="Completed")
    with pytest.raises(ChangedMeanwhile):
        provider.update(ItemType.TASK, done, made.change_key)
    provider.update(ItemType.TASK, done, provider.get(ItemType.TASK, made.id).change_key or "")
    assert owner("GET", f"todo/lists/{default}/tasks/{made.id}")["status"] == "completed"


def test_events_are_created_without_anyone_invited(graph, provider, owner) -> None:
    start = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    record = AppointmentRecord(
        subject="Visit", start=start, end=start + timedelta(hours=1), location="Fabrikam HQ",
        attendees=("jane@fabrikam.test",),
    )  # fmt: skip
    made = provider.create(ItemType.APPOINTMENT, record)
    event = owner("GET", f"events/{made.id}")
    assert (event["subject"], event["categories"], event["attendees"]) == ("Visit", ["SAP"], [])
    [read] = provider.changes(ItemType.APPOINTMENT, None).upserted
    assert (read.start, read.end, read.location) == (start, start + timedelta(hours=1),
                                                     "Fabrikam HQ")  # fmt: skip
    provider.update(ItemType.APPOINTMENT, replace(record, id=made.id, subject="Visit (moved)"),
                    read.change_key or "")  # fmt: skip
    provider.delete(ItemType.APPOINTMENT, made.id)
    assert graph.store.notifications == []


def test_a_meeting_the_user_organises_is_never_changed_or_deleted_behind_attendees(
    graph, provider, owner
) -> None:
    start = datetime.now(UTC).replace(microsecond=0, tzinfo=None) + timedelta(days=1)
    meeting = owner("POST", "events", json={
        "subject": "Kick-off", "categories": ["SAP"],
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "UTC"},
        "attendees": [{"type": "required", "emailAddress": {"address": "jane@fabrikam.test"}}],
    })  # fmt: skip
    sent = len(graph.store.notifications)
    [read] = provider.changes(ItemType.APPOINTMENT, None).upserted
    assert isinstance(read, AppointmentRecord) and read.attendees == ("jane@fabrikam.test",)
    with pytest.raises(WouldNotifyAttendees) as refused:
        provider.update(ItemType.APPOINTMENT, replace(read, subject="Moved"), read.change_key or "")
    assert classify_graph_error(refused.value).code is IssueCode.FORBIDDEN
    with pytest.raises(WouldNotifyAttendees):
        provider.delete(ItemType.APPOINTMENT, meeting["id"])
    provider.set_markers(ItemType.APPOINTMENT, meeting["id"], "Changed on both sides")
    assert owner("GET", f"events/{meeting['id']}")["subject"] == "Kick-off"
    assert len(graph.store.notifications) == sent, "categories notify no one"


def test_emails_from_the_sap_folder_and_picked_ones_from_inbox_and_sent_items(
    graph, provider, owner
) -> None:
    provider.activate()
    box = graph.store.mailboxes[ADDRESS]
    sap_folder = folder_id(owner, "mailFolders", "SAP Cloud for Customer")
    filed = box.receive("Offer", "jane@fabrikam.test", folder=sap_folder)
    picked = box.receive("Order", "jane@fabrikam.test", categories=["SAP"])
    box.receive("Lunch?", "friend@example.test")
    first = provider.changes(ItemType.EMAIL, None)
    assert {r.id for r in first.upserted} == {filed.id, picked.id}
    mail = next(r for r in first.upserted if r.id == picked.id)
    assert isinstance(mail, EmailRecord)
    assert (mail.subject, mail.sender, mail.to) == ("Order", "jane@fabrikam.test", (ADDRESS,))

    provider.select_for_sync(ItemType.EMAIL, mail.id)
    owner("PATCH", f"messages/{picked.id}", json={"categories": []})
    later = provider.changes(ItemType.EMAIL, first.cursor)
    assert later.deselected == (picked.id,)
    with pytest.raises(UnsupportedOperation):
        provider.create(ItemType.EMAIL, EmailRecord(subject="x"))
    with pytest.raises(UnsupportedOperation):
        provider.select_for_sync(ItemType.CONTACT, filed.id)
    link = provider.deep_link(ItemType.EMAIL, "AAMkAG-x_y=")
    opened = "https://outlook.office365.com/owa/?ItemID=AAMkAG%2Fx%2By%3D&exvsurl=1"
    assert link == f"{opened}&viewmodel=ReadMessageItem", "the EWS id Outlook on the web opens"


def test_an_idle_run_costs_one_delta_read_per_source_and_no_folder_look_up(graph) -> None:
    GraphProvider(bearer(), ADDRESS, api_base=graph.url).activate()
    provider = GraphProvider(bearer(), ADDRESS, api_base=graph.url)
    cursors = {t: provider.changes(t, None).cursor for t in ItemType}
    again = GraphProvider(bearer(), ADDRESS, api_base=graph.url)
    graph.log.clear()
    for item_type, cursor in cursors.items():
        assert not again.changes(item_type, cursor).upserted
    assert again.requests_sent == 7, "2 contact, 1 task, 1 event and 3 mail delta reads"
    assert graph.log.count("GET", "/delta") == 7


def test_batch_parts_beyond_the_concurrency_wait_for_earlier_ones(graph) -> None:
    graph.store.mailbox_concurrency = 2
    provider = GraphProvider(bearer(), ADDRESS, api_base=graph.url, concurrency=2)
    provider.activate()
    [batch] = graph.log.entries("POST", r"/\$batch")
    assert batch.status == 200

    greedy = GraphProvider(bearer(), ADDRESS, api_base=graph.url, concurrency=4)
    with pytest.raises(GraphError) as throttled:
        greedy.activate()
    found = classify_graph_error(throttled.value)
    assert (found.code, found.retry_after) == (IssueCode.TEMPORARY, 1.0)


def test_throttling_and_outages_classify_as_temporary_with_the_wait(graph, provider) -> None:
    graph.faults.add(graph_fault("TooManyRequests", 429, retry_after=7))
    with pytest.raises(GraphError) as refused:
        provider.changes(ItemType.CONTACT, None)
    assert (classify_graph_error(refused.value).code, refused.value.retry_after) == (
        IssueCode.TEMPORARY, 7.0)  # fmt: skip
    graph.store.mailboxes[ADDRESS].rest_disabled = True
    with pytest.raises(GraphError) as disabled:
        GraphProvider(bearer(), ADDRESS, api_base=graph.url).activate()
    assert classify_graph_error(disabled.value).code is IssueCode.ACCOUNT_DISABLED


def test_a_wrong_token_is_auth_and_an_app_token_reads_the_users_mailbox(graph) -> None:
    with pytest.raises(GraphError) as refused:
        GraphProvider(bearer("eyJ0.wrong"), ADDRESS, api_base=graph.url).activate()
    assert classify_graph_error(refused.value).code is IssueCode.AUTH

    graph.store.add_app(APP, SECRET, tenant="contoso")
    endpoint = f"{graph.url}/contoso/oauth2/v2.0/token"
    session = GraphSession(APP, SECRET, token_endpoint=lambda: endpoint)
    provider = GraphProvider(session, ADDRESS, api_base=graph.url, app=True)
    provider.activate()
    provider.create(ItemType.CONTACT, ContactRecord(given_name="App", surname="Made"))
    assert len(provider.changes(ItemType.CONTACT, None).upserted) == 1
    assert graph.log.count("POST", "/oauth2/v2.0/token") == 1, "one app token, reused"
    assert graph.log.count("GET", "/v1.0/users/") >= 1 and graph.log.count("GET", "/v1.0/me/") == 0

    wrong = GraphSession(APP, "wrong", token_endpoint=lambda: endpoint)
    with pytest.raises(Exception) as secret_refused:
        GraphProvider(wrong, ADDRESS, api_base=graph.url, app=True).activate()
    assert classify_graph_error(secret_refused.value).code is IssueCode.AUTH


def test_granting_application_permissions_reads_everything_once_through_users(graph) -> None:
    """A delegated cursor names ``/me``, which an app token may not read: the first run with
    the company's permission reads the mailbox again through ``/users/...``."""
    delegated = GraphProvider(bearer(), ADDRESS, api_base=graph.url)
    delegated.create(ItemType.CONTACT, ContactRecord(given_name="Before", surname="Grant"))
    cursor = delegated.changes(ItemType.CONTACT, None).cursor
    graph.store.add_app(APP, SECRET, tenant="contoso")
    endpoint = f"{graph.url}/contoso/oauth2/v2.0/token"
    app = GraphProvider(GraphSession(APP, SECRET, token_endpoint=lambda: endpoint), ADDRESS,
                        api_base=graph.url, app=True)  # fmt: skip
    graph.log.clear()

    changes = app.changes(ItemType.CONTACT, cursor)

    assert changes.full and [r.given_name for r in changes.upserted] == ["Before"]
    assert graph.log.count("GET", "/v1.0/me/") == 0
    again = delegated.changes(ItemType.CONTACT, changes.cursor)
    assert again.full, "and back: the app's /users/ links are not the user's"


def test_an_expired_delegated_token_is_refreshed_once_and_the_new_tokens_kept(graph) -> None:
    graph.store.add_app(APP, SECRET, tenant="contoso")
    refresh = graph.store.oauth.grant(ADDRESS, APP)
    kept: list[dict[str, Any]] = []
    stored = {"access_token": "eyJ0.expired", "refresh_token": refresh, "expires_at": 1}
    endpoint = f"{graph.url}/contoso/oauth2/v2.0/token"
    session = GraphSession(APP, SECRET, token=stored_token(stored), on_refresh=kept.append,
                           token_endpoint=lambda: endpoint)  # fmt: skip
    provider = GraphProvider(session, ADDRESS, api_base=graph.url)
    provider.activate()
    provider.changes(ItemType.CONTACT, None)
    assert len(kept) == 1 and kept[0]["access_token"] != "eyJ0.expired"
    assert graph.log.count("POST", "/oauth2/v2.0/token") == 1

    graph.store.oauth.revoke_grant(kept[0]["refresh_token"])
    graph.store.oauth.revoke_grant(refresh)
    dead = GraphSession(APP, SECRET, token=stored_token({"refresh_token": refresh}),
                        token_endpoint=lambda: endpoint)  # fmt: skip
    with pytest.raises(Exception) as refused:
        GraphProvider(dead, ADDRESS, api_base=graph.url).activate()
    assert classify_graph_error(refused.value).code is IssueCode.AUTH


def test_an_answer_that_is_not_graphs_fails_the_read_and_keeps_the_cursor(graph, provider) -> None:
    provider.activate()
    made = provider.create(ItemType.CONTACT, ContactRecord(given_name="Kept", surname="Safe"))
    first = provider.changes(ItemType.CONTACT, None)
    owner_edit = {"jobTitle": "Edited meanwhile"}
    bearer().patch(f"{graph.url}/v1.0/me/contacts/{made.id}", json=owner_edit, timeout=5)
    portal = Fault(path="/delta", status=200, body="<html>Sign in to the Wi-Fi</html>",
                   content_type="text/html")  # fmt: skip
    graph.faults.add(portal)
    with pytest.raises(GraphError) as refused:
        provider.changes(ItemType.CONTACT, first.cursor)
    assert classify_graph_error(refused.value).code is IssueCode.TEMPORARY
    graph.faults.add(Fault(path="/delta", status=200, body='{"value": []}'))
    with pytest.raises(GraphError):
        provider.changes(ItemType.CONTACT, first.cursor)
    later = provider.changes(ItemType.CONTACT, first.cursor)
    assert [r.job_title for r in later.upserted] == ["Edited meanwhile"], "nothing was lost"


def test_a_contact_folder_moved_away_is_still_written_to_and_one_gone_is_put_back(
    graph, owner
) -> None:
    """Outlook "deletes" a folder into Deleted Items: writes follow it there (no second
    folder); once it is really gone, the product's folder is put back and read in full."""
    first = GraphProvider(bearer(), ADDRESS, api_base=graph.url)
    first.activate()
    cursor = first.changes(ItemType.CONTACT, None).cursor
    box = graph.store.mailboxes[ADDRESS]
    [kept] = [f for f in box.folders.values() if f.display_name == "SAP Contacts"]
    kept.parent_id = box.folder("mailFolder", "deleteditems").id

    run = GraphProvider(bearer(), ADDRESS, api_base=graph.url)
    assert run.changes(ItemType.CONTACT, cursor).upserted == ()
    made = run.create(ItemType.CONTACT, ContactRecord(given_name="Ada", surname="Byron"))
    assert [item.id for item in box.items_in(kept.id)] == [made.id]
    assert "SAP Contacts" not in {f["displayName"] for f in owner("GET", "contactFolders")["value"]}
    assert run.folder_changes() == ()

    for item in box.items_in(kept.id):
        box.remove(item)
    del box.folders[kept.id]
    after = GraphProvider(bearer(), ADDRESS, api_base=graph.url)
    full = after.changes(ItemType.CONTACT, cursor)
    assert full.full and full.upserted == ()
    assert after.folder_changes() == (FolderChange("SAP Contacts", None),)
    assert folder_id(owner, "contactFolders", "SAP Contacts") != kept.id

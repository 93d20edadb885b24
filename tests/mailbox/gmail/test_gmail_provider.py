"""The Gmail provider against the Google emulator: labels, reads by history, markers."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import pytest
from google.oauth2.credentials import Credentials

from backend.mailbox.base import (
    AccountRecord,
    AppointmentRecord,
    ContactRecord,
    EmailRecord,
    MailboxProvider,
    TaskRecord,
    UnsupportedOperation,
)
from backend.mailbox.cursors import pack_cursor, unpack_cursor
from backend.mailbox.gmail.messages import ERROR_LABEL, RED, SAP_LABEL
from backend.mailbox.gmail.provider import GmailProvider
from backend.models.types import IssueCode, ItemType
from backend.sync.classifiers.google import classify_google_error
from emulators.google.errors import google_fault
from tests.fixtures.google import ADDRESS, TOKEN
from tests.support.discovery import service


@pytest.fixture
def provider(google) -> GmailProvider:
    return GmailProvider(google.url, Credentials(token=TOKEN))


@pytest.fixture
def gmail(google):
    """The mailbox as its owner uses it: the plain client, no code of ours."""
    return service(google.url, "gmail", "v1", TOKEN).users()


def deliver(gmail, subject: str, labels: list[str], sender: str = "Jane <Jane@Fabrikam.test>"):
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Cc"] = sender, ADDRESS, "boss@contoso.test"
    mail["Subject"], mail["Date"] = subject, "Mon, 23 Nov 2026 09:30:00 +0000"
    mail["Message-ID"] = f"<{subject.replace(' ', '.')}@fabrikam.test>"
    mail.set_content(f"About {subject}.")
    raw = base64.urlsafe_b64encode(mail.as_bytes()).decode()
    return gmail.messages().insert(userId="me", body={"raw": raw, "labelIds": labels}).execute()


def label_id(gmail, name: str) -> str:
    labels = gmail.labels().list(userId="me").execute()["labels"]
    return next(label["id"] for label in labels if label["name"] == name)


def test_it_is_a_mailbox_provider_and_activation_makes_the_labels_once(
    google, provider, gmail
) -> None:
    assert isinstance(provider, MailboxProvider)
    provider.activate()
    labels = {
        label["name"]: label for label in gmail.labels().list(userId="me").execute()["labels"]
    }
    assert labels[ERROR_LABEL]["color"] == RED and SAP_LABEL in labels
    again = GmailProvider(google.url, Credentials(token=TOKEN))
    again.activate()
    assert again.requests_sent == 3  # labels, groups and task lists read, nothing made twice


def test_a_full_read_then_changes_by_history(provider, gmail) -> None:
    provider.activate()
    sap = label_id(gmail, SAP_LABEL)
    quote = deliver(gmail, "Quote", ["INBOX", sap])
    lunch = deliver(gmail, "Lunch", ["INBOX"], "friend@example.org")

    full = provider.changes(ItemType.EMAIL, None)
    assert full.full and [r.id for r in full.upserted] == [quote["id"]]
    [record] = full.upserted
    assert isinstance(record, EmailRecord)
    assert (record.subject, record.sender, record.to, record.cc) == (
        "Quote", "jane@fabrikam.test", (ADDRESS,), ("boss@contoso.test",),
    )  # fmt: skip
    assert record.body.strip() == "About Quote." and "SAP E-Mails" in record.categories
    assert record.internet_message_id == "<Quote@fabrikam.test>"

    order = deliver(gmail, "Order", ["INBOX", sap])
    provider.select_for_sync(ItemType.EMAIL, lunch["id"])
    gmail.messages().modify(userId="me", id=quote["id"], body={"removeLabelIds": [sap]}).execute()
    changed = provider.changes(ItemType.EMAIL, full.cursor)
    assert not changed.full
    assert {r.id for r in changed.upserted} == {order["id"], lunch["id"]}
    assert changed.deselected == (quote["id"],)

    gmail.messages().delete(userId="me", id=order["id"]).execute()
    before = provider.requests_sent
    gone = provider.changes(ItemType.EMAIL, changed.cursor)
    assert (gone.upserted, gone.deleted) == ((), (order["id"],))
    assert provider.requests_sent - before == 1  # one history page
    assert provider.changes(ItemType.EMAIL, gone.cursor).upserted == ()


def test_a_stale_history_id_reads_everything_again(google, provider, gmail) -> None:
    provider.activate()
    quote = deliver(gmail, "Quote", ["INBOX", label_id(gmail, SAP_LABEL)])
    cursor = provider.changes(ItemType.EMAIL, None).cursor
    google.store.mailboxes[ADDRESS].forget_history()
    kept = unpack_cursor(cursor)
    assert kept is not None
    stale = pack_cursor({**kept, "history": str(int(kept["history"]) - 1)})
    again = provider.changes(ItemType.EMAIL, stale)
    assert again.full and [r.id for r in again.upserted] == [quote["id"]]
    assert again.cursor_lost and not provider.changes(ItemType.EMAIL, again.cursor).cursor_lost


def test_markers_come_and_go_and_the_users_labels_stay(provider, gmail) -> None:
    provider.activate()
    mine = gmail.labels().create(userId="me", body={"name": "Customers"}).execute()["id"]
    sap = label_id(gmail, SAP_LABEL)
    quote = deliver(gmail, "Quote", ["INBOX", sap, mine])
    provider.set_markers(ItemType.EMAIL, quote["id"], "Account missing")
    marked = gmail.messages().get(userId="me", id=quote["id"], format="minimal").execute()
    assert set(marked["labelIds"]) == {"INBOX", sap, mine, label_id(gmail, ERROR_LABEL)}
    provider.clear_markers(ItemType.EMAIL, quote["id"])
    cleared = gmail.messages().get(userId="me", id=quote["id"], format="minimal").execute()
    assert set(cleared["labelIds"]) == {"INBOX", sap, mine}
    assert provider.deep_link(ItemType.EMAIL, quote["id"]).endswith(f"#all/{quote['id']}")


def test_what_it_refuses_and_how_failures_classify(google, provider) -> None:
    for call in (lambda: provider.select_for_sync(ItemType.CONTACT, "people/c1"),
                 lambda: provider.create(ItemType.EMAIL, EmailRecord(subject="x")),
                 lambda: provider.delete(ItemType.EMAIL, "m1")):  # fmt: skip
        with pytest.raises(UnsupportedOperation) as refused:
            call()
        assert classify_google_error(refused.value).code is IssueCode.FORBIDDEN
    forged = GmailProvider(google.url, Credentials(token="ya29.forged"))
    with pytest.raises(Exception) as raised:
        forged.activate()
    assert classify_google_error(raised.value).code is IssueCode.AUTH
    with pytest.raises(Exception) as raised:
        provider.get(ItemType.EMAIL, "0000000000000000")
    assert classify_google_error(raised.value).code is IssueCode.NOT_FOUND


def test_contacts_and_accounts_by_group_with_sync_tokens(google, provider) -> None:
    provider.activate()
    jane = ContactRecord(
        given_name="Jane", surname="Doe", emails=("jane@fabrikam.test",), company="Fabrikam",
        job_title="Buyer", mobile_phone="+49 170 1",
    )  # fmt: skip
    made = provider.create(ItemType.CONTACT, jane)
    fabrikam = AccountRecord(name="Fabrikam", city="Berlin", country="DE",
                             website="https://fabrikam.test")  # fmt: skip
    account = provider.create(ItemType.ACCOUNT, fabrikam)
    people = service(google.url, "people", "v1", TOKEN)
    people.people().createContact(body={"names": [{"givenName": "Private"}]}).execute()

    contacts = provider.changes(ItemType.CONTACT, None)
    assert contacts.full and [r.id for r in contacts.upserted] == [made.id]
    [read] = contacts.upserted
    assert (read.given_name, read.surname, read.company, read.job_title, read.mobile_phone) == (
        "Jane", "Doe", "Fabrikam", "Buyer", "+49 170 1",
    )  # fmt: skip
    accounts = provider.changes(ItemType.ACCOUNT, None)
    [company] = accounts.upserted
    assert (company.id, company.name, company.city, company.website) == (
        account.id, "Fabrikam", "Berlin", "https://fabrikam.test",
    )  # fmt: skip

    provider.update(ItemType.CONTACT, replace(read, surname="Smith"), made.change_key)
    with pytest.raises(Exception) as raised:
        provider.update(ItemType.CONTACT, replace(read, surname="Late"), made.change_key)
    assert classify_google_error(raised.value).code is IssueCode.CONFLICT
    provider.set_markers(ItemType.CONTACT, made.id, "Last name missing")
    delta = provider.changes(ItemType.CONTACT, contacts.cursor)
    assert not delta.full and [r.surname for r in delta.upserted] == ["Smith"]
    assert provider.get(ItemType.CONTACT, made.id).surname == "Smith"
    groups = people.contactGroups().list().execute()["contactGroups"]
    assert {g["name"]: g["memberCount"] for g in groups}["SAP Sync Error"] == 1
    provider.clear_markers(ItemType.CONTACT, made.id)
    provider.delete(ItemType.CONTACT, made.id)
    gone = provider.changes(ItemType.CONTACT, delta.cursor)
    assert gone.deleted == (made.id,)

    google.store.people[ADDRESS].expire()
    again = provider.changes(ItemType.ACCOUNT, accounts.cursor)
    assert again.full and [r.id for r in again.upserted] == [account.id]


def test_people_read_together_are_read_as_one_by_one_in_one_batch_get(google, provider) -> None:
    provider.activate()
    made = [
        provider.create(ItemType.CONTACT, ContactRecord(given_name=f"P{n}", surname="Many")).id
        for n in range(3)
    ]
    provider.delete(ItemType.CONTACT, made[1])
    google.log.clear()

    found = provider.get_many(ItemType.CONTACT, made)

    assert [(e.method, e.path) for e in google.log.entries()] == [("GET", "/v1/people:batchGet")]
    assert set(found) == {made[0], made[2]}, "the one gone is left out"
    assert all(found[item_id] == provider.get(ItemType.CONTACT, item_id) for item_id in found)
    google.log.clear()
    assert provider.get_many(ItemType.TASK, ["a", "b"]) == {}, "tasks are read one a request"
    assert google.log.count() == 0


def test_two_hundred_people_a_batch_get_its_names_in_a_body_past_a_urls_length(
    google, provider
) -> None:
    provider.activate()
    made = [
        provider.create(ItemType.CONTACT, ContactRecord(given_name=f"P{n}", surname="Many")).id
        for n in range(210)
    ]
    google.log.clear()

    found = provider.get_many(ItemType.CONTACT, made)

    assert set(found) == set(made)
    # Google's client sends a GET whose URL would pass 2,000 characters as a POST that says
    # it is a GET, the query in its body; Google answers it as the GET.
    assert [(e.method, e.path) for e in google.log.entries()] == [
        ("POST", "/v1/people:batchGet"), ("GET", "/v1/people:batchGet"),
    ]  # fmt: skip
    assert google.log.entries()[0].headers.get("X-Http-Method-Override") == "GET"


def test_tasks_in_the_sap_list_and_changes_since_the_newest_seen(google, provider) -> None:
    provider.activate()
    made = provider.create(ItemType.TASK, TaskRecord(subject="Call Jane", body="Quote",
                                                     due=date(2026, 12, 2)))  # fmt: skip
    first = provider.changes(ItemType.TASK, None)
    [task] = first.upserted
    assert (task.subject, task.body, task.due, task.status) == (
        "Call Jane", "Quote", date(2026, 12, 2), "NotStarted",
    )  # fmt: skip
    done = provider.update(ItemType.TASK, replace(task, status="Completed"), made.change_key)
    with pytest.raises(Exception) as raised:
        provider.update(ItemType.TASK, replace(task, subject="Late"), made.change_key)
    assert classify_google_error(raised.value).code is IssueCode.CONFLICT
    later = provider.changes(ItemType.TASK, first.cursor)
    assert [(t.id, t.status) for t in later.upserted] == [(made.id, "Completed")]
    assert later.upserted[0].change_key == done.change_key
    provider.set_markers(ItemType.TASK, made.id, "x")  # nowhere to show it: nothing changes
    provider.delete(ItemType.TASK, made.id)
    assert provider.changes(ItemType.TASK, later.cursor).deleted == (made.id,)


def test_marked_events_turn_tomato_and_get_their_colour_back(google, provider) -> None:
    provider.activate()
    calendar = service(google.url, "calendar", "v3", TOKEN).events()
    start = datetime(2026, 12, 1, 10, tzinfo=UTC)
    visit = provider.create(ItemType.APPOINTMENT, AppointmentRecord(
        subject="Visit", start=start, end=start + timedelta(hours=1),
        attendees=("jane@fabrikam.test",)))  # fmt: skip
    lunch = calendar.insert(calendarId="primary", body={
        "summary": "Lunch", "colorId": "5", "start": {"dateTime": "2026-12-01T12:00:00Z"},
        "end": {"dateTime": "2026-12-01T13:00:00Z"}}).execute()  # fmt: skip

    full = provider.changes(ItemType.APPOINTMENT, None)
    assert [(r.id, r.attendees, r.start) for r in full.upserted] == [
        (visit.id, ("jane@fabrikam.test",), start),
    ]  # fmt: skip
    provider.select_for_sync(ItemType.APPOINTMENT, lunch["id"])
    provider.set_markers(ItemType.APPOINTMENT, lunch["id"], "Account missing")
    red = calendar.get(calendarId="primary", eventId=lunch["id"]).execute()
    assert red["colorId"] == "11"
    provider.clear_markers(ItemType.APPOINTMENT, lunch["id"])
    back = calendar.get(calendarId="primary", eventId=lunch["id"]).execute()
    assert back["colorId"] == "5"
    assert back["extendedProperties"]["private"] == {"ssiSync": "1"}
    provider.set_markers(ItemType.APPOINTMENT, visit.id, "x")
    provider.clear_markers(ItemType.APPOINTMENT, visit.id)
    assert "colorId" not in calendar.get(calendarId="primary", eventId=visit.id).execute()

    delta = provider.changes(ItemType.APPOINTMENT, full.cursor)
    assert {r.id for r in delta.upserted} == {visit.id, lunch["id"]}
    provider.delete(ItemType.APPOINTMENT, visit.id)
    google.store.calendars[ADDRESS].expire_sync_tokens()
    again = provider.changes(ItemType.APPOINTMENT, delta.cursor)
    assert again.full and [r.id for r in again.upserted] == [lunch["id"]]


def test_links_open_each_item_in_googles_web_apps_for_the_right_account(google) -> None:
    provider = GmailProvider(google.url, Credentials(token=TOKEN), address=ADDRESS)
    provider.activate()
    calendar = service(google.url, "calendar", "v3", TOKEN).events()
    event = calendar.insert(calendarId="primary", body={
        "summary": "Visit", "start": {"dateTime": "2026-12-01T10:00:00Z"},
        "end": {"dateTime": "2026-12-01T11:00:00Z"}}).execute()  # fmt: skip
    link = urlsplit(provider.deep_link(ItemType.APPOINTMENT, event["id"]))
    eid = parse_qs(link.query)["eid"][0]
    assert eid == parse_qs(urlsplit(event["htmlLink"]).query)["eid"][0], "as Calendar links it"
    assert parse_qs(link.query)["authuser"] == [ADDRESS]
    assert provider.deep_link(ItemType.CONTACT, "people/c42") == (
        "https://contacts.google.com/person/c42?authuser=gina%40contoso.test"
    )
    assert provider.deep_link(ItemType.EMAIL, "18c1f").endswith("/u/gina%40contoso.test/#all/18c1f")
    assert provider.deep_link(ItemType.TASK, "t1").startswith("https://tasks.google.com/task/t1?")


def test_tasks_changed_in_the_same_millisecond_are_read_once(google, provider) -> None:
    provider.activate()
    made = [provider.create(ItemType.TASK, TaskRecord(subject=f"Call {n}")) for n in range(3)]
    store = google.store.tasks[ADDRESS]
    [sap] = [task_list for task_list in store.lists.values() if task_list.title == "SAP Tasks"]
    moment = datetime(2026, 11, 29, 8, 0, 0, 123000, tzinfo=UTC)
    for ref in made[:2]:
        sap.tasks[ref.id].updated = moment
    sap.tasks[made[2].id].updated = moment - timedelta(seconds=1)

    first = provider.changes(ItemType.TASK, None)
    assert len(first.upserted) == 3
    assert provider.changes(ItemType.TASK, first.cursor).upserted == ()
    sap.tasks[made[2].id].updated = moment  # a third task changed in that same millisecond
    later = provider.changes(ItemType.TASK, first.cursor)
    assert [t.id for t in later.upserted] == [made[2].id]
    assert provider.changes(ItemType.TASK, later.cursor).upserted == ()


def test_messages_are_read_fifty_per_batch_request(google, provider, gmail) -> None:
    provider.activate()
    sap = label_id(gmail, SAP_LABEL)
    store = google.store.mailboxes[ADDRESS]
    for n in range(120):
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "jane@fabrikam.test", ADDRESS, f"Quote {n}"
        mail.set_content("Hello")
        store.insert(mail.as_bytes(), ["INBOX", sap])
    google.log.clear()
    full = provider.changes(ItemType.EMAIL, None)
    assert len(full.upserted) == 120 and {r.subject for r in full.upserted} >= {"Quote 119"}
    batches = google.log.entries("POST", "/batch/gmail/v1")
    assert len(batches) == 3, "50 + 50 + 20"
    assert len(google.log.entries()) == 5, "profile, one page of ids, three batches"

    google.faults.add(google_fault("rateLimitExceeded", path="/batch/", retry_after=2))
    with pytest.raises(Exception) as raised:
        provider.changes(ItemType.EMAIL, None)
    classified = classify_google_error(raised.value)
    assert (classified.code, classified.retry_after) == (IssueCode.TEMPORARY, 2)

"""Gmail's label "SAP E-Mails" and task list "SAP Tasks" as the user may treat them: renamed,
they are followed (the cursor keeps their ids); deleted, they are put back and read in full.
Each is told once through ``folder_changes``. Cursors from before the ids were kept still read
incrementally. A read that finds no change takes the folders the cursor kept without looking
them up, for up to an hour after they were last looked up (a rename or deletion with nothing
else changing is found then: ``aged`` cursors stand for that hour gone by)."""

from __future__ import annotations

from google.oauth2.credentials import Credentials

from backend.mailbox.base import FolderChange, TaskRecord
from backend.mailbox.cursors import (
    FOLDER_CHECK_SECONDS,
    FOLDERS_CHECKED,
    pack_cursor,
    unpack_cursor,
)
from backend.mailbox.gmail.messages import SAP_LABEL
from backend.mailbox.gmail.provider import GmailProvider
from backend.mailbox.gmail.tasks import TASK_LIST
from backend.models.types import ItemType
from tests.fixtures.google import ADDRESS, TOKEN
from tests.mailbox.gmail.test_gmail_provider import deliver, label_id
from tests.support.discovery import service


def _fresh(google) -> GmailProvider:
    """The provider a run builds (it remembers nothing of the last)."""
    return GmailProvider(google.url, Credentials(token=TOKEN))


def aged(cursor: str) -> str:
    """``cursor`` as it stands an hour after its folders were looked up."""
    states = unpack_cursor(cursor)
    assert states is not None
    checked = int(states[FOLDERS_CHECKED]) - FOLDER_CHECK_SECONDS
    return pack_cursor({**states, FOLDERS_CHECKED: str(checked)})


def test_a_renamed_sap_label_is_followed_and_told_once(google) -> None:
    gmail = service(google.url, "gmail", "v1", TOKEN).users()
    first = _fresh(google)
    first.activate()
    cursor = first.changes(ItemType.EMAIL, None).cursor
    sap = label_id(gmail, SAP_LABEL)
    google.store.mailboxes[ADDRESS].labels[sap].name = "Customer mail"

    run = _fresh(google)
    quote = deliver(gmail, "Quote", ["INBOX", sap])
    changes = run.changes(ItemType.EMAIL, cursor)
    assert [record.id for record in changes.upserted] == [quote["id"]] and not changes.full
    assert run.folder_changes() == (FolderChange(SAP_LABEL, "Customer mail"),)
    assert run.folder_changes() == (), "told once"
    labels = gmail.labels().list(userId="me").execute()["labels"]
    assert SAP_LABEL not in {label["name"] for label in labels}, "no second label made"

    later = _fresh(google)
    assert later.changes(ItemType.EMAIL, changes.cursor).upserted == ()
    assert later.folder_changes() == (), "the next run knows the new name"


def test_a_deleted_sap_label_is_put_back_and_read_in_full(google) -> None:
    gmail = service(google.url, "gmail", "v1", TOKEN).users()
    first = _fresh(google)
    first.activate()
    cursor = first.changes(ItemType.EMAIL, None).cursor
    gmail.labels().delete(userId="me", id=label_id(gmail, SAP_LABEL)).execute()

    run = _fresh(google)
    changes = run.changes(ItemType.EMAIL, aged(cursor))
    assert changes.full and changes.upserted == ()
    assert run.folder_changes() == (FolderChange(SAP_LABEL, None),)
    assert label_id(gmail, SAP_LABEL), "put back"


def test_a_legacy_history_cursor_still_reads_incrementally(google) -> None:
    gmail = service(google.url, "gmail", "v1", TOKEN).users()
    first = _fresh(google)
    first.activate()
    start = gmail.getProfile(userId="me").execute()["historyId"]
    quote = deliver(gmail, "Quote", ["INBOX", label_id(gmail, SAP_LABEL)])
    changes = _fresh(google).changes(ItemType.EMAIL, str(start))
    assert not changes.full and [record.id for record in changes.upserted] == [quote["id"]]


def test_a_renamed_or_deleted_sap_task_list_is_followed_or_put_back(google) -> None:
    tasks = service(google.url, "tasks", "v1", TOKEN)
    first = _fresh(google)
    first.activate()
    made = first.create(ItemType.TASK, TaskRecord(subject="Send quote"))
    cursor = first.changes(ItemType.TASK, None).cursor
    store = google.store.tasks[ADDRESS]
    [sap] = [found for found in store.lists.values() if found.title == TASK_LIST]
    sap.title = "Work"

    run = _fresh(google)
    changes = run.changes(ItemType.TASK, aged(cursor))
    assert (changes.full, changes.upserted) == (False, ())
    assert run.folder_changes() == (FolderChange(TASK_LIST, "Work"),)
    copied = run.create(ItemType.TASK, TaskRecord(subject="Call back"))
    titles = [t["title"] for t in tasks.tasks().list(tasklist=sap.id).execute()["items"]]
    assert sorted(titles) == ["Call back", "Send quote"], "written to the renamed list"
    assert copied.id != made.id

    tasks.tasklists().delete(tasklist=sap.id).execute()
    again = _fresh(google)
    after = again.changes(ItemType.TASK, changes.cursor)  # within the hour: the read fails
    assert after.full and after.upserted == ()
    assert again.folder_changes() == (FolderChange(TASK_LIST, None),)
    assert TASK_LIST in {t["title"] for t in tasks.tasklists().list().execute()["items"]}


def test_a_renamed_task_list_stays_followed_when_activation_makes_one_of_the_old_name(
    google,
) -> None:
    tasks = service(google.url, "tasks", "v1", TOKEN)
    first = _fresh(google)
    first.activate()
    first.create(ItemType.TASK, TaskRecord(subject="Send quote"))
    cursor = first.changes(ItemType.TASK, None).cursor
    [sap] = [found for found in google.store.tasks[ADDRESS].lists.values()
             if found.title == TASK_LIST]  # fmt: skip
    sap.title = "Work"

    run = _fresh(google)
    run.activate()  # a type newly enabled: "SAP Tasks" is made again
    assert run.changes(ItemType.TASK, cursor).full is False
    run.create(ItemType.TASK, TaskRecord(subject="Call back"))
    titles = [t["title"] for t in tasks.tasks().list(tasklist=sap.id).execute()["items"]]
    assert sorted(titles) == ["Call back", "Send quote"], "written to the list the user renamed"
    assert run.folder_changes() == (FolderChange(TASK_LIST, "Work"),)


def test_a_read_with_no_change_looks_no_folder_up_for_an_hour(google) -> None:
    first = _fresh(google)
    first.activate()
    first.create(ItemType.TASK, TaskRecord(subject="Send quote"))
    types = (ItemType.ACCOUNT, ItemType.CONTACT, ItemType.TASK, ItemType.EMAIL)
    cursors = {item_type: first.changes(item_type, None).cursor for item_type in types}

    google.log.clear()
    quiet = _fresh(google)
    again = {item_type: quiet.changes(item_type, cursors[item_type]) for item_type in types}
    paths = sorted(entry.path for entry in google.log.entries())
    assert len(paths) == 4, paths
    assert not [p for p in paths if p.endswith(("/labels", "/contactGroups", "/users/@me/lists"))]
    for item_type, changes in again.items():
        assert (changes.upserted, changes.full) == ((), False)
        assert (
            unpack_cursor(changes.cursor)[FOLDERS_CHECKED]
            == unpack_cursor(cursors[item_type])[FOLDERS_CHECKED]
        ), "the hour counts from the last look-up, not from this read"

    google.log.clear()
    hour_later = _fresh(google)
    for item_type in types:
        hour_later.changes(item_type, aged(again[item_type].cursor))
    listed = [
        e.path
        for e in google.log.entries()
        if e.path.endswith(("/labels", "/contactGroups", "/users/@me/lists"))
    ]
    assert len(listed) == 3, "labels, contact groups (once for both types) and task lists"

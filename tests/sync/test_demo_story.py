"""The demo's story: after the first sync, each scene makes a real situation in the demo's
emulators (a change in SAP, an edit in Outlook, Gmail's history gone, SAP's gateway timing out)
and the product's next runs meet the kind of issue the demo promises, nothing else.

The world is the demo's (its seed, its tenant); the scenes are the ones ``flask demo`` plays.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.demo import story
from backend.demo.story import ANNA, BEN, GINA, KIM, LITWARE, OFFER, OSCAR, RENEWAL
from backend.extensions import Resources
from backend.models import Issue, Notification, Run
from backend.models.issue import Resolution
from backend.models.notification import NotificationKind
from backend.models.run import RunOutcome
from backend.models.types import IssueCode, ItemType
from backend.sync.engine import MASS_CHANGE_CODE
from tests.support.demo_world import DemoWorld, mailbox_of
from tests.support.waiting import eventually
from tests.support.writes import writes

SYNCING = (KIM, ANNA, BEN, GINA)
"""Whose mailboxes the story's scenes need synced (Olivia's is not in the story)."""


@pytest.fixture
def app_config(contoso: DemoWorld) -> dict[str, object]:
    return contoso.app_config()


@pytest.fixture
def synced(contoso_sync: Callable[[str], Run]) -> Callable[[str], Run]:
    """One sync of a person's mailbox, after the first sync of those the story needs."""
    for person in SYNCING:
        assert contoso_sync(person.email).outcome is RunOutcome.SUCCEEDED, person.email
    return contoso_sync


def _issues(session: Session, email: str, code: IssueCode) -> list[Issue]:
    session.expire_all()
    return list(session.scalars(
        select(Issue).where(Issue.mailbox_id == mailbox_of(session, email).id, Issue.code == code)
    ))  # fmt: skip


def _sap(contoso: DemoWorld, entity_set: str, field: str, value: str) -> list[dict]:
    return [row for row in contoso.c4c.service.store.all(entity_set) if row.get(field) == value]


def test_litware_given_to_ben_holds_annas_run_and_reaches_bens_mailbox(
    contoso: DemoWorld, synced: Callable[[str], Run], session: Session
) -> None:
    story.litware(contoso.stage())
    held = synced(ANNA.email)
    assert held.outcome is RunOutcome.HELD
    [hold] = [i for i in _issues(session, ANNA.email, IssueCode.NEEDS_INPUT)
              if i.backend_code == MASS_CHANGE_CODE]  # fmt: skip
    assert (hold.item_type, hold.resolved_at) == (None, None), "about the whole mailbox"
    assert hold.action_title == "Ask a key user to approve"
    assert "would delete or overwrite 31 of" in (hold.backend_message or "")
    kim = session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.MASS_CHANGE_HELD)
    ).all()
    assert [n.recipients for n in kim] == [[KIM.email]], "the key user is asked to approve"
    litware = (contoso.stage().outlook(ANNA).contacts / "SAP Contacts").filter(company_name=LITWARE)
    assert litware.count() == 30, "nothing left Anna's mailbox while held"
    bens = synced(BEN.email)
    assert (bens.outcome, bens.created) == (RunOutcome.SUCCEEDED, 31), "Litware and its people"


def test_bens_task_edited_on_both_sides_is_a_conflict_and_a_deleted_one_not_found(
    contoso: DemoWorld, synced: Callable[[str], Run], session: Session
) -> None:
    stage = contoso.stage()
    story.renewal(stage)
    story.offer(stage)
    run = synced(BEN.email)
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    [conflict] = [i for i in _issues(session, BEN.email, IssueCode.CONFLICT)
                  if i.item_type is ItemType.TASK]  # fmt: skip
    assert conflict.title == RENEWAL
    assert (conflict.informational, conflict.resolution) == (True, Resolution.AUTO)
    [task] = stage.outlook(BEN).tasks.filter(subject=RENEWAL)
    assert story.RENEWAL_NOTE in (task.body or ""), "SAP's change was the newer: Outlook has it"
    assert "kept the SAP version (NEWER_WINS)" in (conflict.backend_message or "")
    [gone] = _issues(session, BEN.email, IssueCode.NOT_FOUND)
    assert (gone.title, gone.informational, gone.resolved_at) == (OFFER, True, None)
    offers = {row["ObjectID"] for row in _sap(contoso, "TasksCollection", "Subject", OFFER)}
    assert gone.c4c_object_id in offers, "not deleted on one miss"
    synced(BEN.email)
    left = {row["ObjectID"] for row in _sap(contoso, "TasksCollection", "Subject", OFFER)}
    assert left == offers - {gone.c4c_object_id}, "missed twice: Ben's goes, colleagues' stay"
    [gone] = _issues(session, BEN.email, IssueCode.NOT_FOUND)
    assert gone.resolved_at is not None
    contoso.c4c.log.clear()
    contoso.ews.log.clear()
    quiet = synced(BEN.email)
    assert (quiet.created, quiet.updated, quiet.deleted, quiet.issues_opened) == (0, 0, 0, 0)
    assert writes(contoso.c4c) == writes(contoso.ews) == []


def test_oscar_meets_sap_timing_out_five_runs_before_an_issue_then_it_clears(
    contoso: DemoWorld, synced: Callable[[str], Run], session: Session, resources: Resources
) -> None:
    story.oscar(contoso.stage())
    before = resources.settings.temporary_failures_before_issue
    for _ in range(before - 1):
        run = synced(BEN.email)
        assert (run.outcome, run.failed) == (RunOutcome.SUCCEEDED, 1)
        assert _issues(session, BEN.email, IssueCode.TEMPORARY) == []
    synced(BEN.email)
    [issue] = _issues(session, BEN.email, IssueCode.TEMPORARY)
    assert (issue.item_type, issue.http_status, issue.resolved_at) == (ItemType.CONTACT, 504, None)
    assert issue.action_title == "Nothing to do: we keep trying"
    contoso.c4c.faults.clear()  # SAP's gateway answers again
    synced(BEN.email)
    [issue] = _issues(session, BEN.email, IssueCode.TEMPORARY)
    assert issue.resolved_at is not None
    titles = {row["JobTitle"] for row in _sap(contoso, "ContactCollection", "Email", OSCAR)}
    assert story.OSCAR_TITLE in titles, "Ben's edit reached SAP"


def test_gmail_forgetting_ginas_history_reads_her_e_mails_in_full_and_writes_nothing(
    contoso: DemoWorld, synced: Callable[[str], Run], session: Session
) -> None:
    story.history(contoso.stage())
    contoso.clear_logs()
    run = synced(GINA.email)
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert run.read_in_full == "EMAIL"
    assert (run.created, run.updated, run.deleted, run.issues_opened, run.issues_resolved) == (
        0, 0, 0, 0, 0,
    )  # fmt: skip
    written = [call for emulator in contoso.emulators().values() for call in writes(emulator)]
    assert written == [], "a full read that finds nothing new writes nothing"
    assert _issues(session, GINA.email, IssueCode.CURSOR_INVALID) == []
    assert synced(GINA.email).read_in_full is None, "the next run reads from its new place"


def test_the_story_plays_each_scene_once_its_person_has_synced_and_skips_what_it_cannot(
    contoso: DemoWorld, synced: Callable[[str], Run]
) -> None:
    [task] = contoso.stage().outlook(BEN).tasks.filter(subject=OFFER)
    task.delete()  # the visitor got there first
    told: list[str] = []
    story.play(contoso.stage(), lambda _email: True, threading.Event(), told.append)
    played = [line.split(":")[1].split()[0] for line in told]
    assert sorted(played) == sorted(scene.name for scene in story.SCENES), told
    assert told[0].startswith("demo story: litware: Anna: a mass-change hold")
    [skipped] = [line for line in told if "skipped" in line]
    assert skipped.startswith("demo story: offer skipped (ValueError"), "after its tries"


def test_the_story_waits_for_first_syncs_and_stops_with_the_demo(contoso: DemoWorld) -> None:
    asked: list[str] = []
    answers = iter([Exception("database is locked"), False, False])

    def synced(email: str) -> bool:
        asked.append(email)
        answer = next(answers, email == ANNA.email)
        if isinstance(answer, Exception):
            raise answer
        return answer

    stopping = threading.Event()
    told: list[str] = []
    player = threading.Thread(
        target=story.play, args=(contoso.stage(), synced, stopping, told.append)
    )
    player.start()
    assert eventually(lambda: told, seconds=20), "Anna's scene played once she had synced"
    stopping.set()
    player.join(timeout=10)
    assert not player.is_alive()
    assert told == ["demo story: litware: " + story.SCENES[0].shows], "only Anna has synced"
    assert asked[0] == ANNA.email and asked.count(ANNA.email) >= 2, (
        "asked again after a failed look"
    )
    written = [w for w in writes(contoso.c4c) if "CorporateAccountCollection" in w]
    assert len(written) == 1 and writes(contoso.ews) == []

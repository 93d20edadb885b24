"""A worker killed with SIGKILL in the middle of a large run: the next scheduler tick after its
lock expired runs the mailbox again, and nothing is lost or duplicated."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psutil
from rq import Queue
from sqlalchemy import select

from backend import presenters
from backend.extensions import Resources
from backend.jobs import queues
from backend.jobs.runtime import use_app
from backend.jobs.schedule import enqueue_due_mailboxes, enqueue_sync
from backend.jobs.single_flight import HEARTBEAT_STALE, lock_name, sync_job_id
from backend.models import Mailbox, Run, SyncItem
from backend.models.run import RunOutcome, Trigger
from backend.models.types import ItemType
from backend.storage.db import utcnow
from backend.sync import employees, status
from backend.sync.markers import wanted_markers
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_employees
from emulators.ews import EwsEmulator
from emulators.ews.seed import add_contact
from tests.support.world import ADDRESS

ROOT = Path(__file__).resolve().parents[2]
CONTACTS, WITHOUT_SURNAME = 2000, 20
SAP_TASKS = 1200


def _worker(resources: Resources) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": resources.settings.database_url,
        "REDIS_URL": resources.redis_url,
        "INSTANCE_PATH": str(resources.settings.instance_path),
        "SYNC_LOCK_TTL_SECONDS": "5",
        "LOG_LEVEL": "WARNING",
    }
    log = (resources.settings.instance_path / "worker.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--queue", "sync"],
        cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _worker_said(resources: Resources) -> str:
    """The end of what the workers printed, to explain a failure."""
    path = resources.settings.instance_path / "worker.log"
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(nothing)"


def _kill_with_work_horse(pid: int) -> None:
    """SIGKILL the worker and the work horse it forked (RQ puts that in a session of its own)."""
    parent = psutil.Process(pid)
    for process in [*parent.children(recursive=True), parent]:
        process.send_signal(signal.SIGKILL)


def test_killed_mid_run_then_the_next_tick_runs_it_again_cleanly(
    app, resources: Resources, ews: EwsEmulator, c4c: C4CEmulator, session, mailbox
) -> None:
    box = ews.store.mailbox(ADDRESS)
    for number in range(CONTACTS):
        surname = "" if number < WITHOUT_SURNAME else f"Person{number:04d}"
        add_contact(box, f"First{number:04d}", surname, f"p{number:04d}@customer.test")

    worker = _worker(resources)
    try:
        enqueue_sync(resources.redis, mailbox.id, Trigger.SCHEDULE, timeout=600)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(c4c.service.store.all("ContactCollection")) < 400:
            time.sleep(0.05)
        _kill_with_work_horse(worker.pid)
    finally:
        worker.wait(timeout=30)
    created_before = len(c4c.service.store.all("ContactCollection"))
    assert 400 <= created_before < CONTACTS - WITHOUT_SURNAME, (
        f"killed in the middle; the worker said: {_worker_said(resources)}"
    )

    session.expire_all()
    assert status.is_ongoing(session.get(Mailbox, mailbox.id)), "the dead run left its stage"
    run = _run_again_after_the_kill(app, resources, session, mailbox.id)
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    interrupted = session.scalars(select(Run).where(Run.mailbox_id == mailbox.id)).all()
    assert [r.outcome for r in interrupted].count(RunOutcome.INTERRUPTED) == 1
    contacts = c4c.service.store.all("ContactCollection")
    references = Counter(contact["ExternalID"] for contact in contacts)
    emails = Counter(contact["Email"] for contact in contacts)
    assert len(contacts) == CONTACTS - WITHOUT_SURNAME
    assert max(references.values()) == 1 and max(emails.values()) == 1, "no duplicates"
    items = session.scalars(select(SyncItem).where(SyncItem.mailbox_id == mailbox.id)).all()
    assert len(items) == CONTACTS
    wanted = wanted_markers(session, mailbox.id)
    assert len(wanted) == WITHOUT_SURNAME
    marked = {(i.item_type, i.mailbox_item_id): i.marker_detail for i in items if i.marker_detail}
    assert marked == wanted
    folder = box.folder_by_path("Contacts", "SAP Contacts")
    tagged = [i for i in box.items_in(folder.id) if "Sync Error" in i.texts("Categories")]
    assert len(tagged) == WITHOUT_SURNAME


def _run_again_after_the_kill(app, resources: Resources, session, mailbox_id: int) -> Run:
    """The run a new worker makes of the mailbox once the dead worker's lock has expired."""
    use_app(app)
    _until_expired(resources, lock_name(mailbox_id))
    # A tick once the dead job's heartbeat is stale (the clock is moved, not waited for):
    # it sweeps the dead run and queues the mailbox again.
    enqueue_due_mailboxes(clock=lambda: utcnow() + HEARTBEAT_STALE)
    assert sync_job_id(mailbox_id) in Queue(queues.SYNC, connection=resources.redis).job_ids
    worker = _worker(resources)
    try:
        return _next_run_after(session, mailbox_id, deadline=time.monotonic() + 240)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


def _until_expired(resources: Resources, key: str) -> None:
    """Wait for Redis to drop the dead worker's lock (its TTL is 5 s and nobody renews it)."""
    deadline = time.monotonic() + 10
    while resources.redis.exists(key):
        assert time.monotonic() < deadline, "the dead worker's lock never expired"
        time.sleep(0.1)


def _next_run_after(session, mailbox_id: int, deadline: float) -> Run:
    """The run a worker makes of the mailbox after the killed one, once it has ended."""
    while time.monotonic() < deadline:
        session.expire_all()
        runs = session.scalars(
            select(Run).where(Run.mailbox_id == mailbox_id).order_by(Run.id)
        ).all()
        if len(runs) >= 2 and runs[-1].finished_at is not None:
            return runs[-1]
        time.sleep(0.2)
    raise AssertionError("the mailbox did not run again")


def _tasks(box) -> list[str]:
    folder = box.distinguished("tasks")
    return [subject for item in box.items_in(folder.id) for subject in item.texts("Subject")]


def test_killed_in_a_large_first_download_from_sap_then_no_copy_is_made_twice(
    app, resources: Resources, ews: EwsEmulator, c4c: C4CEmulator, session, tenant, mailbox
) -> None:
    store = c4c.service.store
    seed_employees(store, (("Anna", "Sales", ADDRESS),))
    employees.match_tenant(session, tenant, resources.cipher, resources.settings)
    session.commit()
    [anna] = (row["EmployeeID"] for row in store.all("EmployeeCollection"))
    for number in range(SAP_TASKS):
        store.create("TasksCollection", {"Subject": f"Task {number:04d}", "ProcessorPartyID": anna})
    box = ews.store.mailbox(ADDRESS)

    worker = _worker(resources)
    try:
        enqueue_sync(resources.redis, mailbox.id, Trigger.SCHEDULE, timeout=600)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_tasks(box)) < 300:
            time.sleep(0.05)
        session.expire_all()
        progress = presenters.import_progress(session.get(Mailbox, mailbox.id))
        _kill_with_work_horse(worker.pid)
    finally:
        worker.wait(timeout=30)
    made_before = len(_tasks(box))
    assert 300 <= made_before < SAP_TASKS, f"killed mid-way: {_worker_said(resources)}"
    shown = re.fullmatch(r"Importing now: ([\d,]+) of 1,200", progress[ItemType.TASK])
    assert shown, progress
    assert 200 <= int(shown.group(1).replace(",", "")) < SAP_TASKS, "the user sees how far it is"

    run = _run_again_after_the_kill(app, resources, session, mailbox.id)
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    subjects = Counter(_tasks(box))
    assert len(subjects) == SAP_TASKS and max(subjects.values()) == 1, "each task once"
    items = session.scalars(
        select(SyncItem).where(SyncItem.mailbox_id == mailbox.id, SyncItem.item_type == "TASK")
    ).all()
    assert len(items) == SAP_TASKS and all(item.mailbox_item_id for item in items)
    session.expire_all()
    assert presenters.import_progress(session.get(Mailbox, mailbox.id)) == {}

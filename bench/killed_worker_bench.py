"""Ten SIGKILLs of a real worker mid-run: minutes until each mailbox synced again, and the data.

The real processes run as in production, with the product's default settings: the scheduler
(``flask scheduler``, RQ's cron scheduler: the due-mailboxes tick every 30 s), a worker for the
periodic jobs (``flask worker --queue default``) and one for the runs (``flask worker --queue
sync``). C4C and the Exchange server are the emulators, served from this process on 127.0.0.1.

Each round adds a mailbox of ``--contacts`` contacts (a first sync of a few seconds) to one
tenant; the scheduler's next tick queues it, the sync worker starts it, and once C4C holds a
third of its contacts the worker and its work horse are killed with SIGKILL. A new sync worker
starts at once (as a supervisor restarts a dead one). The round ends when the mailbox has a
succeeded run that began after the kill; it reports the minutes from the kill to the start and
to the end of that run, then counts the mailbox's contacts in C4C: duplicates (a reference or
an address twice) and losses (a contact of the mailbox missing in C4C, or not paired).

With ``--emails N`` the mailbox also holds N received messages with the "SAP" category, each
from one of its contacts, checked the same way (``EMailCollection``, by subject). The
peak memory of the sync worker (the worker and its work horse, sampled twice a second through
the round) is reported, as is the first run's time until the kill.

Run: ``python -m bench.killed_worker_bench [--rounds 10] [--contacts 1500] [--emails 0]``.
Takes about two to three minutes per round of 1,500 contacts. Uses a scratch SQLite file and an
embedded Redis unless ``DATABASE_URL`` / ``REDIS_URL`` are set. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
from sqlalchemy import select

from backend.extensions import Resources
from backend.models import Mailbox, Run, SyncItem, Tenant
from backend.models.mailbox import Provider
from backend.models.run import RunOutcome
from backend.models.sync_item import SyncItemState
from backend.models.types import MailSystem
from backend.tenants.onboarding import add_user, create_tenant
from bench.scratch import scratch_app
from emulators.c4c import C4CEmulator, create_emulator
from emulators.ews import EwsEmulator
from emulators.ews.seed import add_contact, add_message

ROOT = Path(__file__).resolve().parent.parent
C4C_USER, C4C_PASSWORD = "bench", "bench"
ROUND_LIMIT_SECONDS = 3 * 3600


@dataclass
class Round:
    number: int
    killed_after: int
    """Contacts in C4C when the worker was killed."""
    to_start: float
    """Minutes from the kill to the start of the next run."""
    to_synced: float
    """Minutes from the kill to the end of the succeeded run."""
    duplicates: int
    losses: int
    interrupted: int
    """Runs marked INTERRUPTED (the killed one)."""
    peak_mb: float
    """The sync worker's largest resident memory (worker and work horse) during the round."""
    to_kill: float
    """Minutes from the mailbox's creation to the kill (the first run's progress until then)."""


class Processes:
    """The scheduler and the workers, started with the app's environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.started: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill_tree(process.pid)


def kill_tree(pid: int) -> None:
    """SIGKILL a worker and the work horse it forked."""
    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    for process in [*parent.children(recursive=True), parent]:
        try:
            process.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            continue


def _mailbox(
    found: Resources, tenant_id: int, ews: EwsEmulator, number: int, size: int, emails: int
) -> int:
    address = f"round{number}@contoso.test"
    box = ews.store.add_mailbox(address, "pass")
    for index in range(size):
        add_contact(box, f"First{index:04d}", f"R{number}Person{index:04d}",
                    f"p{index:04d}@round{number}.test")  # fmt: skip
    for index in range(emails):
        sender = f"p{index % max(size, 1):04d}@round{number}.test"
        add_message(box, f"R{number} message {index:06d}", sender, categories=["SAP"])
    session = found.session_factory()
    try:
        tenant = session.get(Tenant, tenant_id)
        user = add_user(session, tenant, email=address, name=f"Round {number}",
                        cipher=found.cipher, provider=Provider.EXCHANGE,
                        mailbox_credentials={"username": address, "password": "pass"})  # fmt: skip
        session.flush()
        mailbox_id = session.scalars(select(Mailbox.id).where(Mailbox.user_id == user.id)).one()
        session.commit()
        return mailbox_id
    finally:
        session.close()


def _in_c4c(c4c: C4CEmulator, number: int) -> list[dict]:
    return [
        contact
        for contact in c4c.service.store.all("ContactCollection")
        if (contact.get("Email") or "").endswith(f"@round{number}.test")
    ]


def _runs(found: Resources, mailbox_id: int) -> list[Run]:
    session = found.session_factory()
    try:
        return list(session.scalars(select(Run).where(Run.mailbox_id == mailbox_id)))
    finally:
        session.close()


class Peak:
    """The largest resident memory of a process and its children, sampled in the background."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            if self.pid is None:
                continue
            try:
                parent = psutil.Process(self.pid)
                tree = [parent, *parent.children(recursive=True)]
                self.bytes = max(self.bytes, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                continue

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.bytes / 2**20


def _emails_in_c4c(c4c: C4CEmulator, number: int) -> list[dict]:
    return [
        email
        for email in c4c.service.store.all("EMailCollection")
        if (email.get("Subject") or "").startswith(f"R{number} message ")
    ]


def _wait(condition, limit: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def one_round(
    found: Resources, processes: Processes, worker: subprocess.Popen, c4c: C4CEmulator,
    ews: EwsEmulator, tenant_id: int, number: int, size: int, emails: int = 0,
) -> tuple[Round, subprocess.Popen]:  # fmt: skip
    peak = Peak()
    peak.pid = worker.pid
    mailbox_id = _mailbox(found, tenant_id, ews, number, size, emails)
    created = datetime.now(UTC)
    if not _wait(lambda: len(_in_c4c(c4c, number)) >= size // 3, limit=ROUND_LIMIT_SECONDS):
        raise RuntimeError(f"round {number}: the first run did not get going")
    kill_tree(worker.pid)
    killed = datetime.now(UTC)
    killed_after = len(_in_c4c(c4c, number))
    worker.wait(timeout=30)
    worker = processes.start("worker", "--queue", "sync")
    peak.pid = worker.pid

    def synced_again() -> bool:
        return any(
            run.outcome is RunOutcome.SUCCEEDED and run.started_at > killed
            for run in _runs(found, mailbox_id)
        )

    if not _wait(synced_again, limit=ROUND_LIMIT_SECONDS, step=1.0):
        raise RuntimeError(f"round {number}: not synced again within the limit")
    good = next(
        run for run in _runs(found, mailbox_id)
        if run.outcome is RunOutcome.SUCCEEDED and run.started_at > killed
    )  # fmt: skip
    contacts = _in_c4c(c4c, number)
    references = Counter(contact["ExternalID"] for contact in contacts)
    addresses = Counter(contact["Email"] for contact in contacts)
    duplicates = sum(n - 1 for n in references.values()) + sum(n - 1 for n in addresses.values())
    session = found.session_factory()
    try:
        paired = session.scalars(
            select(SyncItem).where(
                SyncItem.mailbox_id == mailbox_id, SyncItem.state == SyncItemState.SYNCED
            )
        ).all()
    finally:
        session.close()
    messages = Counter(email["Subject"] for email in _emails_in_c4c(c4c, number))
    duplicates += sum(n - 1 for n in messages.values())
    losses = (size - len(addresses)) + (size + emails - len(paired)) + (emails - len(messages))
    interrupted = sum(r.outcome is RunOutcome.INTERRUPTED for r in _runs(found, mailbox_id))
    minutes = 60.0
    result = Round(
        number,
        killed_after,
        (good.started_at - killed).total_seconds() / minutes,
        (good.finished_at - killed).total_seconds() / minutes,
        duplicates,
        losses,
        interrupted,
        peak.stop(),
        (killed - created).total_seconds() / minutes,
    )
    return result, worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--contacts", type=int, default=1500)
    parser.add_argument("--emails", type=int, default=0)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        app = scratch_app(Path(folder), log_level="WARNING")
        found: Resources = app.extensions["ssi"]
        c4c = create_emulator({C4C_USER: C4C_PASSWORD}).start()
        ews = EwsEmulator().start()
        session = found.session_factory()
        tenant = create_tenant(
            session, slug="contoso", name="Contoso", c4c_base_url=c4c.base_url,
            mail_system=MailSystem.EXCHANGE_SERVER, mail_endpoint=ews.endpoint,
            cipher=found.cipher, c4c_username=C4C_USER,
            c4c_credentials={"password": C4C_PASSWORD},
        )  # fmt: skip
        session.commit()
        tenant_id = tenant.id
        session.close()
        env = {
            **os.environ,
            "DATABASE_URL": found.settings.database_url,
            "INSTANCE_PATH": str(found.settings.instance_path),
            "REDIS_URL": found.redis_url,
            "LOG_LEVEL": "WARNING",
        }
        processes = Processes(env)
        rounds: list[Round] = []
        try:
            processes.start("scheduler")
            processes.start("worker", "--queue", "default")
            worker = processes.start("worker", "--queue", "sync")
            print("| kill | contacts in C4C at the kill | minutes until the kill | minutes to the "
                  "next run | minutes until synced again | duplicates | losses | runs marked "
                  "interrupted | peak MB of the sync worker |")  # fmt: skip
            print("|---|---|---|---|---|---|---|---|---|")
            for number in range(1, args.rounds + 1):
                result, worker = one_round(
                    found,
                    processes,
                    worker,
                    c4c,
                    ews,
                    tenant_id,
                    number,
                    args.contacts,
                    args.emails,
                )
                rounds.append(result)
                print(
                    f"| {result.number} | {result.killed_after} of {args.contacts} "
                    f"| {result.to_kill:.2f} | {result.to_start:.2f} | {result.to_synced:.2f} "
                    f"| {result.duplicates} | {result.losses} | {result.interrupted} "
                    f"| {result.peak_mb:.0f} |",
                    flush=True,
                )
        finally:
            processes.stop_all()
            c4c.stop()
            ews.stop()
            found.engine.dispose()
        if rounds:
            synced = [r.to_synced for r in rounds]
            print(
                f"\nminutes until synced again: median {statistics.median(synced):.2f}, "
                f"max {max(synced):.2f}; duplicates {sum(r.duplicates for r in rounds)}, "
                f"losses {sum(r.losses for r in rounds)}"
            )


if __name__ == "__main__":
    main()

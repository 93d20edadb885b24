"""A tenant of N mailboxes against a dead C4C: how long one scheduling cycle takes.

One tenant on Exchange Server (the EWS emulator) with ``--mailboxes`` mailboxes, each holding a
few contacts, first synced while C4C answers. Then each mailbox gets one new contact (a write
waiting for C4C) and C4C dies in one of two ways:

- ``hang``: C4C accepts every connection and never answers (the emulator's ``hang`` fault);
- ``refused``: nothing listens on C4C's port any more (the emulator went down).

One cycle then runs every mailbox once, one after the other, through the real sync job
(``backend.jobs.sync.sync_mailbox``), as one worker does when the scheduler queued them all. The
bench prints the cycle's seconds, the seconds per mailbox, how each run ended (status and code),
the words the mailbox shows and how many requests reached C4C. Each way of dying gets a fresh
tenant, so nothing one learnt carries over to the other. The product's default timeouts apply
(override them with the usual variables, e.g. ``READ_TIMEOUT_SECONDS``).

Run: ``python -m bench.outage_bench [--mailboxes 5] [--faults hang,refused]``. Takes about two
minutes per mailbox and fault on code that waits out every timeout, seconds on code that does
not. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections import Counter
from pathlib import Path

from flask import Flask

from backend.extensions import Resources
from backend.jobs.runtime import use_app
from backend.jobs.sync import sync_mailbox
from backend.models import Mailbox, Run
from backend.models.mailbox import Provider
from backend.models.types import MailSystem
from backend.tenants.onboarding import add_user, create_tenant
from bench.scratch import scratch_app
from emulators.base import Fault
from emulators.c4c import C4CEmulator, create_emulator
from emulators.ews import EwsEmulator
from emulators.ews.seed import add_contact

C4C_USER, C4C_PASSWORD = "bench", "bench"
CONTACTS = 5


def _app(folder: Path) -> Flask:
    app = scratch_app(folder)
    use_app(app)
    return app


def _tenant(
    found: Resources, slug: str, c4c: C4CEmulator, ews: EwsEmulator, count: int
) -> list[int]:
    """A tenant with ``count`` Exchange mailboxes of a few contacts each; their mailbox ids."""
    session = found.session_factory()
    try:
        tenant = create_tenant(
            session, slug=slug, name=slug.title(), c4c_base_url=c4c.base_url,
            mail_system=MailSystem.EXCHANGE_SERVER, mail_endpoint=ews.endpoint,
            cipher=found.cipher, c4c_username=C4C_USER,
            c4c_credentials={"password": C4C_PASSWORD},
        )  # fmt: skip
        ids = []
        for number in range(count):
            address = f"user{number}@{slug}.test"
            box = ews.store.add_mailbox(address, "pass")
            for contact in range(CONTACTS):
                add_contact(box, f"First{contact}", f"{slug}{number}x{contact}",
                            f"c{contact}.u{number}@{slug}-customer.test")  # fmt: skip
            secret = {"username": address, "password": "pass"}
            user = add_user(session, tenant, email=address, name=f"User {number}",
                            cipher=found.cipher, provider=Provider.EXCHANGE,
                            mailbox_credentials=secret)  # fmt: skip
            session.flush()
            ids.append(session.query(Mailbox).filter_by(user_id=user.id).one().id)
        session.commit()
        return ids
    finally:
        session.close()


def _cycle(ids: list[int]) -> tuple[float, list[float]]:
    """Every mailbox once, one after the other; the cycle's seconds and each run's."""
    each = []
    started = time.monotonic()
    for mailbox_id in ids:
        one = time.monotonic()
        sync_mailbox(mailbox_id, "SCHEDULE")
        each.append(time.monotonic() - one)
    return time.monotonic() - started, each


def _outcomes(found: Resources, ids: list[int]) -> tuple[Counter, Counter, list[str]]:
    session = found.session_factory()
    try:
        statuses, codes, messages = Counter(), Counter(), []
        for mailbox_id in ids:
            mailbox = session.get(Mailbox, mailbox_id)
            run = (
                session.query(Run).filter_by(mailbox_id=mailbox_id).order_by(Run.id.desc()).first()
            )
            statuses[str(mailbox.status)] += 1
            codes[str(run.error_code) if run and run.error_code else str(run.outcome)] += 1
            messages.append(mailbox.status_reason or "")
        return statuses, codes, messages
    finally:
        session.close()


def measure(app: Flask, fault: str, count: int) -> dict[str, object]:
    found: Resources = app.extensions["ssi"]
    c4c = create_emulator({C4C_USER: C4C_PASSWORD}).start()
    ews = EwsEmulator().start()
    try:
        ids = _tenant(found, f"{fault}co", c4c, ews, count)
        _cycle(ids)
        good = _outcomes(found, ids)[1]
        assert good == Counter({"SUCCEEDED": count}), f"the first sync failed: {good}"
        for number in range(count):
            box = ews.store.mailbox(f"user{number}@{fault}co.test")
            add_contact(box, "Waiting", f"Writer{number}", f"w{number}@{fault}co-customer.test")
        if fault == "hang":
            c4c.faults.add(Fault(hang=True, times=10**9))
        else:
            c4c.go_down()
        c4c.log.clear()
        seconds, each = _cycle(ids)
        statuses, codes, messages = _outcomes(found, ids)
        reached = c4c.log.count()
        if fault == "refused":
            c4c.come_back()
        return {
            "fault": fault,
            "mailboxes": count,
            "cycle": seconds,
            "per mailbox": max(each),
            "statuses": dict(statuses),
            "codes": dict(codes),
            "c4c requests": reached,
            "message": Counter(messages).most_common(1)[0][0],
        }
    finally:
        c4c.faults.clear()
        c4c.stop()
        ews.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mailboxes", type=int, default=5)
    parser.add_argument("--faults", default="hang,refused")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        app = _app(Path(folder))
        print("| C4C | mailboxes | cycle s | slowest run s | mailbox statuses | run codes "
              "| requests reaching C4C | what the mailbox shows |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|")
        for fault in args.faults.split(","):
            row = measure(app, fault.strip(), args.mailboxes)
            print(
                f"| {row['fault']} | {row['mailboxes']} | {row['cycle']:.1f} "
                f"| {row['per mailbox']:.1f} | {row['statuses']} | {row['codes']} "
                f"| {row['c4c requests']} | {row['message'][:120]} |",
                flush=True,
            )
        app.extensions["ssi"].engine.dispose()


if __name__ == "__main__":
    main()

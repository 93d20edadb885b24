"""C4C reads per cycle for a tenant of N mailboxes: the tenant's C4C feed against the fan-out.

One tenant on Exchange Server (the EWS emulator) with N mailboxes of two contacts each, its C4C
the C4C emulator with 500 accounts and 500 contacts; every user is matched to a C4C employee, as
a connection test does. The mailboxes' first runs come first (onboarding); then, per cycle,
``--changes`` C4C contacts change and every mailbox runs once as one scheduler tick would run
them (a scheduled run, due before the tick); then a quiet cycle with no change at all.

Per cycle it reports the C4C requests and the C4C rows read (entities C4C sent back), per
cycle and per mailbox, and the median seconds of a run, medians of ``--repeat`` cycles.

With ``--first-download N`` it measures instead one user's first run with N tasks of theirs in
SAP (they process them), none in the mailbox yet: seconds, items per second, and requests per
item to the mail system and to C4C. With ``--reconcile N``, the feed's look-up of every kept
contact (N more than the world's 500): C4C requests and seconds.

Run: ``.venv/bin/python -m bench.feed_bench --mailboxes 10,100,1000 [--changes 200]`` or
``--first-download 5000``; with ``DATABASE_URL`` and ``REDIS_URL`` it uses those servers.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from backend.crm.c4c import C4CClient
from backend.extensions import Resources
from backend.models import Mailbox, Tenant
from backend.models.run import Trigger
from backend.models.types import MailSystem
from backend.storage import schema
from backend.storage.db import utcnow
from backend.sync import employees, feed
from backend.sync.engine import Engine
from backend.sync.mapping import contacts
from backend.sync.runs import execute_run
from backend.tenants.onboarding import add_user, create_tenant
from bench.scratch import scratch_app
from emulators.c4c import C4CEmulator, create_emulator
from emulators.c4c.seed import seed_employees
from emulators.ews import EwsEmulator
from emulators.ews.seed import add_contact

USER, PASSWORD = "BENCH", "bench"
ACCOUNTS = CONTACTS = 500


@dataclass
class Cycle:
    requests: int
    rows: int
    run_seconds: float


def address(number: int) -> str:
    return f"user{number:05d}@bench.test"


def _world(found: Resources, mailboxes: int, c4c: C4CEmulator, ews: EwsEmulator) -> Tenant:
    store = c4c.service.store
    seed_employees(store, tuple((f"User{n}", "Bench", address(n)) for n in range(mailboxes)))
    owners = [row["EmployeeID"] for row in store.all("EmployeeCollection")]
    for number in range(ACCOUNTS):
        account = store.create(
            "CorporateAccountCollection",
            {"Name": f"Account {number}", "OwnerID": owners[number % len(owners)]},
        )
        store.create(
            "ContactCollection",
            {"FirstName": "Contact", "LastName": f"N{number}", "AccountID": account["AccountID"]},
        )
    session = found.session_factory()
    tenant = create_tenant(
        session, slug="bench", name="Bench", c4c_base_url=c4c.base_url,
        mail_system=MailSystem.EXCHANGE_SERVER, mail_endpoint=ews.endpoint, cipher=found.cipher,
        c4c_username=USER, c4c_credentials={"password": PASSWORD},
        email_domains=("bench.test",),
    )  # fmt: skip
    for number in range(mailboxes):
        box = ews.store.add_mailbox(address(number), "pw")
        for contact in range(2):
            add_contact(box, f"Own{contact}", f"Of{number}", None)
        add_user(session, tenant, email=address(number), name=f"User {number}",
                 cipher=found.cipher, mailbox_credentials={"password": "pw"})  # fmt: skip
    session.commit()
    employees.match_tenant(session, tenant, found.cipher, found.settings)
    session.commit()
    session.close()
    return tenant


def _cycle(found: Resources, c4c: C4CEmulator, *, scheduled: bool) -> Cycle:
    c4c.log.clear()
    served = c4c.service.rows_served
    seconds: list[float] = []
    tick = utcnow()  # every mailbox due now, after the changes: the tick's first run reads
    session = found.session_factory()
    for mailbox in session.scalars(select(Mailbox).order_by(Mailbox.id)):
        started = time.perf_counter()
        execute_run(
            session, mailbox, Engine(found.cipher, found.settings, found.redis),
            trigger=Trigger.SCHEDULE if scheduled else Trigger.CLI, settings=found.settings,
            due_at=tick if scheduled else None,
        )  # fmt: skip
        seconds.append(time.perf_counter() - started)
    session.close()
    requests = sum(1 for entry in c4c.log.entries() if "/c4codataapi/" in entry.path)
    return Cycle(requests, c4c.service.rows_served - served, statistics.median(seconds))


def _change(c4c: C4CEmulator, changes: int, round_number: int) -> None:
    store = c4c.service.store
    for row in store.all("ContactCollection")[:changes]:
        store.update("ContactCollection", row["ObjectID"], {"JobTitle": f"Round {round_number}"})


@contextmanager
def _scratch(mailboxes: int) -> Iterator[tuple[Resources, Tenant, C4CEmulator, EwsEmulator]]:
    """An empty scratch database and the emulators with the bench's world of ``mailboxes``."""
    with tempfile.TemporaryDirectory() as folder:
        app = scratch_app(Path(folder))
        found: Resources = app.extensions["ssi"]
        schema.downgrade(found.engine, "base")  # a configured database starts empty too
        schema.upgrade(found.engine)
        c4c = create_emulator({USER: PASSWORD})
        try:
            with c4c, EwsEmulator() as ews:
                yield found, _world(found, mailboxes, c4c, ews), c4c, ews
        finally:
            found.engine.dispose()


def measure(mailboxes: int, changes: int, repeat: int) -> dict[str, Cycle]:
    with _scratch(mailboxes) as (found, _tenant, c4c, _ews):
        figures = {"onboarding": _cycle(found, c4c, scheduled=False)}
        changed, quiet = [], []
        for number in range(repeat):
            _change(c4c, changes, number)
            changed.append(_cycle(found, c4c, scheduled=True))
            quiet.append(_cycle(found, c4c, scheduled=True))
        figures["changed"] = _median(changed)
        figures["quiet"] = _median(quiet)
        return figures


def first_download(records: int) -> None:
    with _scratch(1) as (found, _tenant, c4c, ews):
        store = c4c.service.store
        [employee] = (row["EmployeeID"] for row in store.all("EmployeeCollection"))
        for number in range(records):
            store.create("TasksCollection", {"Subject": f"Task {number:05d}",
                                             "ProcessorPartyID": employee})  # fmt: skip
        session = found.session_factory()
        mailbox = session.scalars(select(Mailbox)).one()
        for emulator in (c4c, ews):
            emulator.log.clear()
        started = time.perf_counter()
        run = execute_run(session, mailbox, Engine(found.cipher, found.settings, found.redis),
                          trigger=Trigger.CLI, settings=found.settings)  # fmt: skip
        seconds = time.perf_counter() - started
        mail, sap = len(ews.log.entries()), len(c4c.log.entries())
        print(
            f"first download: {run.outcome.value}, {run.created} items created in "
            f"{seconds:.1f} s = {run.created / seconds:.0f} items/s; requests per item: "
            f"Exchange {mail / max(run.created, 1):.3f}, C4C {sap / max(run.created, 1):.4f}"
        )
        session.close()


def reconcile(objects: int) -> None:
    """The feed's reconcile of a tenant keeping ``objects`` more C4C contacts than the world's:
    C4C requests and seconds of the look-up of every kept object."""
    with _scratch(1) as (found, tenant, c4c, _ews):
        for number in range(objects):
            c4c.service.store.create("ContactCollection", {"LastName": f"Kept {number}"})
        session = found.session_factory()
        client = C4CClient(c4c.base_url, user=USER, password=PASSWORD)
        mapping, daily = contacts.MAPPING, timedelta(days=1)
        kept = feed.refresh(session, tenant.id, client, mapping, fresh_since=utcnow())
        kept.reconciled_at = utcnow() - daily
        session.commit()
        c4c.log.clear()
        started = time.perf_counter()
        feed.refresh(session, tenant.id, client, mapping, fresh_since=utcnow(),
                     reconcile_every=daily)  # fmt: skip
        seconds = time.perf_counter() - started
        print(
            f"reconcile of {ACCOUNTS + objects:,} kept contacts: "
            f"{len(c4c.log.entries())} C4C requests, {seconds:.2f} s"
        )
        session.close()


def _median(cycles: list[Cycle]) -> Cycle:
    return Cycle(
        int(statistics.median(c.requests for c in cycles)),
        int(statistics.median(c.rows for c in cycles)),
        statistics.median(c.run_seconds for c in cycles),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mailboxes", default="10,100,1000")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--first-download", type=int, default=0)
    parser.add_argument("--reconcile", type=int, default=0, help="kept objects to reconcile")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if args.first_download:
        first_download(args.first_download)
        return
    if args.reconcile:
        reconcile(args.reconcile)
        return
    print(f"{args.changes} C4C contacts changed per cycle; medians of {args.repeat} cycles")
    print("| N | cycle | C4C requests | per mailbox | C4C rows read | per mailbox | run s |")
    print("|---|---|---|---|---|---|---|")
    for count in (int(n) for n in args.mailboxes.split(",")):
        for name, cycle in measure(count, args.changes, args.repeat).items():
            print(
                f"| {count} | {name} | {cycle.requests} | {cycle.requests / count:.2f} | "
                f"{cycle.rows} | {cycle.rows / count:.1f} | {cycle.run_seconds:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""The sync engine end to end: one mailbox against the C4C and EWS emulators.

Seeds a mailbox with 2,000 contacts, 500 accounts, 1,000 tasks, 1,000 appointments and 2,000
e-mails (all selected for sync; e-mails come from the contacts, so they link), runs the initial
sync, the next run (which reads C4C's side of the initial sync's own writes once more, as every
delta starts at the newest change it saw), then a run with no change and one with 20 changes
(10 contacts edited in the mailbox, 10 in C4C). For each run it prints items/s, requests per
item per backend, peak Python memory (tracemalloc) and the ratio of the run's time to the
floor: reading the same data bare (the mailbox's folders with exchangelib's SyncFolderItems +
GetItem, C4C's entities with one paged read each). Everything is measured again on a mailbox a
quarter the size, to show that an idle run's cost does not grow with the mailbox.

Run: ``python -m bench.sync_bench [--scale 1.0]``. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from exchangelib import Account
from lxml import etree
from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.crm.c4c import C4CClient
from backend.db import make_engine, make_session_factory
from backend.instance import with_development_secrets
from backend.mailbox.ews_records import READ_FIELDS
from backend.mailbox.exchange import FETCH_CHUNK, SYNC_PAGE
from backend.models import Mailbox, Run
from backend.models.run import Trigger
from backend.models.types import ItemType, MailSystem
from backend.onboarding import add_user, create_tenant
from backend.schema import upgrade
from backend.settings import load_settings
from backend.sync.engine import Engine
from backend.sync.runs import execute_run
from emulators.c4c import C4CEmulator, create_emulator
from emulators.ews import EwsEmulator
from emulators.ews import Mailbox as EwsMailbox
from emulators.ews.seed import add_contact, add_message, add_task
from emulators.ews.soap import t
from emulators.ews.store import now
from tests.support.outlook import bare_account

ADDRESS, PASSWORD = "bench@contoso.test", "bench"
C4C_USER, C4C_PASSWORD = "bench", "bench"
SIZES = {"contacts": 2000, "accounts": 500, "tasks": 1000, "appointments": 1000, "emails": 2000}
C4C_SETS = (
    "ContactCollection",
    "CorporateAccountCollection",
    "TasksCollection",
    "AppointmentCollection",
    "EMailCollection",
)


def add_appointment(mailbox: EwsMailbox, subject: str, day: int) -> None:
    start = now() + timedelta(days=day % 60, hours=9)
    fields = {}
    for name, value in (
        ("Subject", subject),
        ("Start", start.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("End", (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")),
    ):
        element = etree.Element(t(name))
        element.text = value
        fields[name] = element
    categories = etree.Element(t("Categories"))
    etree.SubElement(categories, t("String")).text = "SAP"
    fields["Categories"] = categories
    mailbox.add_item("CalendarItem", mailbox.distinguished("calendar").id, fields)


def seed(mailbox: EwsMailbox, scale: float) -> int:
    sizes = {name: max(1, int(count * scale)) for name, count in SIZES.items()}
    for n in range(sizes["accounts"]):
        add_contact(mailbox, f"Customer {n:04d}", "", None, folder="SAP Accounts")
    for n in range(sizes["contacts"]):
        add_contact(mailbox, f"Given{n:04d}", f"Surname{n:04d}", f"c{n}@customer.test")
    for n in range(sizes["tasks"]):
        add_task(mailbox, f"Follow up {n}", categories=["SAP"])
    for n in range(sizes["appointments"]):
        add_appointment(mailbox, f"Visit {n}", n)
    for n in range(sizes["emails"]):
        sender = f"c{n % sizes['contacts']}@customer.test"
        add_message(mailbox, f"Quote {n}", sender, categories=["SAP"])
    return sum(sizes.values())


@dataclass
class Figures:
    label: str
    items: int
    seconds: float
    ews_requests: int
    c4c_requests: int
    peak_mb: float
    floor_seconds: float | None = None
    issues: int = 0


class Bench:
    """One tenant, one mailbox, both emulators, a scratch database."""

    def __init__(self, scale: float, folder: Path) -> None:
        self.c4c: C4CEmulator = create_emulator({C4C_USER: C4C_PASSWORD}).start()
        self.ews = EwsEmulator().start()
        self.items = seed(self.ews.store.add_mailbox(ADDRESS, PASSWORD), scale)
        url = f"sqlite:///{folder / 'bench.db'}"
        self.settings = with_development_secrets(
            load_settings({"INSTANCE_PATH": str(folder), "DATABASE_URL": url, "SMTP_PORT": "9"})
        )
        engine = make_engine(url)
        upgrade(engine)
        self.sessions = make_session_factory(engine)
        self.cipher = TokenCipher(self.settings.token_encryption_keys)
        session = self.sessions()
        tenant = create_tenant(
            session, slug="bench", name="Bench", c4c_base_url=self.c4c.base_url,
            mail_system=MailSystem.EXCHANGE_SERVER, mail_endpoint=self.ews.endpoint,
            cipher=self.cipher, c4c_username=C4C_USER, c4c_credentials={"password": C4C_PASSWORD},
        )  # fmt: skip
        login = {"username": ADDRESS, "password": PASSWORD}
        user = add_user(
            session, tenant, email=ADDRESS, name="Bench", cipher=self.cipher,
            mailbox_credentials=login,
        )  # fmt: skip
        session.commit()
        self.mailbox_id = session.query(Mailbox).filter_by(user_id=user.id).one().id
        session.close()

    def stop(self) -> None:
        self.c4c.stop()
        self.ews.stop()

    def run(self, label: str) -> Figures:
        self.c4c.log.clear()
        self.ews.log.clear()
        session: Session = self.sessions()
        mailbox = session.get(Mailbox, self.mailbox_id)
        tracemalloc.start()
        started = time.perf_counter()
        run: Run = execute_run(
            session, mailbox, Engine(self.cipher, self.settings),
            trigger=Trigger.CLI, settings=self.settings,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert run.error_message is None, run.error_message
        figures = Figures(
            label, run.items_read, seconds, self.ews.log.count(), self.c4c.log.count(),
            peak / 2**20, issues=run.issues_opened,
        )  # fmt: skip
        session.close()
        return figures

    def floor(self) -> float:
        """Seconds to read the same data bare: the mailbox's folders, then C4C's entities."""
        account: Account = bare_account(self.ews.endpoint, ADDRESS, PASSWORD)
        folders = [
            (account.contacts / "SAP Contacts", READ_FIELDS[ItemType.CONTACT]),
            (account.contacts / "SAP Accounts", READ_FIELDS[ItemType.ACCOUNT]),
            (account.tasks, READ_FIELDS[ItemType.TASK]),
            (account.calendar, READ_FIELDS[ItemType.APPOINTMENT]),
            (account.inbox, READ_FIELDS[ItemType.EMAIL]),
        ]
        client = C4CClient(self.c4c.base_url, user=C4C_USER, password=C4C_PASSWORD)
        started = time.perf_counter()
        for folder, fields in folders:
            ids = [
                (item.id, item.changekey)
                for kind, item in folder.sync_items(
                    only_fields=["changekey"], max_changes_returned=SYNC_PAGE
                )
                if kind == "create"
            ]
            list(account.fetch(ids=ids, only_fields=list(fields), chunk_size=FETCH_CHUNK))
        for entity_set in C4C_SETS:
            list(client.read(entity_set))
        return time.perf_counter() - started

    def change(self, count: int) -> None:
        """Half the changes in the mailbox (contacts edited), half in C4C (job titles)."""
        mailbox = self.ews.store.mailbox(ADDRESS)
        folder = mailbox.folder_by_path("Contacts", "SAP Contacts")
        for item in mailbox.items_in(folder.id)[: count // 2]:
            element = etree.Element(t("JobTitle"))
            element.text = "Changed in Outlook"
            item.fields["JobTitle"] = element
            mailbox.changed(item)
        store = self.c4c.service.store
        for row in store.all("ContactCollection")[-(count - count // 2) :]:
            store.update("ContactCollection", row["ObjectID"], {"JobTitle": "Changed in C4C"})


def report(rows: list[Figures], items: int) -> None:
    print(f"\nmailbox of {items} items")
    print(
        f"{'run':<22}{'items':>7}{'seconds':>9}{'items/s':>9}{'EWS req':>9}{'C4C req':>9}"
        f"{'EWS/item':>10}{'C4C/item':>10}{'peak MB':>9}{'x floor':>9}"
    )
    for row in rows:
        per = max(row.items, 1)
        ratio = f"{row.seconds / row.floor_seconds:.1f}" if row.floor_seconds else "-"
        print(
            f"{row.label:<22}{row.items:>7}{row.seconds:>9.2f}{row.items / row.seconds:>9.0f}"
            f"{row.ews_requests:>9}{row.c4c_requests:>9}{row.ews_requests / per:>10.3f}"
            f"{row.c4c_requests / per:>10.3f}{row.peak_mb:>9.1f}{ratio:>9}"
        )


def measure(scale: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(scale, Path(folder))
        try:
            floor = bench.floor()
            initial = bench.run("initial sync")
            initial.floor_seconds = floor
            settle = bench.run("next run (re-reads)")
            idle = bench.run("idle (0 changes)")
            bench.change(20)
            changed = bench.run("20 changes")
            report([initial, settle, idle, changed], bench.items)
            print(f"floor (bare read of the same data): {floor:.2f} s")
        finally:
            bench.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="mailbox size factor")
    arguments = parser.parse_args()
    logging.disable(logging.WARNING)
    measure(arguments.scale)
    if arguments.scale == 1.0:
        measure(0.25)


if __name__ == "__main__":
    main()

"""The sync engine end to end: one mailbox against the C4C and the mail system's emulators.

Seeds a mailbox (Exchange Server; Exchange Online with ``--mail graph``, see
``bench.graph_side``; Gmail with ``--mail gmail``, see ``bench.gmail_side``) with 2,000
contacts, 500 accounts, 1,000 tasks, 1,000 appointments and 2,000 e-mails (all selected for
sync; e-mails come from the contacts, so they link), runs the initial sync, the next run (which
reads C4C's side of the initial sync's own writes once more, as every delta starts at the newest
change it saw), then a run with no change and one with 20 changes (10 contacts edited in the
mailbox, 10 in C4C). For each run it prints items/s, requests per item per backend (counted by
the emulators' request logs; the mailbox's column is "EWS", "Graph", or "GAPI" for Google's
APIs), what the run wrote, peak Python memory and the ratio of the run's time to the floor:
reading the same data bare (the mailbox's folders with exchangelib's SyncFolderItems + GetItem,
Graph's delta queries with plain requests, or Gmail's data with the plain Google client, C4C's
entity sets with one paged read each; for the later runs the same bare reader reads
incrementally, from its own sync states and change times). The initial sync must also write
everything it read into C4C, which no read does: it is measured against reading *and* writing
bare too, the write floor being the same objects sent with ``C4CClient.create_many`` to a fresh
C4C emulator. The emulators share the bench's process, and so its interpreter: it also prints
the processor time the initial sync and the two floors spent outside the emulators' requests,
and the difference, which is the engine's own work. Everything is measured again on a mailbox a
quarter the size, to show that an idle run's requests do not grow with the mailbox.

Times come from runs without tracemalloc (it slows the engine about fivefold); peak memory
(``tracemalloc``, Python allocations of the whole process, emulators included) comes from one
extra pass of the same sequence. Figures are medians of ``--repeat`` passes; each pass times
``IDLE_RUNS`` idle runs in a row and takes their median. It also prints the statements and
commits each run sent to the database.

With ``--c4c-latency MS`` every C4C request waits that long before the emulator takes it, as
a C4C across a network keeps its client waiting (the emulator answers on loopback within
milliseconds; a C4C tenant reached across the internet, tens to hundreds). Its floors wait the
same; ``--mail-latency MS`` does the same for the mail system (Exchange Online and Gmail are
services across the internet too). ``--writes-in-flight N`` is the runs'
``C4C_WRITES_IN_FLIGHT``; the write floor keeps as many ``$batch`` requests in flight.

The engine's database is a scratch one on the local PostgreSQL, as production runs it
(``ssi_bench_sync``, created and dropped for each pass), or a SQLite file with ``--sqlite`` (or
when PostgreSQL cannot be reached: the bench says so).

Run: ``python -m bench.sync_bench [--mail exchange|graph|gmail] [--repeat 3] [--scale 1.0]
[--no-memory] [--c4c-latency 0] [--mail-latency 0] [--writes-in-flight 3] [--sqlite]``. Never
part of the test suite.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from exchangelib import Account
from exchangelib.folders import Folder
from lxml import etree
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.crm.c4c import C4CClient
from backend.instance import with_development_secrets
from backend.mailbox.ews.records import READ_FIELDS
from backend.models import Mailbox, Run
from backend.models.run import Trigger
from backend.models.types import ItemType, MailSystem
from backend.settings import load_settings
from backend.storage.db import make_engine, make_session_factory
from backend.storage.schema import upgrade
from backend.sync.engine import Engine
from backend.sync.in_flight import InFlight
from backend.sync.runs import execute_run
from backend.tenants.onboarding import add_user, create_tenant
from bench.exchange_bench import read_bare
from bench.gmail_side import GmailSide
from bench.graph_side import GraphSide
from bench.scratch import database, drop_database
from emulators.base import Emulator
from emulators.c4c import C4CEmulator, create_emulator
from emulators.c4c.schema import ENTITY_SETS
from emulators.ews import EwsEmulator
from emulators.ews import Mailbox as EwsMailbox
from emulators.ews.seed import add_contact, add_message, add_task
from emulators.ews.soap import t
from emulators.ews.store import now
from tests.support.outlook import bare_account

ADDRESS, PASSWORD = "bench@contoso.test", "bench"
C4C_USER, C4C_PASSWORD = "bench", "bench"
SIZES = {"contacts": 2000, "accounts": 500, "tasks": 1000, "appointments": 1000, "emails": 2000}
SMALL = 0.25
CHANGES = 20
C4C_SETS = (
    "ContactCollection",
    "CorporateAccountCollection",
    "TasksCollection",
    "AppointmentCollection",
    "EMailCollection",
)
DATABASE = "ssi_bench_sync"
PHASES = ("initial sync", "next run", "idle (0 changes)", f"{CHANGES} changes")
IDLE = PHASES[2]
IDLE_RUNS = 5
"""Idle runs a pass times, each after its floor's read, and takes the median of: one run of
60 to 100 ms varies between passes by more than a change of a few statements."""
LINKS = frozenset({"AccountID", "PrimaryContactID"})
"""Fields naming other objects of the C4C a run wrote to: the write floor leaves them out."""


def add_appointment(mailbox: EwsMailbox, subject: str, day: int) -> None:
    """A CalendarItem tagged "SAP" in the calendar, as ``emulators.ews.seed`` adds other items."""
    start = now() + timedelta(days=day % 60, hours=9)
    values = {}
    for name, value in (
        ("Subject", subject),
        ("Start", start.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("End", (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")),
    ):
        element = etree.Element(t(name))
        element.text = value
        values[name] = element
    categories = etree.Element(t("Categories"))
    etree.SubElement(categories, t("String")).text = "SAP"
    values["Categories"] = categories
    mailbox.add_item("CalendarItem", mailbox.distinguished("calendar").id, values)


class MailReader(Protocol):
    def read(self) -> int:
        """What changed in the mailbox since the last call (everything on the first); items."""
        ...


class MailSide(Protocol):
    """The mail system of the benchmark's mailbox, on its emulator."""

    label: str
    """The table's name for the mailbox's requests."""
    emulator: Emulator
    """Its request log counts the mailbox's requests."""
    settings: dict[str, str]
    """Settings overrides the product needs to reach the mail system."""
    tenant: dict[str, Any]
    """``create_tenant`` arguments for the mail system."""
    user: dict[str, Any]
    """``add_user`` arguments for the mailbox."""

    def seed(self, sizes: dict[str, int]) -> None: ...
    def reader(self) -> MailReader:
        """The floor's mailbox half (built before any clock starts)."""
        ...

    def change(self, count: int) -> None:
        """Edit ``count`` synced contacts' job titles in the mailbox."""
        ...

    def stop(self) -> None: ...


class EwsReader:
    def __init__(self, endpoint: str) -> None:
        self.account: Account = bare_account(endpoint, ADDRESS, PASSWORD)
        # Folder look-ups happen here, before any clock starts.
        self.folders: list[tuple[Folder, tuple[str, ...]]] = [
            (self.account.contacts / "SAP Contacts", READ_FIELDS[ItemType.CONTACT]),
            (self.account.contacts / "SAP Accounts", READ_FIELDS[ItemType.ACCOUNT]),
            (self.account.tasks, READ_FIELDS[ItemType.TASK]),
            (self.account.calendar, READ_FIELDS[ItemType.APPOINTMENT]),
            (self.account.inbox, READ_FIELDS[ItemType.EMAIL]),
        ]

    def read(self) -> int:
        return read_bare(self.account, self.folders)


class ExchangeSide:
    """An Exchange mailbox on the EWS emulator; the bare reader is exchangelib's."""

    label = "EWS"

    def __init__(self) -> None:
        self.emulator = EwsEmulator().start()
        self.mailbox = self.emulator.store.add_mailbox(ADDRESS, PASSWORD)
        self.settings: dict[str, str] = {}
        self.tenant: dict[str, Any] = {
            "mail_system": MailSystem.EXCHANGE_SERVER,
            "mail_endpoint": self.emulator.endpoint,
        }
        self.user: dict[str, Any] = {
            "mailbox_credentials": {"username": ADDRESS, "password": PASSWORD}
        }

    def stop(self) -> None:
        self.emulator.stop()

    def seed(self, sizes: dict[str, int]) -> None:
        mailbox = self.mailbox
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

    def reader(self) -> EwsReader:
        return EwsReader(self.emulator.endpoint)

    def change(self, count: int) -> None:
        folder = self.mailbox.folder_by_path("Contacts", "SAP Contacts")
        for item in self.mailbox.items_in(folder.id)[:count]:
            element = etree.Element(t("JobTitle"))
            element.text = "Changed in Outlook"
            item.fields["JobTitle"] = element
            self.mailbox.changed(item)


SIDES: dict[str, type[MailSide]] = {
    "exchange": ExchangeSide,
    "gmail": GmailSide,
    "graph": GraphSide,
}


@dataclass
class Figures:
    """One run of the engine, and the bare read of the same data just before it."""

    items: float
    seconds: float
    mail_requests: float
    c4c_requests: float
    created: float = 0
    updated: float = 0
    failed: float = 0
    issues: float = 0
    floor_items: float = 0
    floor_seconds: float = 0.0
    floor_mail: float = 0
    floor_c4c: float = 0
    write_floor_seconds: float = 0.0
    """The initial sync's creates sent bare (:meth:`Bench.write_floor`); 0 for other runs."""
    write_floor_requests: float = 0
    own_cpu: float = 0.0
    """Processor seconds of the process outside the emulators' requests: the engine and the
    client libraries it drives (the emulators share the process and its interpreter)."""
    floor_own_cpu: float = 0.0
    write_floor_own_cpu: float = 0.0
    peak_mb: float | None = None
    statements: float = 0
    """SQL statements the run sent to the database (each a round trip to a server)."""
    commits: float = 0


class Timed:
    """The wall seconds a block took, and the processor seconds the process spent in it outside
    the requests of ``emulators`` (which share the process and its interpreter)."""

    def __init__(self, *emulators: Emulator) -> None:
        self.emulators = emulators
        self.seconds = self.own_cpu = 0.0

    def _own(self) -> float:
        return time.process_time() - sum(emulator.cpu.seconds for emulator in self.emulators)

    def __enter__(self) -> Timed:
        self._began = (time.perf_counter(), self._own())
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self._began[0]
        self.own_cpu = self._own() - self._began[1]


class BareReader:
    """The floor: the least a client can send to read the data, with no sync logic at all."""

    def __init__(self, mail: MailReader, c4c: C4CEmulator) -> None:
        self.mail = mail
        self.client = C4CClient(c4c.base_url, user=C4C_USER, password=C4C_PASSWORD)
        self.since: dict[str, datetime | None] = dict.fromkeys(C4C_SETS)

    def read(self) -> int:
        """Everything changed since the last call (everything on the first); items read."""
        seen = self.mail.read()
        for entity_set in C4C_SETS:
            for row in self.client.changes(entity_set, self.since[entity_set]):
                self.since[entity_set] = row["EntityLastChangedOn"]
                seen += 1
        return seen


@dataclass(frozen=True)
class Network:
    """How far C4C (and the mail system) are, and how many ``$batch`` writes a run keeps in
    flight against C4C."""

    latency: float = 0.0
    """Seconds each C4C request waits before the emulator takes it."""
    writes_in_flight: int = 3
    mail_latency: float = 0.0
    """Seconds each request to the mail system waits before its emulator takes it."""


class Bench:
    """One tenant, one mailbox, both emulators, a scratch database."""

    def __init__(
        self, mail: MailSide, scale: float, folder: Path, network: Network, use_sqlite: bool
    ) -> None:
        self.c4c: C4CEmulator = create_emulator({C4C_USER: C4C_PASSWORD}).start()
        self.c4c.latency = network.latency
        self.mail = mail
        sizes = {name: max(1, int(count * scale)) for name, count in SIZES.items()}
        mail.seed(sizes)
        mail.emulator.latency = network.mail_latency  # once seeded: its clients wait, not its seed
        self.items = sum(sizes.values())
        url, _note = database(DATABASE, use_sqlite, folder)
        self.url = url
        overrides = {"INSTANCE_PATH": str(folder), "DATABASE_URL": url, "SMTP_PORT": "9",
                     "C4C_WRITES_IN_FLIGHT": str(network.writes_in_flight)}  # fmt: skip
        self.settings = with_development_secrets(load_settings({**overrides, **mail.settings}))
        self.engine = make_engine(url)
        upgrade(self.engine)
        self.round_trips = {"statements": 0, "commits": 0}
        event.listen(self.engine, "after_cursor_execute", lambda *_: self._count("statements"))
        event.listen(self.engine, "commit", lambda *_: self._count("commits"))
        self.sessions = make_session_factory(self.engine)
        self.cipher = TokenCipher(self.settings.token_encryption_keys)
        session = self.sessions()
        tenant = create_tenant(
            session, slug="bench", name="Bench", c4c_base_url=self.c4c.base_url, **mail.tenant,
            cipher=self.cipher, c4c_username=C4C_USER, c4c_credentials={"password": C4C_PASSWORD},
        )  # fmt: skip
        user = add_user(
            session, tenant, email=ADDRESS, name="Bench", cipher=self.cipher, **mail.user
        )
        session.commit()
        self.mailbox_id = session.query(Mailbox).filter_by(user_id=user.id).one().id
        session.close()
        self.bare: BareReader | None = None

    def _count(self, what: str) -> None:
        self.round_trips[what] += 1

    def stop(self) -> None:
        self.c4c.stop()
        self.mail.stop()
        self.engine.dispose()
        drop_database(self.url)

    def run(self, memory: bool) -> Figures:
        """One ``execute_run``, as the CLI trigger does it."""
        self.c4c.log.clear()
        self.mail.emulator.log.clear()
        session: Session = self.sessions()
        mailbox = session.get(Mailbox, self.mailbox_id)
        self.round_trips = dict.fromkeys(self.round_trips, 0)
        if memory:
            tracemalloc.start()
        with Timed(self.c4c, self.mail.emulator) as timed:
            run: Run = execute_run(
                session, mailbox, Engine(self.cipher, self.settings),
                trigger=Trigger.CLI, settings=self.settings,
            )  # fmt: skip
        peak = None
        if memory:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        assert run.error_message is None, run.error_message
        figures = Figures(
            run.items_read, timed.seconds, self.mail.emulator.log.count(), self.c4c.log.count(),
            run.created, run.updated, run.failed, run.issues_opened, peak_mb=peak,
            own_cpu=timed.own_cpu, **self.round_trips,
        )  # fmt: skip
        session.close()
        return figures

    def floor(self) -> tuple[int, float, int, int, float]:
        """The bare read (full the first time, then incremental): items, seconds, requests,
        and the processor seconds outside the emulators."""
        if self.bare is None:
            self.bare = BareReader(self.mail.reader(), self.c4c)
        self.c4c.log.clear()
        self.mail.emulator.log.clear()
        with Timed(self.c4c, self.mail.emulator) as timed:
            items = self.bare.read()
        mail, c4c = self.mail.emulator.log.count(), self.c4c.log.count()
        return items, timed.seconds, mail, c4c, timed.own_cpu

    def write_floor(self) -> tuple[float, int, float]:
        """The least a client can send to write what the initial sync wrote in C4C: the same
        objects (their creatable values as C4C holds them, less the links to objects of this
        C4C) created bare with ``C4CClient.create_many``, in ``$batch`` requests of the
        product's size as many at once as a run keeps in flight, in a fresh C4C emulator.
        Seconds, requests, and the processor seconds outside the emulator."""
        store, writes = self.c4c.service.store, []
        for set_name in C4C_SETS:
            entity = ENTITY_SETS[set_name]
            creatable = {
                item.name for item in entity.fields if item.creatable and item.name not in LINKS
            }
            ours = [
                row
                for row in store.all(set_name)
                if str(row.get("ExternalID", "")).startswith("ssi-")
            ]
            values = [
                {k: v for k, v in row.items() if k in creatable and v not in (None, "")}
                for row in ours
            ]
            writes.append((set_name, [(value["ExternalID"], value) for value in values]))
        fresh = create_emulator({C4C_USER: C4C_PASSWORD}).start()
        fresh.latency = self.c4c.latency
        try:
            client = C4CClient(fresh.base_url, user=C4C_USER, password=C4C_PASSWORD)
            in_flight = self.settings.c4c_writes_in_flight
            with Timed(fresh) as timed:
                for set_name, records in writes:
                    _create_bare(client, set_name, records, in_flight)
            return timed.seconds, fresh.log.count(), timed.own_cpu
        finally:
            fresh.stop()

    def change(self, count: int) -> None:
        """Half the changes in the mailbox (contacts' job titles), half in C4C (the same)."""
        time.sleep(0.01)  # past the last C4C change time any delta has seen
        self.mail.change(count // 2)
        store = self.c4c.service.store
        for row in store.all("ContactCollection")[-(count - count // 2) :]:
            store.update("ContactCollection", row["ObjectID"], {"JobTitle": "Changed in C4C"})


def _create_bare(
    client: C4CClient, set_name: str, records: list[tuple[str, dict]], in_flight: int
) -> None:
    """``records`` created in ``set_name`` in ``$batch`` requests of the client's size,
    ``in_flight`` at once; none may be refused."""
    size = client.batch_size
    chunks = [records[at : at + size] for at in range(0, len(records), size)]
    with InFlight(lambda chunk: client.create_many(set_name, chunk), chunks, in_flight) as sent:
        for _chunk, results in sent:
            assert not isinstance(results, Exception), results
            refused = [result.error for result in results if result.entity is None]
            assert not refused, (set_name, refused[:1])


def one_pass(
    mail: str, scale: float, memory: bool, network: Network, use_sqlite: bool
) -> tuple[int, dict[str, Figures]]:
    """Seed a fresh mailbox and run the four phases; with ``memory``, trace and skip floors."""
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(SIDES[mail](), scale, Path(folder), network, use_sqlite)
        try:
            results: dict[str, Figures] = {}
            for phase in PHASES:
                if phase == f"{CHANGES} changes":
                    bench.change(CHANGES)
                runs = [
                    _timed(bench, phase, memory)
                    for _ in range(IDLE_RUNS if phase == IDLE and not memory else 1)
                ]
                results[phase] = median_of(runs)
            return bench.items, results
        finally:
            bench.stop()


def _timed(bench: Bench, phase: str, memory: bool) -> Figures:
    """One run of ``phase`` with its floor (none for the next run, nor when tracing memory)."""
    # The initial sync's floor is read after it, once C4C holds the data too.
    if not memory and phase not in ("initial sync", "next run"):
        floor = bench.floor()
    figures = bench.run(memory)
    if not memory and phase == "initial sync":
        floor = bench.floor()
        (figures.write_floor_seconds, figures.write_floor_requests,
         figures.write_floor_own_cpu) = bench.write_floor()  # fmt: skip
    if not memory and phase != "next run":
        (figures.floor_items, figures.floor_seconds, figures.floor_mail, figures.floor_c4c,
         figures.floor_own_cpu) = floor  # fmt: skip
    return figures


def median_of(runs: list[Figures]) -> Figures:
    """Each figure's median over ``runs`` (those present: peak memory is traced apart)."""
    values: dict[str, Any] = {}
    for field in fields(Figures):
        present = [n for n in (getattr(run, field.name) for run in runs) if n is not None]
        values[field.name] = statistics.median(present) if present else None
    return Figures(**values)


def medians(passes: list[dict[str, Figures]]) -> dict[str, Figures]:
    return {phase: median_of([p[phase] for p in passes]) for phase in PHASES}


def report(label: str, items: int, figures: dict[str, Figures]) -> None:
    print(f"\nmailbox of {items:,} items (medians)")
    wide = max(7, len(label) + 4)  # the floor's mailbox column, "fl EWS" and the like
    print(
        f"{'run':<18}{'read':>6}{'creat':>6}{'updat':>6}{'fail':>5}{'issue':>6}{'sec':>8}"
        f"{'items/s':>8}{label:>5}{'C4C':>5}{label + '/it':>8}{'C4C/it':>8}{'peakMB':>7}"
        f"{'floor s':>8}{'fl ' + label:>{wide}}{'fl C4C':>7}{'x floor':>8}{'SQL':>6}{'commit':>7}"
    )
    for phase, row in figures.items():
        per = max(row.items, 1)
        peak = f"{row.peak_mb:.1f}" if row.peak_mb is not None else "-"
        if row.floor_seconds:
            floor = f"{row.floor_seconds:>8.2f}{row.floor_mail:>{wide}.0f}{row.floor_c4c:>7.0f}"
            ratio = f"{row.seconds / row.floor_seconds:.1f}"
        else:
            floor, ratio = f"{'-':>8}{'-':>{wide}}{'-':>7}", "-"
        print(
            f"{phase:<18}{row.items:>6.0f}{row.created:>6.0f}{row.updated:>6.0f}"
            f"{row.failed:>5.0f}{row.issues:>6.0f}{row.seconds:>8.2f}"
            f"{row.items / row.seconds:>8.0f}{row.mail_requests:>5.0f}{row.c4c_requests:>5.0f}"
            f"{row.mail_requests / per:>8.3f}{row.c4c_requests / per:>8.3f}{peak:>7}"
            f"{floor}{ratio:>8}{row.statements:>6.0f}{row.commits:>7.0f}"
        )
    first = figures["initial sync"]
    if first.write_floor_seconds:
        both = first.floor_seconds + first.write_floor_seconds
        print(
            f"initial sync against reading and writing bare: {first.seconds:.2f} s against "
            f"{first.floor_seconds:.2f} + {first.write_floor_seconds:.2f} s (the same creates "
            f"sent bare, {first.write_floor_requests:.0f} C4C requests) = {both:.2f} s, "
            f"x {first.seconds / both:.2f}"
        )
        bare = first.floor_own_cpu + first.write_floor_own_cpu
        print(
            f"processor time outside the emulators: the initial sync {first.own_cpu:.2f} s, "
            f"reading and writing bare {first.floor_own_cpu:.2f} + "
            f"{first.write_floor_own_cpu:.2f} s: the engine's own {first.own_cpu - bare:.2f} s "
            f"({(first.own_cpu - bare) * 1000 / max(first.items, 1):.2f} ms an item)"
        )


def measure(
    mail: str, scale: float, repeat: int, memory: bool, network: Network, use_sqlite: bool
) -> tuple[int, Figures]:
    passes = []
    items = 0
    for _ in range(repeat):
        items, figures = one_pass(mail, scale, memory=False, network=network, use_sqlite=use_sqlite)
        passes.append(figures)
    result = medians(passes)
    if memory:
        _, traced = one_pass(mail, scale, memory=True, network=network, use_sqlite=use_sqlite)
        for phase in PHASES:
            result[phase].peak_mb = traced[phase].peak_mb
    report(SIDES[mail].label, items, result)
    return items, result[IDLE]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mail", choices=sorted(SIDES), default="exchange", help="the mailbox's mail system"
    )
    parser.add_argument("--repeat", type=int, default=3, help="passes per size (medians)")
    parser.add_argument("--scale", type=float, default=1.0, help="mailbox size factor")
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the extra tracemalloc pass per size"
    )
    parser.add_argument(
        "--c4c-latency",
        type=float,
        default=0.0,
        help="milliseconds each C4C request waits, as a C4C across a network keeps it waiting",
    )
    parser.add_argument(
        "--mail-latency",
        type=float,
        default=0.0,
        help="milliseconds each request to the mail system waits (a mail service in the cloud)",
    )
    parser.add_argument(
        "--writes-in-flight",
        type=int,
        default=3,
        help="C4C_WRITES_IN_FLIGHT of the runs and the write floor ($batch requests at once)",
    )
    parser.add_argument("--sqlite", action="store_true", help="use SQLite, not PostgreSQL")
    arguments = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        url, note = database(DATABASE, arguments.sqlite, Path(folder))
        drop_database(url)
    print(f"database: {note or 'PostgreSQL, a scratch database a pass'}")
    use_sqlite = note is not None
    network = Network(
        arguments.c4c_latency / 1000, arguments.writes_in_flight, arguments.mail_latency / 1000
    )
    if network.latency:
        print(f"C4C answers each request {arguments.c4c_latency:g} ms late")
    if network.mail_latency:
        print(f"the mail system answers each request {arguments.mail_latency:g} ms late")
    print(f"{network.writes_in_flight} $batch write(s) in flight at once")
    idle = [
        measure(
            arguments.mail, scale, arguments.repeat, not arguments.no_memory, network, use_sqlite
        )
        for scale in (arguments.scale, arguments.scale * SMALL)
    ]
    print(f"\nidle run requests ({SIDES[arguments.mail].label} + C4C) by mailbox size:")
    for items, figures in idle:
        print(
            f"  {items:>6,} items: {figures.mail_requests:.0f} + {figures.c4c_requests:.0f}"
            f" = {figures.mail_requests + figures.c4c_requests:.0f}; to the database"
            f" {figures.statements:.0f} statements, {figures.commits:.0f} commits"
        )


if __name__ == "__main__":
    main()

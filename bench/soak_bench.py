"""A soak of the production layout: many Exchange mailboxes on a fixed cadence, for a while.

The real processes run as in production (``flask scheduler`` and ``--workers`` ``flask worker``
processes, PostgreSQL and Redis when ``DATABASE_URL`` / ``REDIS_URL`` name them). C4C and the
Exchange server are the emulators, each in a process of its own on 127.0.0.1. One tenant has
``--mailboxes`` mailboxes of a few contacts each, due at times spread over one sync interval
(as a fleet in steady state is). Through every interval, ``--change-share`` of the mailboxes get
a new contact from a mail client (exchangelib, on the emulated server), one at a time.

Every ``--sample`` seconds the bench samples CPU and memory of each worker (with the work horses
it forks, one per job), of the scheduler and of the emulators, the database's connections and
Redis's memory. At the end it reads the runs from the database and reports, for the runs due
after the first interval (the steady state; the first interval holds every mailbox's first
run): scheduling lag (how late a run started after it was due) p50/p99/max, runs per minute,
run time, how busy the workers were, and how many mailboxes one worker would carry.

Run: ``python -m bench.soak_bench [--mailboxes 1000] [--minutes 30] [--workers 2]``. Traffic
goes to 127.0.0.1 only; the run ends after ``--minutes``. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psutil
from exchangelib import Account, Build, Configuration, Contact, Credentials, Version
from exchangelib.transport import BASIC
from sqlalchemy import select, text, update

from backend.extensions import Resources
from backend.models import Mailbox, Run, Tenant
from backend.models.mailbox import Provider
from backend.models.types import MailSystem
from backend.storage.db import utcnow
from backend.tenants.onboarding import add_user, create_tenant
from bench.scratch import scratch_app

ROOT = Path(__file__).resolve().parent.parent
C4C_USER, C4C_PASSWORD = "soak", "soak"
PASSWORD = "pass"
DOMAIN = "soak.test"


def address(number: int) -> str:
    return f"user{number:04d}@{DOMAIN}"


def _serve_c4c(port: int) -> None:
    from emulators.c4c import create_emulator

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    create_emulator({C4C_USER: C4C_PASSWORD}).serve_forever(port)


def _serve_ews(port: int, mailboxes: int, contacts: int) -> None:
    from emulators.ews import EwsEmulator
    from emulators.ews.seed import add_contact

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    emulator = EwsEmulator()
    for number in range(mailboxes):
        box = emulator.store.add_mailbox(address(number), PASSWORD)
        for index in range(contacts):
            add_contact(box, f"First{index}", f"Person{number:04d}x{index}",
                        f"p{index}.{number}@customer{number % 97}.test")  # fmt: skip
    emulator.serve_forever(port)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, seconds: float = 120) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


@dataclass
class Samples:
    """The peaks and totals the sampler saw."""

    cpu_start: dict[str, float] = field(default_factory=dict)
    cpu_end: dict[str, float] = field(default_factory=dict)
    rss_peak: dict[str, float] = field(default_factory=dict)
    db_connections_peak: int = 0
    redis_memory_peak: int = 0
    machine_cpu: list[float] = field(default_factory=list)


def cpu_seconds(process: psutil.Process) -> float:
    """CPU time of a process and of the children it waited for (the finished work horses), plus
    the live ones."""
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        try:
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
        except psutil.NoSuchProcess:
            continue
    return total


def rss_mib(process: psutil.Process) -> float:
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


class Sampler(threading.Thread):
    def __init__(self, found: Resources, processes: dict[str, int], every: float) -> None:
        super().__init__(daemon=True)
        self.found, self.processes, self.every = found, processes, every
        self.samples = Samples()
        self.stopping = threading.Event()

    def _each(self) -> dict[str, psutil.Process]:
        return {name: psutil.Process(pid) for name, pid in self.processes.items()}

    def run(self) -> None:
        found = self._each()
        self.samples.cpu_start = {name: cpu_seconds(p) for name, p in found.items()}
        psutil.cpu_percent()
        while not self.stopping.wait(self.every):
            self.sample(found)
        self.samples.cpu_end = {name: cpu_seconds(p) for name, p in found.items()}

    def sample(self, found: dict[str, psutil.Process]) -> None:
        for name, process in found.items():
            try:
                peak = self.samples.rss_peak.get(name, 0.0)
                self.samples.rss_peak[name] = max(peak, rss_mib(process))
            except psutil.NoSuchProcess:
                continue
        self.samples.machine_cpu.append(psutil.cpu_percent())
        if self.found.engine.dialect.name == "postgresql":
            with self.found.engine.connect() as connection:
                count = connection.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                ).scalar_one()
            self.samples.db_connections_peak = max(self.samples.db_connections_peak, count)
        memory = int(self.found.redis.info("memory")["used_memory"])
        self.samples.redis_memory_peak = max(self.samples.redis_memory_peak, memory)


class Changer(threading.Thread):
    """A mail client adding one contact at a time, ``share`` of the mailboxes per interval."""

    def __init__(self, endpoint: str, mailboxes: int, share: float, interval: float) -> None:
        super().__init__(daemon=True)
        self.endpoint, self.mailboxes = endpoint, mailboxes
        self.per_interval = max(1, round(mailboxes * share))
        self.pause = interval / self.per_interval
        self.stopping = threading.Event()
        self.made = 0
        self.random = random.Random(7)

    def run(self) -> None:
        version = Version(build=Build(15, 2, 1544, 4))
        while not self.stopping.wait(self.pause):
            number = self.random.randrange(self.mailboxes)
            config = Configuration(
                service_endpoint=self.endpoint, credentials=Credentials(address(number), PASSWORD),
                auth_type=BASIC, version=version,
            )  # fmt: skip
            account = Account(address(number), config=config, autodiscover=False)
            folder = account.contacts / "SAP Contacts"
            Contact(folder=folder, given_name="New", surname=f"Contact{self.made}",
                    display_name=f"New Contact{self.made}").save()  # fmt: skip
            self.made += 1


def populate(found: Resources, mailboxes: int, c4c_url: str, ews_url: str, interval: int) -> int:
    session = found.session_factory()
    try:
        tenant = create_tenant(
            session, slug="soak", name="Soak", c4c_base_url=c4c_url,
            mail_system=MailSystem.EXCHANGE_SERVER, mail_endpoint=ews_url, cipher=found.cipher,
            c4c_username=C4C_USER, c4c_credentials={"password": C4C_PASSWORD},
        )  # fmt: skip
        for number in range(mailboxes):
            secret = {"username": address(number), "password": PASSWORD}
            add_user(session, tenant, email=address(number), name=f"User {number}",
                     cipher=found.cipher, provider=Provider.EXCHANGE,
                     mailbox_credentials=secret)  # fmt: skip
            if number % 200 == 199:
                session.commit()
        session.commit()
        # Due times spread over one interval, as a fleet in steady state has them.
        now = utcnow()
        ids = session.scalars(select(Mailbox.id).order_by(Mailbox.id)).all()
        for index, mailbox_id in enumerate(ids):
            session.execute(
                update(Mailbox)
                .where(Mailbox.id == mailbox_id)
                .values(next_sync_at=now + timedelta(seconds=interval * index / len(ids)))
            )
        session.commit()
        return session.scalars(select(Tenant.id)).one()
    finally:
        session.close()


def percentile(values: list[float], percent: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def report(found: Resources, samples: Samples, args, started, ended, changes: int) -> None:
    session = found.session_factory()
    try:
        runs = session.scalars(select(Run).where(Run.started_at >= started)).all()
    finally:
        session.close()
    steady_from = started + timedelta(seconds=args.interval)
    steady = [r for r in runs if r.due_at is not None and r.due_at >= steady_from]
    lags = [(r.started_at - r.due_at).total_seconds() for r in steady]
    finished = [r for r in runs if r.finished_at is not None]
    durations = [(r.finished_at - r.started_at).total_seconds() for r in finished]
    window = (ended - started).total_seconds()
    steady_window = (ended - steady_from).total_seconds()
    busy = sum(
        (min(r.finished_at, ended) - max(r.started_at, steady_from)).total_seconds()
        for r in finished
        if r.finished_at > steady_from
    )
    utilisation = busy / (args.workers * steady_window) if steady_window > 0 else float("nan")
    outcomes: dict[str, int] = {}
    for run in runs:
        outcomes[run.outcome.value] = outcomes.get(run.outcome.value, 0) + 1
    mean_run = statistics.fmean(durations) if durations else float("nan")
    cpu = {
        name: 100 * (samples.cpu_end.get(name, 0) - samples.cpu_start.get(name, 0)) / window
        for name in samples.cpu_start
    }
    print(f"\n## Soak: {args.mailboxes} mailboxes, {args.workers} workers, interval "
          f"{args.interval} s, {args.minutes} min, {changes} mailbox changes\n")  # fmt: skip
    print("| figure | value |")
    print("|---|---|")
    counted = ", ".join(f"{n} {k.lower()}" for k, n in sorted(outcomes.items()))
    worst = max(lags, default=float("nan"))
    lag = f"{percentile(lags, 50):.1f} / {percentile(lags, 99):.1f} / {worst:.1f}"
    run_time = f"{percentile(durations, 50):.2f} / {percentile(durations, 99):.2f}"
    machine = f"{statistics.fmean(samples.machine_cpu):.0f} %" if samples.machine_cpu else "-"
    rows = [
        ("database", found.engine.dialect.name),
        ("runs", f"{len(runs)} ({counted})"),
        ("runs per minute", f"{len(finished) / (window / 60):.1f}"),
        ("steady-state runs (due after the first interval)", str(len(steady))),
        ("scheduling lag p50 / p99 / max (s)", lag),
        ("run time median / p99 (s)", run_time),
        ("worker busy share (steady state)", f"{100 * utilisation:.0f} %"),
        ("mailboxes one worker carries at 100 % busy (interval / mean run time)",
         f"{args.interval / mean_run:.0f}" if durations else "-"),
        ("machine CPU, mean of samples (2 cores = 100 %)", machine),
        *((f"CPU of {name} (one core = 100 %)", f"{value:.0f} %")
          for name, value in sorted(cpu.items())),
        *((f"peak memory of {name} (MiB, with its work horse)", f"{value:.0f}")
          for name, value in sorted(samples.rss_peak.items())),
        ("database connections, peak", str(samples.db_connections_peak or "-")),
        ("Redis memory, peak (MiB)", f"{samples.redis_memory_peak / 2**20:.1f}"),
    ]  # fmt: skip
    for name, value in rows:
        print(f"| {name} | {value} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mailboxes", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--interval", type=int, default=300)
    parser.add_argument("--change-share", type=float, default=0.05)
    parser.add_argument("--contacts", type=int, default=3)
    parser.add_argument("--sample", type=float, default=10)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory() as folder:
        app = scratch_app(Path(folder), log_level="WARNING")
        found: Resources = app.extensions["ssi"]
        c4c_port, ews_port = free_port(), free_port()
        emulators = {
            "C4C emulator": context.Process(target=_serve_c4c, args=(c4c_port,), daemon=True),
            "Exchange emulator": context.Process(
                target=_serve_ews, args=(ews_port, args.mailboxes, args.contacts), daemon=True
            ),
        }
        for process in emulators.values():
            process.start()
        wait_for_port(c4c_port)
        wait_for_port(ews_port, seconds=600)
        c4c_url = f"http://127.0.0.1:{c4c_port}/sap/c4c/odata/v1/c4codataapi/"
        ews_url = f"http://127.0.0.1:{ews_port}/EWS/Exchange.asmx"
        populate(found, args.mailboxes, c4c_url, ews_url, args.interval)
        env = {
            **os.environ,
            "DATABASE_URL": found.settings.database_url, "REDIS_URL": found.redis_url,
            "INSTANCE_PATH": str(found.settings.instance_path), "LOG_LEVEL": "WARNING",
            "SYNC_INTERVAL_SECONDS": str(args.interval),
        }  # fmt: skip
        children: dict[str, subprocess.Popen] = {}

        def start(name: str, *command: str) -> None:
            children[name] = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", *command], cwd=ROOT, env=env,
                start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip

        started = utcnow()
        start("scheduler", "scheduler")
        for number in range(1, args.workers + 1):
            start(f"worker {number}", "worker", "--name", f"soak-{number}")
        watched = {name: process.pid for name, process in children.items()}
        watched.update({name: process.pid for name, process in emulators.items()})
        sampler = Sampler(found, watched, args.sample)
        changer = Changer(ews_url, args.mailboxes, args.change_share, args.interval)
        sampler.start()
        changer.start()
        try:
            deadline = time.monotonic() + args.minutes * 60
            while time.monotonic() < deadline:
                time.sleep(min(30.0, max(0.0, deadline - time.monotonic())))
                print(f"{(time.monotonic() - deadline) / 60 + args.minutes:5.1f} min", flush=True)
        finally:
            ended = utcnow()
            changer.stopping.set()
            sampler.stopping.set()
            sampler.join(timeout=30)
            for process in children.values():
                process.terminate()
            for process in children.values():
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
            for process in emulators.values():
                process.terminate()
        report(found, sampler.samples, args, started, ended, changer.made)
        found.engine.dispose()


if __name__ == "__main__":
    main()

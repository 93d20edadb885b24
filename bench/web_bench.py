"""Issue listings over HTTP: the JSON API, the dashboard's Issues tab and the admin list, and
what the Outlook task pane asks when an item opens (the add-in API's item state).

Seeds 100,000 issues across 1,000 mailboxes (10 tenants of 100 users, one key user each; 60 %
of the issues open, last seen over the past 90 days) into a database of its own on the local
PostgreSQL (``ssi_bench_web``, created and dropped here; SQLite in a scratch folder when
PostgreSQL cannot be reached), serves the real app (``create_app``) with gunicorn and the
product's ``gunicorn.conf.py`` on 127.0.0.1 (``--web-workers`` processes of ``--web-threads``
threads, as production runs it; rate limits off, so the load is not refused),
signs 16 sessions in by building the signed session cookie with the app's own session
interface (and gives each plain user an add-in token for the task pane's calls), and sends each
scenario's requests from 16 concurrent clients (threads with a ``requests.Session`` each).
Prints p50/p99 latency and throughput per scenario, medians of ``--repeat`` passes, the CPU each
request cost the app, the local PostgreSQL and the clients (all on the same cores), and the
query plans of the API's listing. The first scenario, ``/healthz``, reads no database: the
least these clients see from this server on this machine; each scenario's p99 is also given as
a multiple of the floor's in the same pass, which holds from day to day when the machine's
speed does not.

Run: ``python -m bench.web_bench [--repeat 3] [--requests 400] [--sqlite]
[--issues-per-mailbox 950]`` (950: about a million issues, 570 open per user). Never part of the
test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

import psutil
import requests
from flask import Flask
from flask_login.utils import _create_identifier
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from backend import create_app
from backend.auth import addin_tokens
from backend.models import Issue, Mailbox, Tenant, User
from backend.models.issue import Operation, Resolution, Source
from backend.models.issue_queries import (
    IssueFilter,
    Position,
    after,
    issue_count_query,
    issue_query,
)
from backend.models.mailbox import HealthStatus, Provider
from backend.models.types import Direction, IssueCode, ItemType, MailSystem
from backend.models.user import Role
from backend.storage.db import make_engine
from backend.storage.schema import upgrade
from bench.scratch import database, drop_database
from bench.soak_bench import cpu_seconds

DATABASE = "ssi_bench_web"
TENANTS, USERS_PER_TENANT, ISSUES_PER_MAILBOX = 10, 100, 100
OPEN_SHARE = 0.6
CLIENTS = 16
ALONE = 50
"""Requests of the one-client measurement of each scenario."""
DEEP_ROWS = 5000
"""How far into a key user's listing the deep page starts (of about 6,000 open issues)."""
ROOT = Path(__file__).resolve().parent.parent
AGENT = "ssi-web-bench"
CODES = (IssueCode.NEEDS_INPUT, IssueCode.FORBIDDEN, IssueCode.UNKNOWN, IssueCode.TEMPORARY)
FILTER = "type=CONTACT&code=NEEDS_INPUT"
FLOOR = "floor: /healthz, no database"


@dataclass
class Population:
    key_users: list[int]
    users: list[int]
    tenant_of: dict[int, int]


@dataclass
class Figures:
    p50_ms: float
    p99_ms: float
    per_second: float
    rows: float
    errors: int = 0
    alone_ms: float = 0.0
    """p50 with one client: the time the app spends on one request, no queueing."""
    cpu_ms: dict[str, float] = field(default_factory=dict)
    """CPU per request under load, by who spent it: the app (gunicorn), the database server,
    the clients (this process)."""
    p99_x_floor: float = 0.0
    """p99 over the floor's p99 in the same pass: comparable between days when the machine's
    own speed is not."""
    p99_spread: tuple[float, float] = (0.0, 0.0)
    """The lowest and highest p99 of the passes: how far one pass's tail says anything."""


class CpuMeter:
    """CPU seconds spent so far by the served app, the local PostgreSQL and the bench's clients:
    they share the machine's cores, so each request's share of all three sets the queue."""

    def __init__(self, server: subprocess.Popen) -> None:
        self.server = psutil.Process(server.pid)
        self.clients = psutil.Process()

    def read(self) -> dict[str, float]:
        database = 0.0
        for process in psutil.process_iter(["name"]):
            if process.info["name"] == "postgres":
                with contextlib.suppress(psutil.Error):
                    database += sum(process.cpu_times()[:2])
        return {
            "app": cpu_seconds(self.server),
            "database": database,
            "clients": sum(self.clients.cpu_times()[:2]),
        }


@dataclass
class Scenario:
    name: str
    who: str
    """``key`` or ``user``: whose sessions send it."""
    paths: dict[int, str] = field(default_factory=dict)
    """Path per user id; a user without an entry uses ``default``."""
    default: str = ""


def seed(engine: Engine, per_mailbox: int = ISSUES_PER_MAILBOX) -> Population:
    """Tenants, users, mailboxes and issues, inserted with Core executemany."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(Tenant),
            [
                {"slug": f"t{n:02d}", "name": f"Tenant {n}", "c4c_base_url": "http://c4c.test/",
                 "mail_system": MailSystem.EXCHANGE_SERVER, "settings": {}}
                for n in range(TENANTS)
            ],
        )  # fmt: skip
        tenant_ids = connection.scalars(select(Tenant.id).order_by(Tenant.id)).all()
        connection.execute(
            insert(User),
            [
                {"tenant_id": tenant_id, "email": f"u{u:03d}@t{t:02d}.test",
                 "name": f"User {u} of {t}", "role": Role.KEY_USER if u == 0 else Role.USER}
                for t, tenant_id in enumerate(tenant_ids)
                for u in range(USERS_PER_TENANT)
            ],
        )  # fmt: skip
        users = connection.execute(select(User.id, User.tenant_id, User.email, User.role)).all()
        connection.execute(
            insert(Mailbox),
            [
                {"tenant_id": user.tenant_id, "user_id": user.id, "address": user.email,
                 "provider": Provider.EXCHANGE, "status": HealthStatus.ACTIVE}
                for user in users
            ],
        )  # fmt: skip
        mailboxes = connection.execute(select(Mailbox.id, Mailbox.tenant_id, Mailbox.user_id)).all()
        rows: list[dict[str, Any]] = []
        for mailbox in mailboxes:
            for n in range(per_mailbox):
                rows.append(_issue_row(rng, now, mailbox, n))
                if len(rows) == 10_000:
                    connection.execute(insert(Issue), rows)
                    rows.clear()
        if rows:
            connection.execute(insert(Issue), rows)
    if engine.dialect.name == "postgresql":
        # As autovacuum would soon. SQLite keeps no statistics unless asked, and the app never
        # asks: with them, it takes `resolved_at IS NULL` for a rare value and sorts instead.
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    key_users = [user.id for user in users if user.role == Role.KEY_USER]
    plain = [user.id for user in users if user.role != Role.KEY_USER]
    return Population(key_users, plain, {user.id: user.tenant_id for user in users})


def _issue_row(rng: random.Random, now: datetime, mailbox: Any, n: int) -> dict[str, Any]:
    item_type = rng.choice(list(ItemType))
    last_seen = now - timedelta(seconds=rng.randrange(90 * 86400))
    resolved = rng.random() >= OPEN_SHARE
    return {
        "tenant_id": mailbox.tenant_id, "user_id": mailbox.user_id, "mailbox_id": mailbox.id,
        "item_type": item_type, "item_key": f"mbx:{n}", "mailbox_item_id": f"AAMk{n:06d}",
        "c4c_object_id": f"{n:032X}", "title": f"{item_type.title()} {n}",
        "code": rng.choice(CODES), "source": Source.C4C, "direction": Direction.UP,
        "operation": Operation.UPDATE, "backend_code": "C4C/400",
        "backend_message": "Mandatory field LastName is not filled", "http_status": 400,
        "fields": ["LastName"], "action_title": "Add the missing last name",
        "action_text": "Open the item, fill in the field and save it.",
        "informational": False, "first_seen_at": last_seen - timedelta(days=rng.randrange(30)),
        "last_seen_at": last_seen, "occurrences": rng.randrange(1, 20),
        "resolved_at": last_seen + timedelta(hours=1) if resolved else None,
        "resolution": Resolution.AUTO if resolved else None,
    }  # fmt: skip


def served_app() -> Flask:
    """What gunicorn serves: the app with the bench's configuration (``BENCH_APP_CONFIG``)."""
    logging.disable(logging.CRITICAL)
    return create_app(json.loads(os.environ["BENCH_APP_CONFIG"]))


def serve(config: dict[str, Any], workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    """gunicorn with the product's configuration on a free loopback port; its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ, "BENCH_APP_CONFIG": json.dumps(config), "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": str(workers), "WEB_THREADS": str(threads), "LOG_LEVEL": "WARNING",
        "DATABASE_URL": config["DATABASE_URL"], "INSTANCE_PATH": config["INSTANCE_PATH"],
    }  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "--access-logfile", "/dev/null", "bench.web_bench:served_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=2).ok:
                return server, base
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def session_cookie(app: Flask, user_id: int) -> str:
    """The signed session cookie of a signed-in ``user_id`` (flask-login, strong protection)."""
    with app.test_request_context(
        environ_base={"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": AGENT}
    ):
        identifier = _create_identifier()
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    # flask-login keeps the user's id and session generation (``backend.auth.signin``).
    return serializer.dumps({"_user_id": f"{user_id}.0", "_fresh": True, "_id": identifier})


def client(base: str, app: Flask, user_id: int) -> requests.Session:
    browser = requests.Session()
    browser.headers["User-Agent"] = AGENT
    # For the server's host, as a browser keeps it: the cookie a page sets (its CSRF token)
    # replaces this one instead of being sent after it, ignored, for a new one every page.
    host = base.split("://", 1)[1].split(":", 1)[0]
    browser.cookies.set(
        app.config["SESSION_COOKIE_NAME"], session_cookie(app, user_id), domain=host, path="/"
    )
    browser.base = base  # type: ignore[attr-defined]
    browser.user_id = user_id  # type: ignore[attr-defined]
    return browser


def addin_items(engine: Engine, sessions: list[requests.Session]) -> dict[int, str]:
    """Give each plain user's client an add-in token; the item with an open issue to ask about."""
    paths: dict[int, str] = {}
    with Session(engine) as session:
        for browser in sessions:
            user_id = browser.user_id  # type: ignore[attr-defined]
            issue = session.scalars(
                select(Issue)
                .where(Issue.user_id == user_id, Issue.resolved_at.is_(None))
                .order_by(Issue.id)
                .limit(1)
            ).one()
            token = addin_tokens.issue(session, session.get(User, user_id), "outlook", 600)
            browser.headers["Authorization"] = f"Bearer {token.secret}"
            paths[user_id] = (
                f"/addin/api/v1/item?id={issue.mailbox_item_id}&type={issue.item_type.value}"
            )
        session.commit()
    return paths


def deep_cursors(sessions: list[requests.Session]) -> dict[int, str]:
    """A cursor ``DEEP_ROWS`` into each key user's open listing, found by walking to it."""
    cursors: dict[int, str] = {}
    for browser in sessions:
        user_id = browser.user_id  # type: ignore[attr-defined]
        if user_id in cursors:
            continue
        cursor, seen = None, 0
        while seen < DEEP_ROWS:
            answer = browser.get(
                f"{browser.base}/api/v1/issues",  # type: ignore[attr-defined]
                params={"limit": 200, **({"cursor": cursor} if cursor else {})},
            )
            if not answer.ok:
                raise RuntimeError(f"the API answered {answer.status_code}: {answer.text[:200]}")
            page = answer.json()
            seen += len(page["items"])
            cursor = page["next_cursor"]
        cursors[user_id] = cursor
    return cursors


def load(
    sessions: list[requests.Session], scenario: Scenario, count: int, meter: CpuMeter | None = None
) -> Figures:
    """``count`` requests from ``len(sessions)`` concurrent clients, after a warm-up round (with
    ``meter``, the CPU each request cost, by who spent it)."""
    latencies: list[float] = []
    rows: list[int] = []
    errors = 0
    lock = threading.Lock()
    remaining = iter(range(count))
    warm = threading.Barrier(len(sessions) + 1)
    go = threading.Event()

    def one(browser: requests.Session) -> tuple[float, int, int]:
        user_id = browser.user_id  # type: ignore[attr-defined]
        path = scenario.paths.get(user_id, scenario.default)
        began = time.perf_counter()
        try:
            answer = browser.get(browser.base + path)  # type: ignore[attr-defined]
        except requests.ConnectionError:
            # A kept-alive connection the server closed as it was reused: an error, counted.
            return time.perf_counter() - began, 0, -1
        elapsed = time.perf_counter() - began
        listed = answer.status_code == 200 and path.startswith("/api/")
        return elapsed, answer.status_code, len(answer.json()["items"]) if listed else -1

    def work(browser: requests.Session) -> None:
        nonlocal errors
        for _ in range(2):
            one(browser)
        warm.wait()
        go.wait()
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            elapsed, status, found = one(browser)
            with lock:
                latencies.append(elapsed)
                rows.append(found)
                errors += status != 200

    threads = [threading.Thread(target=work, args=(browser,)) for browser in sessions]
    for thread in threads:
        thread.start()
    warm.wait()
    spent = meter.read() if meter else {}  # before the clients start: it takes the GIL a while
    began = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    ordered = sorted(latencies)
    return Figures(
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))] * 1000,
        per_second=len(ordered) / seconds,
        rows=statistics.median(rows),
        errors=errors,
        cpu_ms={
            who: (total - spent[who]) * 1000 / len(ordered)
            for who, total in (meter.read() if meter else {}).items()
        },
    )


def scenarios(
    app: Flask,
    cursors: dict[int, str],
    items: dict[int, str],
    key_user: requests.Session,
    user: requests.Session,
) -> tuple[list[Scenario], list[str]]:
    """What to measure, and which pages were left out (not in the app yet, or failing)."""
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    chosen = [
        Scenario(FLOOR, "user", default="/healthz"),
        Scenario("API, key user, first page", "key", default="/api/v1/issues"),
        Scenario(
            f"API, key user, {DEEP_ROWS:,} rows deep",
            "key",
            paths={user: f"/api/v1/issues?cursor={cursor}" for user, cursor in cursors.items()},
        ),
        Scenario(f"API, key user, {FILTER}", "key", default=f"/api/v1/issues?{FILTER}"),
        Scenario("API, plain user", "user", default="/api/v1/issues"),
        Scenario("add-in: state of an item with an issue", "user", paths=items),
    ]
    missing = []
    for path, name, who in (
        ("/issues", "dashboard Issues tab, plain user", "user"),
        ("/admin/issues", "admin issues, key user", "key"),
    ):
        browser = key_user if who == "key" else user
        if path not in routes:
            missing.append(f"{path} ({name}): not in the app yet, not measured")
        elif (status := browser.get(browser.base + path).status_code) != 200:  # type: ignore[attr-defined]
            missing.append(f"{path} ({name}): answers {status} for now, not measured")
        else:
            chosen.append(Scenario(name, who, default=path))
    return chosen, missing


def explain(engine: Engine, population: Population) -> None:
    """The plans of a key user's first page, deep page and count, and a plain user's page."""
    key_user = population.key_users[0]
    tenant = population.tenant_of[key_user]
    everything = IssueFilter()
    listing = issue_query(tenant, key_user, True, everything).limit(51)
    with engine.connect() as connection:
        deep = connection.execute(listing.offset(DEEP_ROWS).limit(1)).one()
        plans = {
            "key user, first page": listing,
            f"key user, {DEEP_ROWS:,} rows deep": after(
                listing, Position(deep.last_seen_at, deep.id)
            ),
            "key user, count": issue_count_query(tenant, key_user, True, everything),
            "plain user, first page": issue_query(
                tenant, population.users[0], False, everything
            ).limit(51),
        }
        for name, statement in plans.items():
            compiled = statement.compile(dialect=engine.dialect)
            if engine.dialect.name == "postgresql":
                sql, params = "EXPLAIN ANALYZE " + compiled.string, compiled.params
            else:
                sql = "EXPLAIN QUERY PLAN " + compiled.string
                params = tuple(compiled.params[key] for key in compiled.positiontup or ())
            print(f"\n{name}:")
            for line in connection.exec_driver_sql(sql, params):
                print("  " + str(line[-1]))


def report(results: dict[str, Figures]) -> None:
    print(
        f"\n{'scenario':<46}{'p50 ms':>8}{'p99 ms':>8}{'passes':>12}{'x floor':>8}{'req/s':>7}"
        f"{'1 client p50':>14}"
        f"{'rows':>6}{'errors':>7}   CPU ms a request: app / database / clients"
    )
    for name, row in results.items():
        cpu = " / ".join(f"{row.cpu_ms.get(who, 0):.2f}" for who in ("app", "database", "clients"))
        spread = f"{row.p99_spread[0]:.0f}-{row.p99_spread[1]:.0f}"
        print(
            f"{name:<46}{row.p50_ms:>8.1f}{row.p99_ms:>8.1f}{spread:>12}{row.p99_x_floor:>8.1f}"
            f"{row.per_second:>7.0f}"
            f"{row.alone_ms:>14.1f}{f'{row.rows:.0f}' if row.rows >= 0 else '-':>6}{row.errors:>7}"
            f"   {cpu}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes (medians)")
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite, not PostgreSQL")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per process")
    parser.add_argument(
        "--issues-per-mailbox",
        type=int,
        default=ISSUES_PER_MAILBOX,
        help="issues seeded per mailbox (950: about a million, 570 open each)",
    )
    arguments = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        url, note = database(DATABASE, arguments.sqlite, Path(folder))
        try:
            bench(url, note, Path(folder), arguments.repeat, arguments.requests,
                  arguments.web_workers, arguments.web_threads,
                  arguments.issues_per_mailbox)  # fmt: skip
        finally:
            drop_database(url)


def bench(
    url: str, note: str | None, folder: Path, repeat: int, count: int, web_workers: int,
    web_threads: int, per_mailbox: int = ISSUES_PER_MAILBOX,
) -> None:  # fmt: skip
    print(f"database: {note or 'PostgreSQL ' + url}")
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    upgrade(engine)
    began = time.perf_counter()
    population = seed(engine, per_mailbox)
    print(
        f"seeded {TENANTS * USERS_PER_TENANT * per_mailbox:,} issues in "
        f"{time.perf_counter() - began:.1f} s"
    )
    config = {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(folder / "instance"),
        "RATELIMIT_ENABLED": False,
        "LOG_LEVEL": "WARNING",
    }
    app = create_app(config)
    server, base = serve(config, web_workers, web_threads)
    print(f"server: gunicorn, {web_workers} workers of {web_threads} threads (gunicorn.conf.py)")
    try:
        keys = [
            client(base, app, user) for user, _ in zip(cycle(population.key_users), range(CLIENTS))
        ]
        spread = population.users[:: len(population.users) // CLIENTS][:CLIENTS]
        users = [client(base, app, user) for user in spread]
        items = addin_items(engine, users)
        chosen, missing = scenarios(app, deep_cursors(keys), items, keys[0], users[0])
        passes: list[dict[str, Figures]] = []
        meter = CpuMeter(server)
        for _ in range(repeat):
            figures = {}
            for scenario in chosen:
                sessions = keys if scenario.who == "key" else users
                figures[scenario.name] = load(sessions, scenario, count, meter)
                figures[scenario.name].alone_ms = load(sessions[:1], scenario, ALONE).p50_ms
            for row in figures.values():
                row.p99_x_floor = row.p99_ms / max(figures[FLOOR].p99_ms, 0.001)
            passes.append(figures)
        results = {
            s.name: Figures(
                *(statistics.median(getattr(p[s.name], name) for p in passes)
                  for name in ("p50_ms", "p99_ms", "per_second", "rows")),
                errors=sum(p[s.name].errors for p in passes),
                alone_ms=statistics.median(p[s.name].alone_ms for p in passes),
                p99_x_floor=statistics.median(p[s.name].p99_x_floor for p in passes),
                p99_spread=(min(p[s.name].p99_ms for p in passes),
                            max(p[s.name].p99_ms for p in passes)),
                cpu_ms={who: statistics.median(p[s.name].cpu_ms[who] for p in passes)
                        for who in passes[0][s.name].cpu_ms},
            )
            for s in chosen
        }  # fmt: skip
        print(f"{CLIENTS} concurrent clients, {count} requests per scenario, medians of {repeat}")
        report(results)
        for line in missing:
            print(line)
        explain(engine, population)
    finally:
        server.terminate()
        server.wait(timeout=60)
        engine.dispose()


if __name__ == "__main__":
    main()

"""The demo: seeding is idempotent; ``flask demo`` serves, starts again a child that was killed
(the rest goes on), and stops every child on Ctrl-C."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import IO

import requests
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from backend.demo.data import DEMO_USERS, seed_demo
from backend.extensions import Resources
from backend.models import Mailbox, Tenant, User
from backend.models.user import Role
from backend.storage.db import make_engine
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
MAILS = "http://127.0.0.1:8126/"
"""The demo's mail catcher's page."""


def test_seed_makes_contoso_once(session: Session, resources: Resources) -> None:
    seed_demo(session, resources.cipher)
    seed_demo(session, resources.cipher)
    assert [t.name for t in session.scalars(select(Tenant))] == ["Contoso"]
    users = session.scalars(select(User).order_by(User.email)).all()
    assert sorted(u.email for u in users) == sorted(u.email for u in DEMO_USERS)
    assert [u.role for u in users].count(Role.KEY_USER) == 1
    providers = sorted(m.provider.value for m in session.scalars(select(Mailbox)))
    assert providers == ["EXCHANGE"] * 5 + ["GMAIL", "GRAPH"]


def _wait_for_issues(database: Path, at_least: int) -> list[tuple[str, str]]:
    """The open issues of items after the demo's first sync, once every mailbox has synced
    (the story's mass-change hold, about a whole mailbox, may come soon after)."""
    engine = make_engine(f"sqlite:///{database}")
    deadline = time.monotonic() + 90
    found: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            found = [
                (row.code, row.item_type)
                for row in connection.execute(
                    text("SELECT code, item_type FROM issue WHERE resolved_at IS NULL "
                         "AND item_type IS NOT NULL")
                )
            ]  # fmt: skip
        if len(found) >= at_least:
            break
        time.sleep(0.5)
    engine.dispose()
    return found


def _statuses(database: Path) -> dict[str, str]:
    """Each demo mailbox's health, once every mailbox has had its first run."""
    engine = make_engine(f"sqlite:///{database}")
    deadline = time.monotonic() + 60
    found: dict[str, str] = {}
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            found = dict(connection.execute(text("SELECT address, status FROM mailbox")).all())
        if "NOT_SYNCED" not in found.values():
            break
        time.sleep(0.5)
    engine.dispose()
    return found


def _open_warnings(database: Path) -> list[tuple[str, str, int | None]]:
    """The open warnings of the demo (kind, mailbox, step notified)."""
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        found = [
            (row.kind, row.address, row.step)
            for row in connection.execute(
                text("SELECT w.kind, m.address, w.step FROM sync_warning w "
                     "JOIN mailbox m ON m.id = w.mailbox_id WHERE w.resolved_at IS NULL")
            )
        ]  # fmt: skip
    engine.dispose()
    return found


STORY = {
    "Anna's run held for a key user": "SELECT 1 FROM sync_run r JOIN mailbox m ON m.id = "
    "r.mailbox_id WHERE m.address = 'anna.sales@contoso.test' AND r.outcome = 'HELD'",
    "the hold asks for approval": "SELECT 1 FROM issue WHERE backend_code = 'MassChangeHeld' "
    "AND resolved_at IS NULL",
    "Ben's task changed on both sides": "SELECT 1 FROM issue WHERE code = 'CONFLICT' AND "
    "item_type = 'TASK' AND resolution = 'AUTO'",
    "Ben's deleted task": "SELECT 1 FROM issue WHERE code = 'NOT_FOUND' AND item_type = 'TASK'",
    "Gina's e-mails read in full": "SELECT 1 FROM sync_run WHERE read_in_full = 'EMAIL'",
}
"""What the demo's story makes happen within a few runs (the TEMPORARY after five runs is
tested in ``tests/sync/test_demo_story.py``)."""


def _story_seen(database: Path) -> list[str]:
    """The parts of the story not seen after two minutes (an empty list once all are)."""
    engine = make_engine(f"sqlite:///{database}")
    deadline = time.monotonic() + 120
    missing = list(STORY)
    while missing and time.monotonic() < deadline:
        with engine.connect() as connection:
            missing = [name for name in missing
                       if connection.execute(text(STORY[name])).first() is None]  # fmt: skip
        time.sleep(1)
    engine.dispose()
    return missing


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


def _through_the_provider(browser: requests.Session, start: requests.Response, email: str,
                          password: str) -> requests.Response:  # fmt: skip
    """Follow a redirect to the emulated provider, sign in if it asks, come back; the answer
    of the product's callback."""
    authorize = start.headers["Location"]
    answer = browser.get(authorize, allow_redirects=False, timeout=10)
    if answer.status_code == 200:
        assert 'id="sign-in"' in answer.text, answer.text[:500]
        answer = browser.post(authorize, data={"email": email, "password": password},
                              allow_redirects=False, timeout=10)  # fmt: skip
    assert answer.status_code == 302, answer.text[:500]
    return browser.get(answer.headers["Location"], allow_redirects=False, timeout=10)


def _signed_in(base: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    token = _csrf(browser.get(f"{base}/login", timeout=10))
    start = browser.post(f"{base}/auth/login/microsoft", data={"csrf_token": token},
                         allow_redirects=False, timeout=10)  # fmt: skip
    done = _through_the_provider(browser, start, email, password)
    assert (done.status_code, done.headers.get("Location")) == (302, "/"), done.text[:500]
    return browser


def _revoke_and_reactivate(base: str, database: Path, person: str, password: str) -> None:
    """The key user revokes a token mailbox; its owner grants access again through the
    emulated provider's consent, registered by the identity emulator's own seed; it syncs."""
    address = f"{person}.sales@contoso.test"
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        box = connection.execute(text("SELECT id FROM mailbox WHERE address = :a"),
                                 {"a": address}).scalar_one()  # fmt: skip
    kim = _signed_in(base, "kim.keyuser@contoso.test", "kim-demo")
    data = {"csrf_token": _csrf(kim.get(f"{base}/admin/", timeout=10)), "action": "revoke",
            "mailbox_id": str(box), "confirmed": "yes"}  # fmt: skip
    assert "1 revoked." in kim.post(f"{base}/admin/bulk", data=data, timeout=30).text
    owner = _signed_in(base, address, password)
    token = _csrf(owner.get(f"{base}/reactivate/", timeout=10))
    start = owner.post(f"{base}/reactivate/consent", data={"csrf_token": token},
                       allow_redirects=False, timeout=10)  # fmt: skip
    before = _last_run(engine, box)[0]
    back = _through_the_provider(owner, start, address, password)
    assert back.headers.get("Location") == "/", back.text[:500]
    assert "Your mailbox is connected again" in owner.get(f"{base}/", timeout=10).text
    assert _next_run(engine, box, before) == "SUCCEEDED", f"{person} after re-activation"
    engine.dispose()


def _last_run(engine: Engine, box: int) -> tuple[int, str | None]:
    last = text("SELECT id, outcome FROM sync_run WHERE mailbox_id = :m ORDER BY id DESC LIMIT 1")
    with engine.connect() as connection:
        found = connection.execute(last, {"m": box}).first()
    return (found[0], found[1]) if found is not None else (0, None)


def _next_run(engine: Engine, box: int, after: int) -> str | None:
    """The outcome of the first run of ``box`` after run ``after`` (None if none ends soon)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run, outcome = _last_run(engine, box)
        if run > after and outcome not in ("RUNNING", None):
            return outcome
        time.sleep(1)
    return None


def _grant_application_permissions(base: str, database: Path) -> None:
    """Kim, administrator of Contoso's emulated directory, grants the app access to every
    mailbox; Olivia's Exchange Online mailbox then syncs with the app's own token."""
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        box = connection.execute(text("SELECT id FROM mailbox WHERE address = :a"),
                                 {"a": "olivia.sales@contoso.test"}).scalar_one()  # fmt: skip
    kim = _signed_in(base, "kim.keyuser@contoso.test", "kim-demo")
    token = _csrf(kim.get(f"{base}/admin/settings", timeout=10))
    start = kim.post(f"{base}/admin/consent/microsoft", data={"csrf_token": token},
                     allow_redirects=False, timeout=10)  # fmt: skip
    back = _through_the_provider(kim, start, "kim.keyuser@contoso.test", "kim-demo")
    assert back.headers.get("Location") == "/admin/settings", back.text[:500]
    settings = kim.get(f"{base}/admin/settings", timeout=10).text
    assert "Your administrator granted access" in settings
    assert "<code>3c0a8d1e-5b7f-4e2a-9d64-0c0a7050e7e5</code>" in settings
    before = _last_run(engine, box)[0]
    data = {"csrf_token": _csrf(kim.get(f"{base}/admin/", timeout=10)), "action": "force",
            "mailbox_id": str(box)}  # fmt: skip
    assert "1 queued for a sync" in kim.post(f"{base}/admin/bulk", data=data, timeout=30).text
    outcome = _next_run(engine, box, before)
    with engine.connect() as connection:
        error = connection.execute(
            text("SELECT error_message FROM sync_run WHERE mailbox_id = :m ORDER BY id DESC"),
            {"m": box},
        ).first()
    assert outcome == "SUCCEEDED", f"Olivia with the app's permission: {error}"
    engine.dispose()


def _drain(stream: IO[str]) -> Future[str]:
    """All of ``stream``, read in a thread of its own until it ends."""
    result: Future[str] = Future()
    threading.Thread(target=lambda: result.set_result(stream.read()), daemon=True).start()
    return result


def test_demo_serves_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["INSTANCE_PATH"] = str(tmp_path / "instance")
    demo = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Read both streams while the demo runs: a full pipe would stop its children mid-write.
    drained = {name: _drain(getattr(demo, name)) for name in ("stdout", "stderr")}
    try:
        ready = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ready is None:
            try:
                ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            except requests.ConnectionError:
                time.sleep(0.3)
        assert ready is not None and ready.status_code == 200, "the web server never came up"
        open_issues = _wait_for_issues(tmp_path / "instance" / "ssi-sync.db", at_least=17)
        assert len(open_issues) == 17, (
            "three in each Exchange Server mailbox, five in Gina's Gmail, three in Olivia's "
            "Exchange Online mailbox"
        )
        assert {(code, item_type) for code, item_type in open_issues} == {
            ("NEEDS_INPUT", "CONTACT"),
            ("NEEDS_INPUT", "EMAIL"),
            ("NEEDS_INPUT", "TASK"),
            ("NEEDS_INPUT", "APPOINTMENT"),
            ("FORBIDDEN", "ACCOUNT"),
        }
        mails = requests.get(MAILS, timeout=5)
        assert "Mail catcher" in mails.text
        stopped = _statuses(tmp_path / "instance" / "ssi-sync.db")
        assert (stopped["paul.sales@contoso.test"], stopped["dora.sales@contoso.test"]) == (
            "FAILED_AUTH",
            "DISABLED",
        ), "Paul's changed password and Dora's disabled account stop their mailboxes"
        for notice in (
            "Sync of paul.sales@contoso.test stopped: please re-activate",
            "The mail system disabled dora.sales@contoso.test: its sync stopped",
        ):
            # A run's status is stored before its notice goes out.
            assert eventually(lambda n=notice: n in requests.get(MAILS, timeout=5).text), notice
        warned = _open_warnings(tmp_path / "instance" / "ssi-sync.db")
        assert warned == [("GOOGLE_CONSENT_ENDS", "gina.sales@contoso.test", 3)], (
            "Gina's time-limited Google consent, learned from Google's answer to the refresh"
        )
        assert eventually(
            lambda: (
                "Warning: Google access for the sync ends on" in requests.get(MAILS, timeout=5).text
            )
        ), "Gina's warning e-mail"
        shell = {**env, **_demo_env(tmp_path / "instance" / "demo.env")}
        for person in ("gina", "olivia"):
            summary = _sync_by_hand(shell, f"{person}.sales@contoso.test")
            assert "SUCCEEDED" in summary, summary
            assert "created 0, updated 0, deleted 0, failed 0; issues opened 0, resolved 0" in (
                summary
            ), f"a quiet run from a shell writes nothing: {summary}"
        database = tmp_path / "instance" / "ssi-sync.db"
        base = f"http://127.0.0.1:{port}"
        for person, password in (("gina", "gina-demo"), ("olivia", "olivia-demo")):
            _revoke_and_reactivate(base, database, person, password)
        _grant_application_permissions(base, database)

        assert _story_seen(database) == [], "the story's situations reach the product"

        c4c = _child(demo.pid, "emulators.c4c")
        os.kill(c4c, signal.SIGKILL)
        restarted = eventually(lambda: _child(demo.pid, "emulators.c4c") not in (None, c4c))
        assert restarted, "the C4C emulator was started again"
        answered = eventually(
            lambda: _answers("http://127.0.0.1:8101/sap/c4c/odata/v1/c4codataapi/")
        )
        assert answered == 401, "the new C4C emulator serves (and asks for credentials)"
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        assert demo.poll() is None, "the demo goes on"
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=60)
        output, errors = (drained[name].result() for name in ("stdout", "stderr"))
    assert "demo: c4c stopped (exit code -9); starting it again" in errors
    assert "demo story: litware: Anna: a mass-change hold" in errors
    assert not re.search(r"demo story: \w+ skipped", errors), "every scene of the story played"
    assert demo.returncode == 0
    assert "ssi-sync demo is running" in output
    assert "anna.sales@contoso.test / anna-demo (user, Exchange)" in output
    assert "gina.sales@contoso.test / gina-demo (user, Gmail)" in output
    assert "olivia.sales@contoso.test / olivia-demo (user, Exchange Online)" in output
    assert "paul.sales@contoso.test / paul-demo (user, Exchange)" in output
    assert output.rstrip().endswith("demo: stopped")
    leftovers = subprocess.run(
        ["pgrep", "-f", f"--port {port}"], capture_output=True, text=True, check=False
    )
    assert leftovers.stdout.strip() == ""


def _demo_env(path: Path) -> dict[str, str]:
    """The variables a shell takes from the demo's ``demo.env`` (``. instance/demo.env``)."""
    found = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            [found[name]] = shlex.split(value)
    return found


def _sync_by_hand(env: dict[str, str], address: str) -> str:
    """``flask sync run`` from a shell while the demo runs (again while a worker holds it)."""
    for _ in range(30):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "sync", "run", "--mailbox", address],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if "a worker is syncing" not in done.stderr + done.stdout:
            return done.stdout + done.stderr
        time.sleep(1)
    raise AssertionError(f"{address} was never free to sync by hand")


def _child(parent: int, module: str) -> int | None:
    """The process id of the demo's child running ``module``, if one runs."""
    found = subprocess.run(["pgrep", "-P", str(parent), "-f", f"{module} --port"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    pids = [int(pid) for pid in found.stdout.split()]
    return pids[0] if pids else None


def _answers(url: str) -> int | None:
    try:
        return requests.get(url, timeout=2).status_code
    except requests.ConnectionError:
        return None

"""The demo: seeding is idempotent; ``flask demo`` serves, starts again a child that was killed
(the rest goes on), and stops every child on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.db import make_engine
from backend.demo_data import DEMO_USERS, seed_demo
from backend.extensions import Resources
from backend.models import Mailbox, Tenant, User
from backend.models.user import Role

ROOT = Path(__file__).resolve().parent.parent


def test_seed_makes_contoso_once(session: Session, resources: Resources) -> None:
    seed_demo(session, resources.cipher)
    seed_demo(session, resources.cipher)
    assert [t.name for t in session.scalars(select(Tenant))] == ["Contoso"]
    users = session.scalars(select(User).order_by(User.email)).all()
    assert sorted(u.email for u in users) == sorted(u.email for u in DEMO_USERS)
    assert [u.role for u in users].count(Role.KEY_USER) == 1
    providers = sorted(m.provider.value for m in session.scalars(select(Mailbox)))
    assert providers == ["EXCHANGE", "EXCHANGE", "EXCHANGE", "GMAIL", "GRAPH"]


def _wait_for_issues(database: Path, at_least: int) -> list[tuple[str, str]]:
    """The open issues of the demo's first sync, once every mailbox has synced."""
    engine = make_engine(f"sqlite:///{database}")
    deadline = time.monotonic() + 90
    found: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            found = [
                (row.code, row.item_type)
                for row in connection.execute(
                    text("SELECT code, item_type FROM issue WHERE resolved_at IS NULL")
                )
            ]
        if len(found) >= at_least:
            break
        time.sleep(0.5)
    engine.dispose()
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
        mails = requests.get("http://127.0.0.1:8126/", timeout=5)
        assert "Mail catcher" in mails.text

        c4c = _child(demo.pid, "emulators.c4c")
        os.kill(c4c, signal.SIGKILL)
        restarted = _wait_for(lambda: _child(demo.pid, "emulators.c4c") not in (None, c4c))
        assert restarted, "the C4C emulator was started again"
        answered = _wait_for(
            lambda: _answers("http://127.0.0.1:8101/sap/c4c/odata/v1/c4codataapi/")
        )
        assert answered == 401, "the new C4C emulator serves (and asks for credentials)"
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        assert demo.poll() is None, "the demo goes on"
    finally:
        demo.send_signal(signal.SIGINT)
        output, errors = demo.communicate(timeout=60)
    assert "demo: c4c stopped (exit code -9); starting it again" in errors
    assert demo.returncode == 0
    assert "ssi-sync demo is running" in output
    assert "anna.sales@contoso.test / anna-demo (user, Exchange)" in output
    assert "gina.sales@contoso.test / gina-demo (user, Gmail)" in output
    assert "olivia.sales@contoso.test / olivia-demo (user, Exchange Online)" in output
    assert output.rstrip().endswith("demo: stopped")
    leftovers = subprocess.run(
        ["pgrep", "-f", f"--port {port}"], capture_output=True, text=True, check=False
    )
    assert leftovers.stdout.strip() == ""


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


def _wait_for(probe, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.3)
    return None

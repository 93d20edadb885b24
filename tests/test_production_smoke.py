"""The production layout, for real: ``flask serve`` starts migrations, gunicorn (2 processes),
two RQ workers and the scheduler on the suite's database and Redis (PostgreSQL and Redis when
they are given, else SQLite and the embedded Redis); a person signs in through the identity
provider, the scheduler queues the due mailbox and a worker syncs it against the emulators,
``/readyz`` says ready only once workers and the scheduler are alive, ``/metrics`` counts the
run, and SIGTERM stops everything cleanly."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
import requests
from sqlalchemy import select

from backend.models import Mailbox, Run
from backend.models.run import RunOutcome, Trigger
from backend.storage.db import utcnow
from emulators.identity import IdentityEmulator
from emulators.identity.seed import register_app
from emulators.smtp import MailCatcher
from tests.support.waiting import eventually
from tests.support.world import ADDRESS

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID, CLIENT_SECRET = "ssi-sync-smoke", "ssi-sync-smoke-secret"
METRICS_TOKEN = "smoke-test-metrics-token-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, check, seconds: float = 60.0):
    found = eventually(check, seconds, step=0.5)
    assert found, f"{what} did not happen within {seconds:.0f} s"
    return found


@pytest.fixture
def served(
    tmp_path: Path, database_url: str, redis_url: str, resources, identity: IdentityEmulator,
    mail_server: MailCatcher,
):  # fmt: skip
    """``flask serve --workers 2`` on its own port, with the app's secrets and keys."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    register_app(identity.provider, [url], CLIENT_ID, CLIENT_SECRET)
    settings = resources.settings
    env = {
        **os.environ,
        "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "INSTANCE_PATH": str(tmp_path / "served"), "SECRET_KEY": settings.secret_key,
        "TOKEN_ENCRYPTION_KEYS": ",".join(settings.token_encryption_keys),
        "WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "2", "WEB_THREADS": "2",
        "READYZ_JOBS": "true", "METRICS_TOKEN": METRICS_TOKEN, "PUBLIC_BASE_URL": url,
        "MICROSOFT_ISSUER": identity.provider.issuer("microsoft"),
        "MICROSOFT_CLIENT_ID": CLIENT_ID, "MICROSOFT_CLIENT_SECRET": CLIENT_SECRET,
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail_server.port),
    }  # fmt: skip
    env.pop("FLASK_RUN_FROM_CLI", None)
    log = (tmp_path / "serve.log").open("w+b")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "serve", "--workers", "2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        yield url, process, log
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen) -> None:
    """Stop ``flask serve`` as an operator does (SIGTERM: it stops its children); if it does not
    go, kill it and every process it started, so no worker outlives the test."""
    if process.poll() is not None:
        return
    descendants = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for child in descendants:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


def sign_in(url: str, email: str, password: str) -> requests.Session:
    """The way a person signs in: the button, the provider's form, back to the dashboard."""
    browser = requests.Session()
    page = browser.get(f"{url}/login", timeout=10).text
    action = re.search(r'<form method="post" action="([^"]+)">\s*<input type="hidden" '
                       r'name="csrf_token" value="([^"]+)">\s*<button[^>]+id="sign-in-microsoft"',
                       page)  # fmt: skip
    assert action, page
    form = browser.post(url + action.group(1), data={"csrf_token": action.group(2)}, timeout=10)
    assert form.status_code == 200 and 'id="email"' in form.text, form.text[:300]
    home = browser.post(form.url, data={"email": email, "password": password}, timeout=10)
    assert home.status_code == 200 and home.url.rstrip("/") == url, home.url
    return browser


def test_the_production_layout_serves_signs_in_syncs_and_stops(
    served, session, tenant, mailbox: Mailbox, c4c, ews, identity: IdentityEmulator
) -> None:
    url, process, log = served
    identity.provider.add_user("microsoft", ADDRESS, "Anna", "anna-pw")
    mailbox.next_sync_at = utcnow() - timedelta(seconds=5)
    session.commit()

    wait_for("gunicorn answering", lambda: _answers(f"{url}/healthz"))
    ready = wait_for("readiness", lambda: _ready(url))
    assert ready == {"database": "ok", "redis": "ok", "workers": "ok", "scheduler": "ok"}

    def synced() -> Run | None:
        session.expire_all()
        return session.scalars(
            select(Run).where(Run.mailbox_id == mailbox.id, Run.outcome != RunOutcome.RUNNING)
        ).first()

    run = wait_for("the scheduled sync", synced)
    assert (run.trigger, run.outcome) == (Trigger.SCHEDULE, RunOutcome.SUCCEEDED)
    assert run.due_at is not None and run.started_at >= run.due_at

    browser = sign_in(url, ADDRESS, "anna-pw")
    status = browser.get(f"{url}/", timeout=10).text
    assert ADDRESS in status and "Sign in" not in status.split("<main", 1)[-1][:200]
    scraped = requests.get(f"{url}/metrics", timeout=10,
                           headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text  # fmt: skip
    assert 'ssi_sync_runs_total{mail_system="EXCHANGE",outcome="SUCCEEDED"} 1.0' in scraped
    session.expire_all()
    scheduled = session.scalars(select(Run).where(Run.due_at.is_not(None))).all()
    assert f'ssi_sync_lag_seconds_count{{mail_system="EXCHANGE"}} {len(scheduled)}.0' in scraped
    assert re.search(r"^ssi_sync_workers 2\.0$", scraped, re.MULTILINE)

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=45) == 0
    log.seek(0)
    output = log.read().decode(errors="replace")
    assert "serve: stopped" in output and "Traceback" not in output
    assert "anna-pw" not in output and METRICS_TOKEN not in output
    assert re.search(r'gunicorn\.access .*"GET /readyz HTTP/1\.1" 200', output)


def _answers(address: str) -> bool:
    try:
        return requests.get(address, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _ready(url: str) -> dict | None:
    answer = requests.get(f"{url}/readyz", timeout=5)
    return answer.json()["checks"] if answer.status_code == 200 else None

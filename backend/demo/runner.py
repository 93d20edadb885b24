"""``flask demo``: the whole product on one machine; ``flask seed``: the demo tenant only.

The demo applies migrations, seeds Contoso, then starts the web server, a worker, the
scheduler and the emulators (C4C, Exchange, Google, Graph, identity provider, mail catcher) as
child processes sharing one Redis (the embedded one unless ``REDIS_URL`` is set), prints where to
look, starts again any child that exits (``supervisor.py``), and stops every child on Ctrl-C.
"""

from __future__ import annotations

import os
import shlex
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from backend.demo import story
from backend.demo.data import (
    C4C_USER,
    CONTOSO_ENTRA_TENANT_ID,
    DEMO_USERS,
    FABRIKAM_C4C_URL,
    FABRIKAM_C4C_USER,
    FABRIKAM_ENTRA_TENANT_ID,
    FABRIKAM_PEOPLE,
    GOOGLE_URL,
    GRAPH_URL,
    DemoUser,
    meet_sap,
    seed_demo,
)
from backend.demo.supervisor import Child, Supervisor, run_until_stopped
from backend.extensions import Resources, resources
from backend.models import Mailbox, Run, User
from backend.models.mailbox import Provider
from backend.models.run import RunOutcome
from backend.presenters import provider_label
from backend.settings import DEMO_ADDON, DEMO_CLIENT, default_database_url
from backend.storage import schema
from backend.storage.db import utcnow
from backend.storage.embedded_redis import stop_embedded_redis

WEB_PORT = 8000


EMULATOR_PORTS = (8101, 8102, 8103, 8104, 8105, 8106, 8125)
SHELL_ENV = "demo.env"
"""The file in the instance folder with the demo's addresses for a shell."""
OUTLOOK = "http://127.0.0.1:8102"
"""The Exchange emulator, which also serves the mail client preview (``/owa/``)."""
IDENTITY = "http://127.0.0.1:8104"
C4C_URL = "http://127.0.0.1:8101"
SYNC_INTERVAL_SECONDS = "60"
"""The demo syncs every minute (production: every five), so its story unfolds in minutes."""
STAGE = story.Stage(
    C4C_URL + "/sap/c4c/odata/v1/c4codataapi/", C4C_USER, OUTLOOK + "/EWS/Exchange.asmx", GOOGLE_URL
)


def emulators(web_port: int = WEB_PORT) -> tuple[Child, ...]:
    """The stand-ins for the customer's systems, seeded with the Contoso scenario."""
    python = sys.executable
    exchange = [u for u in DEMO_USERS if u.provider is Provider.EXCHANGE]
    gmail = [u for u in DEMO_USERS if u.provider is Provider.GMAIL]
    online = [u for u in DEMO_USERS if u.provider is Provider.GRAPH]
    mailboxes = [arg for u in exchange for arg in ("--user", f"{u.email}:{u.server_password}")]
    mailboxes += [arg for u in exchange if u.disabled for arg in ("--disabled", u.email)]
    mailboxes += [arg for u in exchange if u.language
                  for arg in ("--language", f"{u.email}:{u.language}")]  # fmt: skip
    mailboxes += [arg for email, _n, password in FABRIKAM_PEOPLE
                  for arg in ("--user", f"{email}:{password}")]  # fmt: skip
    tokens = [arg for u in gmail for arg in ("--token", f"{u.google_token}:{u.email}")]
    graph_tokens = [arg for u in online for arg in ("--token", f"{u.graph_token}:{u.email}")]
    graph_users = [arg for u in online for arg in ("--user", f"{u.email}:{u.password}")]
    pane = f"http://127.0.0.1:{web_port}/addin/taskpane"
    consents = [arg for u in gmail if u.consent_days
                for arg in ("--consent", f"google:{u.email}:{int(u.consent_days * 86400)}:"
                                         f"{u.google_refresh_token}")]  # fmt: skip

    def trust(realm: str) -> tuple[str, ...]:
        """Tokens from a consent given in the demo come from the identity emulator's realm."""
        return ("--trust-introspection", f"{IDENTITY}/{realm}/introspect",
                "--trust-client", f"{DEMO_CLIENT[0]}:{DEMO_CLIENT[1]}")  # fmt: skip

    c4c_user = f"{C4C_USER[0]}:{C4C_USER[1]}"
    return (
        Child("c4c", (python, "-m", "emulators.c4c", "--port", "8101", "--seed", "contoso",
                      "--user", c4c_user)),
        # Fabrikam's own SAP system, for the company a visitor puts into service.
        Child("c4c-fabrikam", (python, "-m", "emulators.c4c", "--port", "8106",
                               "--seed", "fabrikam",
                               "--user", f"{FABRIKAM_C4C_USER[0]}:{FABRIKAM_C4C_USER[1]}")),
        Child("exchange", (python, "-m", "emulators.ews", "--port", "8102", "--seed", "contoso",
                           "--addin-url", pane, *mailboxes)),
        Child("google", (python, "-m", "emulators.google", "--port", "8103", "--seed", "contoso",
                         "--addon-url", f"http://127.0.0.1:{web_port}",
                         "--addon-service-account", DEMO_ADDON[0],
                         "--addon-client-id", DEMO_ADDON[1], *trust("google"), *tokens)),
        Child("graph", (python, "-m", "emulators.graph", "--port", "8105", "--seed", "contoso",
                        "--addin-url", pane,
                        # After Contoso's administrator consents in the admin panel, Exchange
                        # Online mailboxes sync with app-only tokens of Contoso's directory.
                        "--app", f"{DEMO_CLIENT[0]}:{DEMO_CLIENT[1]}",
                        "--app-tenant", CONTOSO_ENTRA_TENANT_ID,
                        *trust("microsoft/v2.0"), *graph_tokens, *graph_users)),
        Child("identity", (python, "-m", "emulators.identity", "--port", "8104",
                           "--seed", "contoso", *consents,
                           *(arg for host in ("127.0.0.1", "localhost")
                             for arg in ("--app-url", f"http://{host}:{web_port}")))),
        Child("mail", (python, "-m", "emulators.smtp", "--port", "8125")),
    )  # fmt: skip


def services(web_port: int) -> tuple[Child, ...]:
    flask = (sys.executable, "-m", "flask", "--app", "app")
    return (
        Child("web", (*flask, "run", "--host", "127.0.0.1", "--port", str(web_port))),
        Child("worker", (*flask, "worker")),
        Child("scheduler", (*flask, "scheduler")),
    )


@click.command(help="Seed the demo tenant (Contoso) unless it exists.")
@with_appcontext
def seed() -> None:
    found = resources()
    schema.upgrade(found.engine)
    session = found.session_factory()
    try:
        tenant = seed_demo(session, found.cipher)
    finally:
        session.close()
    click.echo(f"tenant {tenant.name} ready with {len(DEMO_USERS)} users")


@click.command(help="Run the whole product locally until Ctrl-C.")
@click.option("--port", default=WEB_PORT, show_default=True, help="Port of the web server.")
@with_appcontext
def demo(port: int) -> None:
    found = resources()
    if found.settings.database_url == default_database_url(found.settings):
        # The emulators keep their data in memory: start the demo's database afresh too.
        schema.downgrade(found.engine, "base")
    schema.upgrade(found.engine)
    session = found.session_factory()
    try:
        # Gina's Google consent is time-limited, as the identity emulator started below knows.
        seed_demo(session, found.cipher, consents=True)
    finally:
        session.close()
    addresses = {
        # The task pane runs inside the emulated Outlooks, which also serve its Office.js.
        "OFFICE_JS_URL": f"{OUTLOOK}/owa/office.js",
        "MAIL_CLIENT_ORIGINS": f"{OUTLOOK},{GRAPH_URL}",
        "GOOGLE_API_BASE": GOOGLE_URL,
        "GRAPH_API_BASE": GRAPH_URL,
        # Olivia's "open in Outlook" links go to the Graph emulator's Outlook on the web.
        "OUTLOOK_WEB_URL": f"{GRAPH_URL}/owa/",
        # App-only tokens (after an administrator's consent) come from the emulated Entra.
        "GRAPH_LOGIN_BASE": GRAPH_URL,
        # The emulated Gmail signs the add-on's ID tokens with the Google emulator's keys.
        "GOOGLE_CERTS_URL": f"{GOOGLE_URL}/oauth2/v1/certs",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SYNC_INTERVAL_SECONDS": SYNC_INTERVAL_SECONDS,
    }
    env = {**addresses, **os.environ, "REDIS_URL": found.redis_url, "FLASK_RUN_FROM_CLI": "true"}
    shell = _write_shell_env(
        found.settings.instance_path, {k: env[k] for k in (*addresses, "REDIS_URL")}
    )
    children = Supervisor(env, lambda line: click.echo(line, err=True))
    children.start(emulators(port))
    _wait_for_ports(EMULATOR_PORTS, children)
    session = found.session_factory()
    try:
        meet_sap(session, seed_demo(session, found.cipher), found.cipher, found.settings)
    finally:
        session.close()
    started = utcnow()
    children.start(services(port))
    _print_welcome(port, found.settings.database_url, found.redis_url, shell)
    stopping = threading.Event()
    threading.Thread(
        target=story.play, args=(STAGE, _synced(found, started), stopping, _say), daemon=True
    ).start()
    try:
        run_until_stopped(children)
    finally:
        stopping.set()
        stop_embedded_redis()
    click.echo("demo: stopped")


def _synced(found: Resources, since: datetime) -> Callable[[str], bool]:
    """Whether a person's mailbox has had a successful run since the demo started (the story's
    scenes wait for it; a configured database may hold runs of an earlier demo)."""

    def synced(email: str) -> bool:
        with found.session_factory() as session:
            return session.scalar(
                select(Run.id).join(Mailbox, Mailbox.id == Run.mailbox_id).join(User)
                .where(User.email == email, Run.outcome == RunOutcome.SUCCEEDED,
                       Run.started_at >= since).limit(1)
            ) is not None  # fmt: skip

    return synced


def _say(line: str) -> None:
    click.echo(line, err=True)


def _wait_for_ports(ports: tuple[int, ...], children: Supervisor) -> None:
    """Wait until every emulator listens, so the first sync finds them."""
    deadline = time.monotonic() + 30
    for port in ports:
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or children.exited():
                children.stop()
                raise click.ClickException(f"an emulator did not start (port {port} in use?)")
            time.sleep(0.2)


def _describe(user: DemoUser) -> str:
    return f"{user.role.lower()}, {provider_label(user.provider)}"


def _write_shell_env(instance_path: Path, values: dict[str, str]) -> Path:
    """Write what the demo's processes are told, for a shell to take before ``flask`` commands
    (``. instance/demo.env``): Gmail and Exchange Online mailboxes sync only against the
    emulators' addresses."""
    path = instance_path / SHELL_ENV
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())
    path.write_text(f"# The addresses `flask demo` gives its processes.\n{lines}")
    return path


def _shown(path: Path) -> str:
    """``path`` relative to the working directory where it is inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _print_welcome(port: int, database_url: str, redis_url: str, shell: Path) -> None:
    base = f"http://127.0.0.1:{port}"
    lines = [
        "",
        "ssi-sync demo is running (Ctrl-C stops everything)",
        f"  dashboard    {base}/  (sign in with Microsoft or Google, as a user below)",
        f"  admin        {base}/admin/  (as the key user)",
        f"  health       {base}/healthz, readiness: {base}/readyz",
        f"  database     {database_url}",
        f"  redis        {redis_url}",
        "  mail sent    http://127.0.0.1:8126/  (SMTP catcher on 127.0.0.1:8125)",
        f'  C4C          {C4C_URL}/sap/c4c/odata/v1/c4codataapi/  (emulated; "Open in SAP" '
        "opens its records)",
        "  Exchange     http://127.0.0.1:8102/EWS/Exchange.asmx  (emulated)",
        f"  Outlook      {OUTLOOK}/owa/  (emulated, with the SAP Sync task pane beside each item)",
        f"  add-in       {base}/addin/manifest.xml  (the manifest for PUBLIC_BASE_URL)",
        f"  Google       {GOOGLE_URL}/gmail/v1/  (emulated Gmail, Calendar, Tasks, People APIs)",
        f"  Gmail        {GOOGLE_URL}/mail/  (emulated, with the SAP Sync add-on beside messages)",
        f"  Graph        {GRAPH_URL}/v1.0/  (emulated Microsoft Graph: Exchange Online mailboxes)",
        f"  Outlook 365  {GRAPH_URL}/owa/  (emulated Outlook on the web of Exchange Online)",
        "  sign-in      http://127.0.0.1:8104/  (emulated Microsoft Entra ID and Google)",
        "  first sync   within 30 s; then `flask --app app issues list` shows the issues",
        f"  shell        . {_shown(shell)}  (the demo's addresses, before `flask` commands)",
        "  tenant       Contoso",
        *(f"  user         {u.email} / {u.password} ({_describe(u)})" for u in DEMO_USERS),
        "  to onboard   Fabrikam (README: Put your company into service): Entra tenant "
        f"{FABRIKAM_ENTRA_TENANT_ID},",
        f"               its C4C {FABRIKAM_C4C_URL} as {FABRIKAM_C4C_USER[0]} / "
        f"{FABRIKAM_C4C_USER[1]}",
        *(f"  person       {email} / {password}" for email, _name, password in FABRIKAM_PEOPLE),
        "",
    ]
    click.echo("\n".join(lines), nl=True)
    sys.stdout.flush()

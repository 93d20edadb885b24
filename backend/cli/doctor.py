"""``flask doctor``: what is wrong with this installation, in plain words.

Checks, in order: the configuration (it loaded, so it is usable; what production would miss),
the database and its migrations, Redis, the workers and the scheduler, the mail server, and
each company's SAP connection with the stored credentials (the Connections page's test, which
reads and writes nothing else). Exits 1 when anything needs fixing, so it can gate a release.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from backend.auth.credentials import c4c_credentials
from backend.extensions import Resources, resources
from backend.models import Tenant
from backend.notify.mailer import MailNotSent, check_mail_server
from backend.storage import schema
from backend.sync.connect import c4c_auth_of
from backend.tenants.connection import test_c4c
from backend.web.health import dependency_problems, job_problems

Report = Callable[[bool, str, str], None]


@click.command(help="Check configuration, database, Redis, jobs, mail and each company's SAP "
               "connection, and say what is wrong in plain words.")  # fmt: skip
@with_appcontext
def doctor() -> None:
    found = resources()
    problems = 0

    def report(ok: bool, what: str, words: str) -> None:
        nonlocal problems
        problems += not ok
        mark = click.style("ok  ", fg="green") if ok else click.style("FIX ", fg="red", bold=True)
        click.echo(f"{mark} {what}: {words}")

    _configuration(found, report)
    reachable = _services(found, report)
    if reachable["database"]:
        _companies(found, report)
    click.echo("")
    if problems:
        click.echo(f"{problems} thing(s) to fix.")
        raise SystemExit(1)
    click.echo("Nothing to fix.")


def _configuration(found: Resources, report: Report) -> None:
    settings = found.settings
    report(True, "configuration", f"{settings.environment}, loaded without errors")
    if not settings.sign_in_providers:
        report(False, "sign-in", "no provider is configured: set MICROSOFT_CLIENT_ID or "
                                 "GOOGLE_CLIENT_ID (with its secret)")  # fmt: skip
    if settings.is_production:
        if not settings.public_base_url.startswith("https://"):
            report(False, "PUBLIC_BASE_URL", "must be https in production")
        if settings.metrics_token is None:
            report(False, "METRICS_TOKEN", "unset: nobody can scrape /metrics")


def _services(found: Resources, report: Report) -> dict[str, bool]:
    problems = dependency_problems(found)
    report(not problems["database"], "database", problems["database"] or "answers")
    reachable = {"database": not problems["database"], "redis": not problems["redis"]}
    if reachable["database"]:
        try:
            current, head = schema.revisions(found.engine)
        except SQLAlchemyError as error:
            report(False, "migrations", f"cannot be read: {str(error).splitlines()[0]}")
        else:
            behind = current != head
            report(not behind, "migrations", f"at {current or 'none'}, newest {head}"
                   + (": run flask db upgrade" if behind else ""))  # fmt: skip
    report(not problems["redis"], "Redis", problems["redis"] or "answers")
    if reachable["redis"]:
        for name, problem in job_problems(found).items():
            report(problem is None, name, problem or "alive")
    try:
        check_mail_server(found.settings)
    except MailNotSent as error:
        settings = found.settings
        report(False, "mail server", f"{settings.smtp_host}:{settings.smtp_port}: {error}")
    else:
        report(True, "mail server", f"{found.settings.smtp_host} answers")
    return reachable


def _companies(found: Resources, report: Report) -> None:
    session = found.session_factory()
    try:
        tenants = session.scalars(select(Tenant).order_by(Tenant.slug)).all()
        if not tenants:
            report(True, "companies", "none yet (flask tenant create)")
        for tenant in tenants:
            what = f"{tenant.slug}: SAP"
            if not tenant.c4c_base_url:
                report(False, what, "not connected yet: a key user enters it in Admin, "
                                    "Connections")  # fmt: skip
                continue
            secret = c4c_credentials(tenant, found.cipher) or {}
            credentials = c4c_auth_of(tenant, tenant.c4c_base_url, tenant.c4c_username or "",
                                      secret, found.settings.dialog_timeouts)  # fmt: skip
            result = test_c4c(tenant, found.settings, url=tenant.c4c_base_url,
                              user=tenant.c4c_username, password=credentials.get("password"),
                              auth=credentials.get("auth"))  # fmt: skip
            failing = [f"{step.name}: {step.words}" for step in result.steps if not step.ok]
            report(result.ok, what, "; ".join(failing) or "works")
            if tenant.c4c_refused_since is not None:
                report(False, f"{tenant.slug}: syncing", "paused since SAP refused the "
                                                         "integration user")  # fmt: skip
    finally:
        session.close()

"""``flask tenant``: create, list and show tenants; name the directories they sign in from.

``tenant create`` puts a company into service: the tenant, its first key user and the
invitation e-mail that brings them in; the key user does the rest in the admin panel.
Secrets (the C4C password) are never taken on the command line: prompted, or read from a file
or standard input. ``directories`` is for a tenant nobody of which can sign in yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask.cli import AppGroup
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.actions.mailbox import OPERATOR
from backend.extensions import resources
from backend.models import Tenant, User
from backend.models.audit import record_audit
from backend.models.tenant import TenantSettings
from backend.models.types import MailSystem
from backend.models.user import Role
from backend.storage.db import utcnow
from backend.tenants import invitations, people
from backend.tenants.onboarding import create_tenant

tenant = AppGroup("tenant", help="Tenants.")

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@contextmanager
def operator_session() -> Iterator[Session]:
    session = resources().session_factory()
    try:
        yield session
    finally:
        session.close()


def tenant_named(session: Session, slug: str) -> Tenant:
    found = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
    if found is None:
        raise click.ClickException(f"no tenant {slug!r}")
    return found


def read_secret(path: str | None, prompt: str) -> str:
    """A secret from a file (``-`` for standard input) or typed at a hidden prompt."""
    if path is None:
        return click.prompt(prompt, hide_input=True)
    with click.open_file(path) as source:
        secret = source.readline().rstrip("\r\n")
    if not secret:
        raise click.ClickException(f"{prompt} file is empty")
    return secret


def send_invitation(session: Session, found: Tenant, user: User) -> None:
    """Invite ``user`` (committed), then e-mail it; a mail server that fails is reported."""
    error = invitations.invite_and_send(
        session, found, user, actor=OPERATOR, settings=resources().settings
    )
    if error is not None:
        click.echo(
            f"The invitation of {user.email} was not sent ({error}); send it again with "
            f"`flask users invite --tenant {found.slug} {user.email}`.",
            err=True,
        )
        return
    click.echo(f"Invitation sent to {user.email}.")


@tenant.command(help="Put a company into service: the tenant and its first key user.")
@click.option("--name", required=True, help="The company's name, as its people read it.")
@click.option("--slug", required=True, help="A short unique name: lower case, digits, dashes.")
@click.option("--mail-system", required=True, type=click.Choice(list(people.MAIL_SYSTEMS)))
@click.option("--ews-url", help="Exchange Server: the EWS address (https://.../EWS/Exchange.asmx).")
@click.option("--exchange-sign-in", type=click.Choice(["basic", "ntlm"]), default="basic",
              help="Exchange Server: how mailboxes sign in (ntlm where Basic is off).")  # fmt: skip
@click.option("--entra-tenant", "entra", multiple=True,
              help="An Entra tenant id its people sign in from (repeatable).")  # fmt: skip
@click.option("--google-domain", "google", multiple=True,
              help="A Workspace domain its people sign in from (repeatable).")  # fmt: skip
@click.option("--email-domain", "domains", multiple=True,
              help="A domain of its people's addresses (repeatable).")  # fmt: skip
@click.option("--key-user", required=True, help="The first key user's e-mail address.")
@click.option("--key-user-name", help="The first key user's name (default: from the address).")
@click.option("--c4c-url", help="The C4C OData service (key users can set it later).")
@click.option("--c4c-user", help="C4C's integration user; its password is asked for.")
@click.option("--c4c-password-file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Read the C4C password from this file (- for standard input).")  # fmt: skip
def create(
    name: str, slug: str, mail_system: str, ews_url: str | None, exchange_sign_in: str,
    entra: tuple[str, ...], google: tuple[str, ...], domains: tuple[str, ...], key_user: str,
    key_user_name: str | None, c4c_url: str | None, c4c_user: str | None,
    c4c_password_file: str | None,
) -> None:  # fmt: skip
    system = people.MAIL_SYSTEMS[mail_system]
    problem = _create_problem(name, slug, system, ews_url, c4c_url, c4c_user)
    if problem:
        raise click.ClickException(problem)
    key = people.person(key_user, key_user_name or _name_of(key_user), "key user")
    if isinstance(key, people.Unfit):
        raise click.ClickException(f"--key-user {key_user}: {key.problem}")
    credentials = None
    if c4c_user:
        credentials = {"password": read_secret(c4c_password_file, "C4C password")}
    try:
        directories = TenantSettings(
            entra_tenant_ids=list(entra), google_domains=list(google),
            email_domains=[*domains, *google, key.email.rsplit("@", 1)[1]],
            exchange_sign_in=exchange_sign_in.upper(),
        )  # fmt: skip
    except ValidationError as error:
        raise click.ClickException(_first_problem(error)) from None
    with operator_session() as session:
        if session.scalars(select(Tenant.id).where(Tenant.slug == slug)).first():
            raise click.ClickException(f"a tenant {slug!r} exists already")
        found = create_tenant(
            session, slug=slug, name=" ".join(name.split()), c4c_base_url=c4c_url,
            mail_system=system, cipher=resources().cipher, c4c_username=c4c_user,
            c4c_credentials=credentials, mail_endpoint=ews_url,
            entra_tenant_ids=directories.entra_tenant_ids,
            google_domains=directories.google_domains,
        )  # fmt: skip
        config = found.config
        config.email_domains = directories.email_domains
        config.exchange_sign_in = directories.exchange_sign_in
        found.config = config
        try:
            (user,) = people.add_people(
                session, found, [(0, key)], actor=OPERATOR, cipher=resources().cipher
            )
        except people.Refused as refused:
            session.rollback()
            raise click.ClickException(str(refused)) from None
        record_audit(session, tenant_id=found.id, actor=OPERATOR, action="tenant.create",
                     target_type="tenant", target_id=str(found.id),
                     details={"slug": slug, "mail_system": str(system)})  # fmt: skip
        click.echo(f"Created tenant {slug} ({found.name}) with key user {user.email}.")
        send_invitation(session, found, user)


def _create_problem(
    name: str, slug: str, system: MailSystem, ews_url: str | None, c4c_url: str | None,
    c4c_user: str | None,
) -> str:  # fmt: skip
    if not SLUG.match(slug):
        return "--slug: 2 to 63 lower-case letters, digits or dashes, not starting with a dash"
    if not name.strip() or len(name) > 200:
        return "--name: the company's name, at most 200 characters"
    if system is MailSystem.EXCHANGE_SERVER and not ews_url:
        return "--ews-url: an Exchange Server tenant needs the address of its EWS"
    for option, url in (("--ews-url", ews_url), ("--c4c-url", c4c_url)):
        if url and not re.match(r"^https?://[^\s/]+(/\S*)?$", url):
            return f"{option}: {url!r} is not an http(s) address"
    if c4c_user and not c4c_url:
        return "--c4c-user: give the C4C address (--c4c-url) too"
    return ""


def _name_of(email: str) -> str:
    return email.split("@", 1)[0].replace(".", " ").replace("_", " ").title()


def _first_problem(error: ValidationError) -> str:
    return error.errors()[0]["msg"].removeprefix("Value error, ")


@tenant.command("list", help="Every tenant: its mail system, people and SAP connection.")
def list_tenants() -> None:
    with operator_session() as session:
        counts = dict(
            session.execute(
                select(User.tenant_id, func.count())
                .where(User.removed_at.is_(None))
                .group_by(User.tenant_id)
            ).all()
        )
        tenants = session.scalars(select(Tenant).order_by(Tenant.slug)).all()
        if not tenants:
            click.echo("No tenants yet: create one with `flask tenant create`.")
        for found in tenants:
            click.echo(
                f"{found.slug:<20} {found.name:<30} {found.mail_system.value:<16} "
                f"{counts.get(found.id, 0):>5} users  SAP: {_sap_state(found)}"
            )


def _sap_state(found: Tenant) -> str:
    if not found.c4c_base_url:
        return "not set up"
    if found.c4c_refused_since is not None:
        return "refused (credentials changed?)"
    return "set up"


def _sap_line(found: Tenant) -> str:
    if not found.c4c_base_url:
        return f"SAP: {_sap_state(found)}"
    secret = "stored" if found.c4c_credentials_encrypted else "not stored"
    who = found.c4c_username or "(token)"
    return f"SAP: {_sap_state(found)} at {found.c4c_base_url} as {who}; secret {secret}"


@tenant.command(help="Everything about the tenant SLUG (never its secrets).")
@click.argument("slug")
def show(slug: str) -> None:
    with operator_session() as session:
        found = tenant_named(session, slug)
        config = found.config
        users = session.scalars(
            select(User).where(User.tenant_id == found.id).order_by(User.email)
        ).all()
        latest = invitations.latest_of(session, [user.id for user in users])
        now = utcnow()
        lines = [
            f"{found.name} ({found.slug})",
            f"Mail system: {found.mail_system.value}"
            + (f" at {found.mail_endpoint}" if found.mail_endpoint else ""),
            f"Microsoft Entra tenant ids: {', '.join(config.entra_tenant_ids) or '(none)'}",
            f"Google Workspace domains: {', '.join(config.google_domains) or '(none)'}",
            f"E-mail domains: {', '.join(config.email_domains) or '(none)'}",
            _sap_line(found),
            f"Users ({sum(1 for user in users if user.removed_at is None)}):",
        ]
        for user in users:
            role = "key user" if user.role is Role.KEY_USER else "user"
            state = invitations.state_of(user, latest.get(user.id), now).value
            if user.removed_at:
                state = "removed"
            employee = f"SAP employee {user.c4c_employee_id}" if user.c4c_employee_id else ""
            lines.append(f"  {user.email:<40} {user.name:<30} {role:<9} {state:<12} {employee}")
        click.echo("\n".join(lines))


@tenant.command(help="Show or set the directories SLUG's people sign in from.")
@click.argument("slug")
@click.option(
    "--entra-tenant-id",
    "entra",
    multiple=True,
    help="A Microsoft Entra tenant id (repeatable); replaces the list.",
)
@click.option("--google-domain", "google", multiple=True,
              help="A Google Workspace domain (repeatable); replaces the list.")  # fmt: skip
def directories(slug: str, entra: tuple[str, ...], google: tuple[str, ...]) -> None:
    session = resources().session_factory()
    try:
        found = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
        if found is None:
            raise click.ClickException(f"no tenant {slug!r}")
        config = found.config
        updates: dict[str, list[str]] = {}
        if entra:
            updates["entra_tenant_ids"] = list(entra)
        if google:
            updates["google_domains"] = list(google)
        if updates:
            old = {"entra_tenant_ids": config.entra_tenant_ids,
                   "google_domains": config.google_domains}  # fmt: skip
            try:
                config = TenantSettings.model_validate({**config.model_dump(), **updates})
            except ValidationError as error:
                problem = error.errors()[0]["msg"].removeprefix("Value error, ")
                raise click.ClickException(problem) from None
            found.config = config
            new = {"entra_tenant_ids": config.entra_tenant_ids,
                   "google_domains": config.google_domains}  # fmt: skip
            record_audit(session, tenant_id=found.id, actor=None, action="tenant.directories",
                         target_type="tenant", target_id=str(found.id),
                         details={"old": old, "new": new})  # fmt: skip
            session.commit()
        click.echo(f"{found.name}: Microsoft Entra tenant ids: "
                   f"{', '.join(config.entra_tenant_ids) or '(none)'}; Google Workspace domains: "
                   f"{', '.join(config.google_domains) or '(none)'}")  # fmt: skip
    finally:
        session.close()

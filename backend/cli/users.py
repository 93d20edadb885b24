"""``flask users``: add, import, invite and remove a tenant's people from scripts.

The same rules as the admin panel (:mod:`backend.tenants.people`): addresses of the tenant's
domains only, each once, never another company's user; an import is applied only when every
line is fine (``--check`` shows the verdicts and changes nothing). Each change is audited as
the operator, and each person added gets an invitation e-mail.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.actions.mailbox import OPERATOR
from backend.cli.tenants import operator_session, send_invitation, tenant_named
from backend.extensions import resources
from backend.models import Tenant, User
from backend.tenants import people

users = AppGroup("users", help="A tenant's people.")

MAX_FILE_BYTES = 2_000_000


def _user_named(session: Session, found: Tenant, email: str) -> User:
    user = session.scalars(
        select(User).where(User.tenant_id == found.id, User.email == email.strip().lower())
    ).one_or_none()
    if user is None:
        raise click.ClickException(f"{email} is not a user of {found.slug}")
    return user


def _add(session: Session, found: Tenant, lines: list, invite: bool) -> None:
    try:
        added = people.add_people(session, found, lines, actor=OPERATOR, cipher=resources().cipher)
    except people.Refused as refused:
        session.rollback()
        for verdict in refused.verdicts:
            if not verdict.fine:
                click.echo(people.said(verdict), err=True)
        raise click.ClickException("nothing was added") from None
    session.commit()
    click.echo(f"Added {len(added)} {'person' if len(added) == 1 else 'people'} to {found.slug}.")
    if invite:
        for user in added:
            send_invitation(session, found, user)


@users.command(help="Add one person to the tenant and invite them.")
@click.option("--tenant", "slug", required=True)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["user", "key-user"]), default="user")
@click.option("--mail-system", type=click.Choice(list(people.MAIL_SYSTEMS)),
              help="Only when it differs from the tenant's.")  # fmt: skip
@click.option("--no-invite", is_flag=True, help="Add without sending the invitation yet.")
def add(slug: str, email: str, name: str, role: str, mail_system: str | None,
        no_invite: bool) -> None:  # fmt: skip
    found_person = people.person(email, name, role, mail_system or "")
    if isinstance(found_person, people.Unfit):
        raise click.ClickException(f"{found_person.email or email}: {found_person.problem}")
    with operator_session() as session:
        _add(session, tenant_named(session, slug), [(0, found_person)], invite=not no_invite)


@users.command("import", help="Add the people of a CSV file (email,name[,role][,mail_system]).")
@click.option("--tenant", "slug", required=True)
@click.option("--check", is_flag=True, help="Show each line's verdict and change nothing.")
@click.option("--no-invite", is_flag=True, help="Add without sending the invitations yet.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_file(slug: str, check: bool, no_invite: bool, file: Path) -> None:
    if file.stat().st_size > MAX_FILE_BYTES:
        raise click.ClickException(f"{file} is larger than {MAX_FILE_BYTES:,} bytes")
    try:
        lines = people.read_csv(file.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text") from None
    except people.Refused as refused:
        raise click.ClickException(str(refused)) from None
    with operator_session() as session:
        found = tenant_named(session, slug)
        if check:
            verdicts = people.check(session, found, lines)
            for verdict in verdicts:
                click.echo(people.said(verdict) if not verdict.fine
                           else f"line {verdict.line}: {verdict.email}: fine")  # fmt: skip
            wrong = sum(1 for verdict in verdicts if not verdict.fine)
            click.echo(f"{len(verdicts)} lines, {wrong} with a problem.")
            return
        _add(session, found, lines, invite=not no_invite)


@users.command(help="Send EMAIL a new invitation (older links stop working).")
@click.option("--tenant", "slug", required=True)
@click.argument("email")
def invite(slug: str, email: str) -> None:
    with operator_session() as session:
        found = tenant_named(session, slug)
        user = _user_named(session, found, email)
        if user.removed_at is not None:
            raise click.ClickException(f"{user.email} was removed; add them again first")
        send_invitation(session, found, user)


@users.command(help="Remove EMAIL: credentials deleted and sessions ended now; issues kept.")
@click.option("--tenant", "slug", required=True)
@click.argument("email")
@click.confirmation_option(prompt="Remove this user and delete their mailbox credentials?")
def remove(slug: str, email: str) -> None:
    with operator_session() as session:
        found = tenant_named(session, slug)
        user = _user_named(session, found, email)
        try:
            people.remove_person(session, found, user, actor=OPERATOR, cipher=resources().cipher)
        except people.Refused as refused:
            raise click.ClickException(str(refused)) from None
        session.commit()
        click.echo(f"Removed {user.email} from {found.slug}.")

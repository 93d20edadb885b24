"""``flask sync`` and ``flask issues``: what an operator runs by hand."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import select

from backend import presenters
from backend.actions import mailbox as mailbox_actions
from backend.extensions import resources
from backend.jobs.single_flight import AlreadyRunning
from backend.jobs.sync import locked_run
from backend.models import Issue, Mailbox, User
from backend.models.mailbox import HealthStatus
from backend.models.run import Trigger
from backend.sync import status

sync = AppGroup("sync", help="Run, relaunch and approve mailbox syncs.")
issues_group = AppGroup("issues", help="Sync issues.")


def _mailbox(session, address: str) -> Mailbox:
    found = session.scalars(select(Mailbox).where(Mailbox.address == address.lower())).first()
    if found is None:
        raise click.ClickException(f"no mailbox {address}")
    return found


@sync.command("run", help="Run one sync of a mailbox now and print its summary.")
@click.option("--mailbox", "address", required=True, help="The mailbox's address.")
def run_now(address: str) -> None:
    found = resources()
    session = found.session_factory()
    try:
        mailbox_id = _mailbox(session, address).id
        with click.progressbar(length=1, label=f"syncing {address.lower()}") as bar:
            run = locked_run(found, session, mailbox_id, Trigger.CLI)
            bar.update(1)
    except AlreadyRunning:
        raise click.ClickException("a worker is syncing this mailbox right now") from None
    except status.TransitionError as error:
        raise click.ClickException(str(error)) from None
    finally:
        session.close()
    if run is None:
        raise click.ClickException(f"no mailbox {address}")
    click.echo(
        f"run {run.id}: {run.outcome} in {run.seconds or 0:.1f} s; read {run.items_read}, "
        f"created {run.created}, updated {run.updated}, deleted {run.deleted}, "
        f"failed {run.failed}; issues opened {run.issues_opened}, resolved "
        f"{run.issues_resolved}; {run.requests} requests"
    )
    if run.read_in_full:
        click.echo(f"read in full (the mail system no longer knew the last run's place): "
                   f"{run.read_in_full}")  # fmt: skip
    if run.error_message:
        click.echo(f"error: {run.error_code}: {run.error_message}")
    if run.error_detail:
        click.echo(f"detail: {run.error_detail}")


@sync.command("relaunch-failed", help="Run every FAILED_UNKNOWN mailbox at the next tick.")
def relaunch_failed() -> None:
    found = resources()
    session = found.session_factory()
    try:
        failed = select(Mailbox).where(Mailbox.status == HealthStatus.FAILED_UNKNOWN)
        count = 0
        for mailbox in session.scalars(failed):
            mailbox_actions.relaunch(session, mailbox, mailbox_actions.OPERATOR)
            count += 1
        session.commit()
    finally:
        session.close()
    click.echo(f"relaunched {count} mailbox(es)")


@sync.command("approve", help="Let a mailbox's held mass change go ahead on its next run.")
@click.option("--mailbox", "address", required=True)
def approve(address: str) -> None:
    found = resources()
    session = found.session_factory()
    try:
        mailbox = _mailbox(session, address)
        mailbox_actions.approve(session, mailbox, mailbox_actions.OPERATOR)
        session.commit()
    except mailbox_actions.ActionRefused as refused:
        raise click.ClickException(f"{address}: {refused}") from None
    finally:
        session.close()
    click.echo(f"approved: the next run of {address} writes the held change")


@issues_group.command("list", help="Open issues, newest first.")
@click.option("--mailbox", "address", default=None)
@click.option("--json", "as_json", is_flag=True, help="Each issue as the issues API gives it.")
def list_issues(address: str | None, as_json: bool) -> None:
    found = resources()
    session = found.session_factory()
    try:
        query = (
            select(Issue, Mailbox.address, User.email, User.name)
            .join(Mailbox, Mailbox.id == Issue.mailbox_id)
            .outerjoin(User, User.id == Issue.user_id)
            .where(Issue.resolved_at.is_(None))
            .order_by(Issue.id.desc())
        )
        if address:
            query = query.where(Issue.mailbox_id == _mailbox(session, address).id)
        rows = session.execute(query).all()
    finally:
        session.close()
    if as_json:
        base = found.settings.public_base_url.rstrip("/")
        documents = [_document(issue, box, email, name, base) for issue, box, email, name in rows]
        click.echo(json.dumps(documents, indent=2))
        return
    for issue, box, _, _ in rows:
        click.echo(
            f"{issue.id:>6}  {box:<28} {issue.code:<12} {issue.item_type or 'MAILBOX':<12}"
            f"{(issue.title or '')[:30]:<30}  x{issue.occurrences}  {issue.action_title}"
        )
    click.echo(f"{len(rows)} open issue(s)")


def _document(
    issue: Issue, address: str, email: str | None, name: str | None, base: str
) -> dict[str, object]:
    """The operator sees every field: nothing is hidden on the server's own command line."""
    owner = {"id": issue.user_id, "email": email, "name": name} if email is not None else None
    return presenters.issue_document(
        issue, mailbox_address=address, owner=owner, hidden=False, base=base
    )

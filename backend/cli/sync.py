"""``flask sync`` and ``flask issues``: what an operator runs by hand."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import select

from backend.extensions import resources
from backend.jobs.single_flight import AlreadyRunning, MailboxLock
from backend.models import Issue, Mailbox
from backend.models.run import Trigger
from backend.storage.db import utcnow
from backend.sync import status
from backend.sync.engine import Engine, approve_mass_change
from backend.sync.runs import execute_run

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
        mailbox = _mailbox(session, address)
        with MailboxLock(found.redis, mailbox.id, found.settings.sync_lock_ttl_seconds):
            engine = Engine(found.cipher, found.settings, found.redis)
            with click.progressbar(length=1, label=f"syncing {mailbox.address}") as bar:
                run = execute_run(
                    session, mailbox, engine, trigger=Trigger.CLI, settings=found.settings
                )
                bar.update(1)
    except AlreadyRunning:
        raise click.ClickException("a worker is syncing this mailbox right now") from None
    except status.TransitionError as error:
        raise click.ClickException(str(error)) from None
    finally:
        session.close()
    click.echo(
        f"run {run.id}: {run.outcome} in {run.seconds or 0:.1f} s; read {run.items_read}, "
        f"created {run.created}, updated {run.updated}, deleted {run.deleted}, "
        f"failed {run.failed}; issues opened {run.issues_opened}, resolved "
        f"{run.issues_resolved}; {run.requests} requests"
    )
    if run.error_message:
        click.echo(f"error: {run.error_code}: {run.error_message}")
    if run.error_detail:
        click.echo(f"detail: {run.error_detail}")


@sync.command("relaunch-failed", help="Run every FAILED_UNKNOWN mailbox at the next tick.")
def relaunch_failed() -> None:
    found = resources()
    session = found.session_factory()
    try:
        now = utcnow()
        count = sum(status.relaunch(mailbox, now) for mailbox in session.scalars(select(Mailbox)))
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
        approve_mass_change(mailbox)
        mailbox.next_sync_at = utcnow()
        session.commit()
    finally:
        session.close()
    click.echo(f"approved: the next run of {address} writes the held change")


@issues_group.command("list", help="Open issues, newest first.")
@click.option("--mailbox", "address", default=None)
@click.option("--json", "as_json", is_flag=True)
def list_issues(address: str | None, as_json: bool) -> None:
    found = resources()
    session = found.session_factory()
    try:
        query = (
            select(Issue, Mailbox.address)
            .join(Mailbox, Mailbox.id == Issue.mailbox_id)
            .where(Issue.resolved_at.is_(None))
            .order_by(Issue.id.desc())
        )
        if address:
            query = query.where(Issue.mailbox_id == _mailbox(session, address).id)
        rows = session.execute(query).all()
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps([_as_dict(issue, box) for issue, box in rows], indent=2))
        return
    for issue, box in rows:
        click.echo(
            f"{issue.id:>6}  {box:<28} {issue.code:<12} {issue.item_type or 'MAILBOX':<12}"
            f"{(issue.title or '')[:30]:<30}  x{issue.occurrences}  {issue.action_title}"
        )
    click.echo(f"{len(rows)} open issue(s)")


def _as_dict(issue: Issue, address: str) -> dict[str, object]:
    return {
        "id": issue.id,
        "mailbox": address,
        "item_type": issue.item_type,
        "mailbox_item_id": issue.mailbox_item_id,
        "c4c_object_id": issue.c4c_object_id,
        "title": issue.title,
        "code": issue.code,
        "source": issue.source,
        "direction": issue.direction,
        "operation": issue.operation,
        "backend_code": issue.backend_code,
        "message": issue.backend_message,
        "http_status": issue.http_status,
        "fields": issue.fields,
        "action": {"title": issue.action_title, "text": issue.action_text},
        "first_seen_at": issue.first_seen_at.isoformat(),
        "last_seen_at": issue.last_seen_at.isoformat(),
        "occurrences": issue.occurrences,
    }

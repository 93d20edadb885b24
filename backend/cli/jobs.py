"""``flask worker`` and ``flask scheduler``: the processes that run and schedule jobs."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from backend.extensions import resources
from backend.jobs import queues
from backend.jobs.runtime import use_app
from backend.jobs.schedule import build_scheduler
from backend.jobs.worker import SyncWorker


@click.command(help="Run jobs from the queues (default: all) until stopped.")
@click.option("--queue", "queue_names", multiple=True, type=click.Choice(queues.ALL))
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
@with_appcontext
def worker(queue_names: tuple[str, ...], burst: bool, name: str | None) -> None:
    use_app(current_app._get_current_object())  # type: ignore[attr-defined]
    connection = resources().redis
    names = queue_names or queues.ALL
    # No job is queued for later (``enqueue_in``, ``Retry``): the periodic jobs come from
    # ``flask scheduler``, so the worker runs no RQ scheduler of its own.
    SyncWorker(list(names), connection=connection, name=name).work(burst=burst)


@click.command(help="Enqueue the periodic jobs (due mailboxes, sweeper, retention) on time.")
@with_appcontext
def scheduler() -> None:
    build_scheduler(resources().redis).start()

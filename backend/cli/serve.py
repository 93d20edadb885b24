"""``flask serve``: the production layout on one machine, for trying it and for smoke tests.

Migrations first, then gunicorn with ``gunicorn.conf.py`` (``WEB_WORKERS`` processes of
``WEB_THREADS`` threads on ``WEB_BIND``), ``--workers`` RQ workers and one scheduler, each
restarted when it exits, all stopped by Ctrl-C or SIGTERM. The database and Redis are the
configured ones (``DATABASE_URL``, ``REDIS_URL``): PostgreSQL and Redis, as in production.
"""

from __future__ import annotations

import os
import socket
import sys

import click
from flask.cli import with_appcontext

from backend.demo.supervisor import Child, Supervisor, run_until_stopped
from backend.extensions import resources
from backend.settings import PROJECT_ROOT
from backend.storage import schema


def processes(workers: int, python: str = sys.executable) -> tuple[Child, ...]:
    """The web server, ``workers`` RQ workers (named after this host) and the scheduler."""
    flask = (python, "-m", "flask", "--app", "app")
    host = socket.gethostname()
    config = str(PROJECT_ROOT / "gunicorn.conf.py")
    return (
        Child("web", (python, "-m", "gunicorn", "-c", config, "app:app")),
        *(Child(f"worker-{n}", (*flask, "worker", "--name", f"{host}.{os.getpid()}.{n}"))
          for n in range(1, workers + 1)),
        Child("scheduler", (*flask, "scheduler")),
    )  # fmt: skip


@click.command(help="Run the production layout here until stopped: migrations, gunicorn, "
               "RQ workers and the scheduler, on the configured database and Redis.")  # fmt: skip
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32),
              help="RQ worker processes.")  # fmt: skip
@with_appcontext
def serve(workers: int) -> None:
    found = resources()
    schema.upgrade(found.engine)
    settings = found.settings
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": found.redis_url}
    children = Supervisor(env, lambda line: click.echo(line, err=True), label="serve")
    children.start(processes(workers))
    click.echo(f"serve: web on http://{settings.web_bind} ({settings.web_workers} gunicorn "
               f"workers of {settings.web_threads} threads), {workers} RQ workers, the "
               "scheduler; Ctrl-C stops them", err=True)  # fmt: skip
    run_until_stopped(children)
    click.echo("serve: stopped", err=True)

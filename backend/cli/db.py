"""``flask db``: apply, undo and author migrations."""

from __future__ import annotations

import click
from alembic import command
from flask.cli import AppGroup

from backend.extensions import resources
from backend.storage import schema

db = AppGroup("db", help="Database migrations (Alembic).")


@db.command(help="Apply migrations up to REVISION (default: the newest).")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    schema.upgrade(resources().engine, revision)
    click.echo(f"database at {revision}")


@db.command(help="Undo migrations down to REVISION (e.g. -1, or base).")
@click.argument("revision")
def downgrade(revision: str) -> None:
    schema.downgrade(resources().engine, revision)
    click.echo(f"database at {revision}")


@db.command(help="Show the revision the database is at.")
def current() -> None:
    command.current(schema.alembic_config(resources().engine), verbose=False)


@db.command(help="Write a new migration from the difference between models and database.")
@click.option("-m", "--message", required=True)
def revision(message: str) -> None:
    command.revision(schema.alembic_config(resources().engine), message=message, autogenerate=True)

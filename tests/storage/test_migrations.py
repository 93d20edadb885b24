"""Migrations apply and undo cleanly, and match the models exactly."""

from __future__ import annotations

import json
import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from backend.storage import schema
from backend.storage.db import Base, make_engine


def test_upgrade_downgrade_upgrade(tmp_path) -> None:
    engine = _scratch_engine(tmp_path)
    schema.upgrade(engine)
    assert "issue" in inspect(engine).get_table_names()
    schema.downgrade(engine, "base")
    assert "issue" not in inspect(engine).get_table_names()
    schema.upgrade(engine)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    assert version == ScriptDirectory.from_config(schema.alembic_config(engine)).get_current_head()
    assert differences == []
    engine.dispose()


def test_a_tenants_google_domain_moves_into_its_sign_in_directories(tmp_path) -> None:
    engine = _scratch_engine(tmp_path)
    schema.upgrade(engine, "0003")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tenant (slug, name, c4c_base_url, c4c_auth, mail_system, "
                "google_domain, settings, created_at) VALUES ('contoso', 'Contoso', 'http://c4c/', "
                "'BASIC', 'GMAIL', ' Contoso.com ', :settings, CURRENT_TIMESTAMP)"
            ),
            {"settings": '{"reminder": "DAILY"}'},
        )
    schema.upgrade(engine)
    with engine.connect() as connection:
        settings = connection.execute(text("SELECT settings FROM tenant")).scalar_one()
    if isinstance(settings, str):
        settings = json.loads(settings)
    assert settings == {"reminder": "DAILY", "google_domains": ["contoso.com"]}
    assert "google_domain" not in {c["name"] for c in inspect(engine).get_columns("tenant")}
    engine.dispose()


def test_flask_db_upgrade_command(runner) -> None:
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at head" in result.output


def _scratch_engine(tmp_path):
    """A database of its own: a SQLite file, or a fresh schema on the PostgreSQL under test."""
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        return make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_check"))
    return make_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1),
        connect_args={"options": "-csearch_path=migration_check"},
    )

"""Migrations apply and undo cleanly, and match the models exactly."""

from __future__ import annotations

import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from backend.storage import schema
from backend.storage.db import Base, make_engine


def test_upgrade_downgrade_upgrade(tmp_path, database_url: str) -> None:
    engine = _scratch_engine(tmp_path, database_url)
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


def test_a_tenants_google_domain_moves_into_its_sign_in_directories(
    tmp_path, database_url: str
) -> None:
    engine = _scratch_engine(tmp_path, database_url)
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
    schema.upgrade(engine, "0005")
    with engine.connect() as connection:
        settings = connection.execute(text("SELECT settings FROM tenant")).scalar_one()
    if isinstance(settings, str):
        settings = json.loads(settings)
    assert settings == {"reminder": "DAILY", "google_domains": ["contoso.com"]}
    assert "google_domain" not in {c["name"] for c in inspect(engine).get_columns("tenant")}
    engine.dispose()


def test_a_tenants_email_domains_are_those_of_the_people_it_has(
    tmp_path, database_url: str
) -> None:
    engine = _scratch_engine(tmp_path, database_url)
    schema.upgrade(engine, "0006")
    with engine.begin() as connection:
        _add_tenant(connection, "contoso", '{"google_domains": ["contoso.org"]}')
        _add_tenant(connection, "empty", "{}")
        for email in ("anna@contoso.test", "ben@Contoso.Test", "eve@sub.contoso.test"):
            _add_user(connection, "contoso", email)
    schema.upgrade(engine)
    with engine.connect() as connection:
        rows = dict(
            connection.execute(text("SELECT slug, settings FROM tenant ORDER BY slug")).all()
        )
    found = {slug: json.loads(v) if isinstance(v, str) else v for slug, v in rows.items()}
    assert found["contoso"]["email_domains"] == ["contoso.org", "contoso.test", "sub.contoso.test"]
    assert found["empty"]["email_domains"] == []
    engine.dispose()


def test_upgrades_that_rebuild_tables_keep_the_rows_that_point_at_them(
    tmp_path, database_url: str
) -> None:
    """SQLite rebuilds a table to alter it; the rebuild must not cascade into its children."""
    engine = _scratch_engine(tmp_path, database_url)
    schema.upgrade(engine, "0004")
    with engine.begin() as connection:
        _add_tenant(connection, "contoso", "{}")
        _add_user(connection, "contoso", "anna@contoso.test")
        connection.execute(
            text(
                "INSERT INTO mailbox (tenant_id, user_id, provider, address, status, "
                "consecutive_failures, created_at) SELECT tenant_id, id, 'EXCHANGE', email, "
                "'ACTIVE', 0, CURRENT_TIMESTAMP FROM user_account"
            )
        )
    schema.upgrade(engine)
    with engine.connect() as connection:
        counts = [
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("tenant", "user_account", "mailbox")
        ]
    assert counts == [1, 1, 1]
    engine.dispose()


def test_the_feeds_of_sets_with_parties_are_read_again_in_full(tmp_path, database_url: str) -> None:
    """Kept accounts and appointments lack their team and parties: the next read takes them
    again in full (their feed starts over, ETags kept); contacts stay as they are."""
    engine = _scratch_engine(tmp_path, database_url)
    schema.upgrade(engine, "0009")
    with engine.begin() as connection:
        _add_tenant(connection, "contoso", "{}")
        for entity_set in ("CorporateAccountCollection", "AppointmentCollection",
                           "ContactCollection"):  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO c4c_feed (tenant_id, entity_set, since, seq) SELECT id, :set, "
                    "CURRENT_TIMESTAMP, 7 FROM tenant"
                ),
                {"set": entity_set},
            )
            connection.execute(
                text(
                    "INSERT INTO c4c_record (tenant_id, entity_set, object_id, seq, etag, "
                    "\"values\") SELECT id, :set, 'A1', 7, 'W/\"x\"', '{}' FROM tenant"
                ),
                {"set": entity_set},
            )
    schema.upgrade(engine)
    with engine.connect() as connection:
        feeds = dict(connection.execute(text("SELECT entity_set, since FROM c4c_feed")).all())
        etags = dict(connection.execute(text("SELECT entity_set, etag FROM c4c_record")).all())
        seqs = set(connection.execute(text("SELECT seq FROM c4c_feed")).scalars())
    assert {name: since is None for name, since in feeds.items()} == {
        "CorporateAccountCollection": True, "AppointmentCollection": True,
        "ContactCollection": False,
    }  # fmt: skip
    assert set(etags.values()) == {'W/"x"'}, "ETags kept: an unchanged record is no change"
    assert seqs == {7}, "the mailboxes' cursors stay valid"
    engine.dispose()


def _add_tenant(connection, slug: str, settings: str) -> None:
    """A tenant row as every revision since the first has it (an Exchange Server tenant)."""
    connection.execute(
        text(
            "INSERT INTO tenant (slug, name, c4c_base_url, c4c_auth, mail_system, settings, "
            "created_at) VALUES (:slug, :slug, 'http://c4c/', 'BASIC', 'EXCHANGE_SERVER', "
            ":settings, CURRENT_TIMESTAMP)"
        ),
        {"slug": slug, "settings": settings},
    )


def _add_user(connection, slug: str, email: str) -> None:
    connection.execute(
        text(
            "INSERT INTO user_account (tenant_id, email, name, role, created_at) "
            "SELECT id, :email, 'x', 'USER', CURRENT_TIMESTAMP FROM tenant WHERE slug = :slug"
        ),
        {"email": email, "slug": slug},
    )


def test_flask_db_upgrade_command(runner) -> None:
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at head" in result.output


def _scratch_engine(tmp_path, url: str):
    """A database of its own: a SQLite file, or a fresh schema on the PostgreSQL under test."""
    if not url.startswith("postgresql"):
        return make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_check"))
    return make_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1),
        connect_args={"options": "-csearch_path=migration_check"},
    )

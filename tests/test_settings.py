"""Settings: typed values, documented defaults, one clear line for a value that cannot be used."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert settings.environment == "development"
    assert settings.database_url == f"sqlite:///{tmp_path / 'ssi-sync.db'}"
    assert settings.redis_url is None
    assert settings.notify_failure_threshold == 10
    assert settings.temporary_failures_before_issue == 5
    assert settings.sync_interval_seconds == 300


COMPUTED = {"instance_path", "database_url", "sign_in_providers", "gmail_addon_service_account",
            "gmail_addon_client_id"}  # fmt: skip
"""Defaults that depend on another setting (the instance folder, development or production)."""


def test_an_empty_environment_gives_the_settings_class_defaults() -> None:
    """Each default is written once, on :class:`Settings`; reading the environment adds none."""
    read = load_settings({})
    for field in dataclasses.fields(Settings):
        if field.name not in COMPUTED:
            assert getattr(read, field.name) == field.default, field.name


def test_every_outgoing_call_is_bounded_by_default() -> None:
    settings = load_settings({})
    assert settings.timeouts.pair == (5, 30), "a few seconds to connect, tens for an answer"
    assert settings.dialog_timeouts.pair == (5, 15), "a person waits less"
    assert (settings.circuit_open_seconds, settings.service_give_up_seconds) == (300, 60)
    assert settings.c4c_reconcile_minutes == 1440, "deletions in C4C are looked for daily"


def test_timeouts_and_the_circuit_are_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "CONNECT_TIMEOUT_SECONDS": "3",
            "READ_TIMEOUT_SECONDS": "20",
            "DIALOG_TIMEOUT_SECONDS": "10",
            "CIRCUIT_OPEN_SECONDS": "120",
            "SERVICE_GIVE_UP_SECONDS": "45",
        }
    )
    assert (settings.timeouts.pair, settings.dialog_timeouts.pair) == ((3, 20), (3, 10))
    assert (settings.circuit_open_seconds, settings.service_give_up_seconds) == (120, 45)


def test_c4c_writes_in_flight_default_to_three_and_one_sends_them_in_turn() -> None:
    assert load_settings({}).c4c_writes_in_flight == 3
    assert load_settings({"C4C_WRITES_IN_FLIGHT": "1"}).c4c_writes_in_flight == 1


def test_postgresql_urls_use_the_psycopg_driver() -> None:
    settings = load_settings({"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test"})
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "nonsense", "is not a database URL"),
        ("DATABASE_URL", "mysql://root@localhost/x", "is not supported"),
        ("REDIS_URL", "http://127.0.0.1:6379", "is not a redis://"),
        ("NOTIFY_FAILURE_THRESHOLD", "ten", "must be a whole number, got 'ten'"),
        ("NOTIFY_FAILURE_THRESHOLD", "0", "must be at least 1"),
        ("SMTP_PORT", "70000", "must be between 1 and 65535"),
        ("SMTP_STARTTLS", "maybe", "must be true or false"),
        ("TOKEN_ENCRYPTION_KEYS", "not-a-key", "key 1 is not a Fernet key"),
        ("PUBLIC_BASE_URL", "ftp://example", "is not an http(s) URL"),
        ("LOG_LEVEL", "LOUD", "must be one of DEBUG, INFO, WARNING, ERROR"),
        ("LOG_FORMAT", "xml", "must be one of text, json"),
        ("C4C_RECONCILE_MINUTES", "-1", "must be at least 0"),
        ("C4C_WRITES_IN_FLIGHT", "0", "must be between 1 and 8"),
        ("C4C_WRITES_IN_FLIGHT", "9", "must be between 1 and 8"),
        ("C4C_BATCH_SIZE", "0", "must be between 1 and 500"),
        ("SSI_ENV", "staging", "must be one of development, production"),
        ("ADDIN_MIN_VERSION", "1.x", "expected a dotted version"),
        ("ADDIN_TOKEN_MINUTES", "2", "must be between 5 and 1440"),
        ("OFFICE_JS_URL", "appsforoffice.microsoft.com/office.js", "is not an http(s) URL"),
        ("MAIL_CLIENT_ORIGINS", "http://a.test/owa", "is not an origin"),
        ("MAIL_CLIENT_ORIGINS", "http://a.test, mail.test", "is not an http(s) URL"),
        ("TRUSTED_PROXIES", "10.0.0.1, lb.internal", "'lb.internal' is not an address"),
        ("MAX_REQUEST_BYTES", "1000", "must be between 65536 and 104857600"),
        ("SESSION_LIFETIME_HOURS", "0", "must be between 1 and 720"),
        ("RATE_LIMIT_REFUSED_PER_MINUTE", "0", "must be at least 1"),
        ("CONNECT_TIMEOUT_SECONDS", "0", "must be between 1 and 60"),
        ("READ_TIMEOUT_SECONDS", "1000", "must be between 5 and 600"),
        ("DIALOG_TIMEOUT_SECONDS", "1", "must be between 2 and 60"),
        ("CIRCUIT_OPEN_SECONDS", "5", "must be at least 10"),
        ("SERVICE_GIVE_UP_SECONDS", "soon", "must be a whole number"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({name: value})
    assert raised.value.name == name
    assert str(raised.value.code).startswith(f"ssi-sync: configuration error: {name} ")
    assert message in str(raised.value.code)


def test_mail_client_origins_are_a_list() -> None:
    found = load_settings({"MAIL_CLIENT_ORIGINS": "http://127.0.0.1:8102, https://owa.test/"})
    assert found.mail_client_origins == ("http://127.0.0.1:8102", "https://owa.test")


def test_trusted_proxies_are_addresses_or_networks() -> None:
    found = load_settings({"TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16,fd00::/8"})
    assert [str(network) for network in found.trusted_proxies] == [
        "10.0.0.1/32", "192.168.0.0/16", "fd00::/8"
    ]  # fmt: skip
    assert load_settings({}).trusted_proxies == (), "nobody's X-Forwarded-For unless told"


def test_production_requires_its_secrets() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"SSI_ENV": "production"})
    assert raised.value.name == "SECRET_KEY"
    assert "must be set when SSI_ENV=production" in str(raised.value.code)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("NOTIFY_FAILURE_THRESHOLD", "ten"),
        ("REDIS_URL", "localhost:6379"),
    ],
)
def test_flask_stops_with_one_line_and_no_traceback(
    variable: str, value: str, tmp_path: Path
) -> None:
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), variable: value}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "routes"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ssi-sync: configuration error: {variable} ")

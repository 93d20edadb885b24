"""``/healthz`` says the process is alive; ``/readyz`` checks the database and Redis."""

from __future__ import annotations

from pathlib import Path

from backend import create_app
from backend.web.health import dependency_problems


def test_healthz(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_when_both_are_reachable(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def _unreachable_app(tmp_path: Path, **extra: object):
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'missing-folder' / 'x.db'}",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            **extra,
        }
    )


def test_readyz_says_what_fails_and_nothing_about_it(tmp_path: Path, caplog) -> None:
    """A public page names no host, port, path or user: only ok or failing."""
    app = _unreachable_app(tmp_path)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "failing", "redis": "failing"},
    }
    text = response.get_data(as_text=True)
    assert "127.0.0.1" not in text and "missing-folder" not in text and "6379" not in text
    assert "unable to open database file" in caplog.text, "the detail goes to the log"


def test_the_system_page_names_the_problem(tmp_path: Path) -> None:
    problems = dependency_problems(_unreachable_app(tmp_path).extensions["ssi"])
    assert "unable to open database file" in (problems["database"] or "")
    assert problems["redis"]

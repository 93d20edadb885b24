"""``/healthz`` says the process is alive; ``/readyz`` checks the database and Redis."""

from __future__ import annotations

from pathlib import Path

from backend import create_app


def test_healthz(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_when_both_are_reachable(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_names_what_is_unreachable(tmp_path: Path) -> None:
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'missing-folder' / 'x.db'}",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert set(body["problems"]) == {"database", "redis"}
    assert "unable to open database file" in body["problems"]["database"]
    assert "127.0.0.1:1" in body["problems"]["redis"] or "refused" in body["problems"]["redis"]

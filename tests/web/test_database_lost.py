"""A lost database connection reads as plain words, on pages and on the APIs (503)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from backend import create_app
from backend.models import User
from backend.web.security import API_PREFIXES
from tests.support import openapi
from tests.support.web import sign_in

SPEC = openapi.load(Path(__file__).parents[2] / "docs" / "openapi.yaml")


@pytest.fixture
def cut_off(tmp_path: Path, redis_url: str) -> Flask:
    """The app with its database gone (a file it cannot open: every query fails)."""
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'ssi.db'}",
            "REDIS_URL": redis_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "TESTING": True,
        }
    )


def _signed_in(app: Flask):
    """A client whose session names a user: the first request must read the database."""
    return sign_in(app, app.test_client(), User(id=1))


def test_a_page_says_the_database_cannot_be_reached(cut_off: Flask) -> None:
    answer = _signed_in(cut_off).get("/")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503
    assert "The service cannot reach its database right now." in page
    assert "OperationalError" not in page and "sqlite3" not in page


def test_an_api_answers_json_with_the_same_words(cut_off: Flask) -> None:
    assert "/api/" in API_PREFIXES
    answer = _signed_in(cut_off).get("/api/v1/issues")
    assert answer.status_code == 503
    openapi.check(SPEC, answer, "/issues", 503)
    assert answer.get_json() == {
        "error": "unavailable",
        "message": "The service cannot reach its database right now. Nothing was changed; "
        "try again in a minute.",
    }

"""``create_app`` takes its settings from the environment or from the mapping it is given."""

from __future__ import annotations

import pytest
from flask import Flask

SECRET = "a-secret-the-operator-gave-" + "x" * 24


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"SECRET_KEY": SECRET, "SESSION_LIFETIME_HOURS": 2}


def test_settings_given_to_create_app_are_the_apps(app: Flask) -> None:
    settings = app.extensions["ssi"].settings
    assert app.config["SECRET_KEY"] == settings.secret_key == SECRET
    assert settings.session_lifetime_hours == 2

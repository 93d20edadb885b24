"""Engine tests: the emulated world of :mod:`tests.fixtures.world`, with the app reaching Anna's
mail system, whichever ``kind`` a test asks for."""

from __future__ import annotations

import logging

import pytest

from tests.support.world import app_config_for


@pytest.fixture(autouse=True, scope="session")
def _quiet_http_log() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture
def app_config(request: pytest.FixtureRequest, kind: str) -> dict[str, object]:
    return app_config_for(request, kind)

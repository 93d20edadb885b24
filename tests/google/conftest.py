"""The Google emulator with one user, Gina, whose access token is ``TOKEN``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from googleapiclient.errors import HttpError

from emulators.google import GoogleEmulator
from tests.support.world import running_google

ADDRESS, TOKEN = "gina@contoso.test", "ya29.gina"


@pytest.fixture
def google() -> Iterator[GoogleEmulator]:
    yield from running_google(ADDRESS, TOKEN)


def reason(error: HttpError) -> tuple[int, str]:
    """The HTTP status and Google's ``reason`` of a refused call."""
    return error.resp.status, error.error_details[0]["reason"]

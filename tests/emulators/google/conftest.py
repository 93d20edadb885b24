"""The Google emulator's own tests: Gina's emulator of :mod:`tests.fixtures.google` as ``google``
(the world's is, elsewhere), and what Google's refusals say."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from emulators.google import GoogleEmulator


@pytest.fixture
def google(google_emulator: GoogleEmulator) -> GoogleEmulator:
    return google_emulator


def reason(error: HttpError) -> tuple[int, str]:
    """The HTTP status and Google's ``reason`` of a refused call."""
    return error.resp.status, error.error_details[0]["reason"]

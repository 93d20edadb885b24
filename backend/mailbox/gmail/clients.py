"""Google's API clients for one mailbox, sharing one authorised connection and one count of
the requests they send.

Clients are built from the discovery documents shipped with the library (no network for
discovery), with ``api_endpoint`` from settings. Credentials are google-auth's, refreshed by
the library; a refused refresh surfaces as ``RefreshError`` for the classifier.
"""

from __future__ import annotations

from typing import Any

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.http import HttpRequest

GMAIL_BATCH = "https://gmail.googleapis.com/batch/gmail/v1"


class _CountedRequest(HttpRequest):
    """googleapiclient's request, counting what it sends (for request budgets and benchmarks)."""

    counter: list[int]

    def execute(self, http: Any = None, num_retries: int = 0) -> Any:
        self.counter[0] += 1
        return super().execute(http=http, num_retries=num_retries)


class GoogleClients:
    """The Gmail, People, Tasks and Calendar clients of one mailbox.

    Args:
        api_base: where Google's APIs are when not at Google (an emulator); None for each
            API's own address from its discovery document.
        credentials: google-auth credentials, with refresh fields in production.
        timeout: seconds any request (token refreshes included) may wait on the network;
            httplib2 has one limit for connecting and reading.
    """

    def __init__(self, api_base: str | None, credentials: Credentials, timeout: float) -> None:
        self.sent = [0]
        self.batch_uri = f"{api_base.rstrip('/')}/batch/gmail/v1" if api_base else GMAIL_BATCH
        counted = type("CountedRequest", (_CountedRequest,), {"counter": self.sent})
        http = AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))

        def client(api: str, version: str, path: str = "") -> Any:
            options = {"api_endpoint": api_base.rstrip("/") + path + "/"} if api_base else None
            return build(
                api,
                version,
                http=http,
                static_discovery=True,
                cache_discovery=False,
                client_options=options,
                requestBuilder=counted,
            )

        self.gmail = client("gmail", "v1").users()
        self.people = client("people", "v1")
        self.tasks = client("tasks", "v1")
        self.events = client("calendar", "v3", "/calendar/v3").events()

    def count_one(self) -> None:
        """Count a request sent outside the clients' own requests (a batch)."""
        self.sent[0] += 1

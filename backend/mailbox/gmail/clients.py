"""Google's API clients for one mailbox: the resources of the Gmail, People, Tasks and Calendar
APIs, and the mailbox's authorised connection and count of the requests it sent.

The resources are built once per process and address (:func:`google_apis`), from the discovery
documents shipped with the library (no network for discovery), with ``api_endpoint`` from
settings: building them (every method's documentation included) took a third of an idle run.
They only make requests; each request is sent on the mailbox's own connection
(:meth:`GoogleClients.run`), so a resource never holds a mailbox's credentials. Credentials are
google-auth's, refreshed by the library; a refused refresh surfaces as ``RefreshError`` for the
classifier.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import Resource, build
from googleapiclient.http import BatchHttpRequest, HttpRequest

GMAIL_BATCH = "https://gmail.googleapis.com/batch/gmail/v1"


@dataclass(frozen=True)
class GoogleApis:
    """The API resources the Gmail provider uses (requests are made from them, never sent)."""

    gmail: Resource
    """Gmail's ``users``."""
    labels: Resource
    history: Resource
    messages: Resource
    persons: Resource
    """People's ``people``."""
    connections: Resource
    contact_groups: Resource
    group_members: Resource
    tasklists: Resource
    tasks: Resource
    events: Resource


class _Unsent(httplib2.Http):
    """The connection of the shared resources: every request is given the mailbox's own one
    before it is sent, so this one refuses to send anything."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a Google request was sent without the mailbox's connection")


@functools.lru_cache(maxsize=8)
def google_apis(api_base: str | None) -> GoogleApis:
    """The resources for Google's APIs at ``api_base`` (None: Google's own addresses)."""

    def client(api: str, version: str, path: str = "") -> Any:
        options = {"api_endpoint": api_base.rstrip("/") + path + "/"} if api_base else None
        return build(
            api, version, http=_Unsent(), static_discovery=True, cache_discovery=False,
            client_options=options,
        )  # fmt: skip

    gmail, people = client("gmail", "v1").users(), client("people", "v1")
    tasks, groups = client("tasks", "v1"), people.contactGroups()
    return GoogleApis(
        gmail=gmail, labels=gmail.labels(), history=gmail.history(), messages=gmail.messages(),
        persons=people.people(), connections=people.people().connections(),
        contact_groups=groups, group_members=groups.members(), tasklists=tasks.tasklists(),
        tasks=tasks.tasks(), events=client("calendar", "v3", "/calendar/v3").events(),
    )  # fmt: skip


class GoogleClients:
    """Google's APIs as one mailbox uses them.

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
        self.http = AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
        self.api = google_apis(api_base)

    def bind(self, request: HttpRequest) -> HttpRequest:
        """``request`` on this mailbox's connection (a part of a batch, which is sent later)."""
        request.http = self.http
        return request

    def run(self, request: HttpRequest) -> Any:
        """Send ``request`` on this mailbox's connection, counted; its answer."""
        self.sent[0] += 1
        return self.bind(request).execute()

    def run_batch(self, batch: BatchHttpRequest) -> None:
        """Send a batch (its parts bound with :meth:`bind`), counted as one request."""
        self.sent[0] += 1
        batch.execute(http=self.http)

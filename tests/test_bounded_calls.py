"""Every outgoing call is bounded by the settings' timeouts: against a server that takes the
request in and never answers, each client the product opens gives up within its limit."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from backend.models import Mailbox, Tenant
from backend.models.mailbox import Provider
from backend.models.types import ItemType
from backend.notify.mailer import MailNotSent, send_mail
from backend.outbound import NoAnswer, Timeouts, no_answer
from backend.settings import Settings, load_settings
from backend.sync import connect
from emulators.base import Emulator, Fault
from emulators.ews import EwsEmulator
from emulators.google import GoogleEmulator
from emulators.graph import GraphEmulator

ADDRESS, TOKEN, PASSWORD = "anna@contoso.test", "ya29.anna-token", "anna-pass"
LIMIT = 0.4


def _limits(**overrides: object) -> Settings:
    return dataclasses.replace(
        load_settings({}), connect_timeout_seconds=LIMIT, read_timeout_seconds=LIMIT, **overrides
    )


def _given_up(call: Callable[[], object]) -> tuple[float, BaseException]:
    started = time.monotonic()
    with pytest.raises(Exception) as raised:
        call()
    return time.monotonic() - started, raised.value


def _hang(emulator: Emulator) -> None:
    emulator.faults.add(Fault(hang=True, times=10**6))


@pytest.fixture
def ews() -> Iterator[EwsEmulator]:
    with EwsEmulator() as emulator:
        emulator.store.add_mailbox(ADDRESS, PASSWORD)
        yield emulator


@pytest.fixture
def graph() -> Iterator[GraphEmulator]:
    emulator = GraphEmulator()
    emulator.add_mailbox(ADDRESS, TOKEN)
    with emulator:
        yield emulator


@pytest.fixture
def google() -> Iterator[GoogleEmulator]:
    emulator = GoogleEmulator()
    emulator.add_mailbox(ADDRESS, TOKEN)
    with emulator:
        yield emulator


def _provider(kind: Provider, endpoint: str | None, credentials: dict, settings: Settings):
    tenant = Tenant(slug="contoso", name="Contoso", mail_endpoint=endpoint, c4c_base_url="")
    mailbox = Mailbox(provider=kind, address=ADDRESS)
    return connect.provider_with(tenant, mailbox, credentials, settings)


def test_the_exchange_provider_gives_up_on_a_silent_server(ews: EwsEmulator) -> None:
    provider = _provider(Provider.EXCHANGE, ews.endpoint,
                         {"username": ADDRESS, "password": PASSWORD}, _limits())  # fmt: skip
    _hang(ews)
    waited, error = _given_up(lambda: provider.changes(ItemType.CONTACT, None))
    assert waited < 4 * LIMIT and no_answer(error) is NoAnswer.TIMED_OUT


def test_the_graph_provider_gives_up_on_a_silent_server(graph: GraphEmulator) -> None:
    settings = _limits(graph_api_base=graph.url)
    provider = _provider(Provider.GRAPH, None, {"access_token": TOKEN}, settings)
    _hang(graph)
    waited, error = _given_up(lambda: provider.changes(ItemType.CONTACT, None))
    assert waited < 4 * LIMIT and no_answer(error) is NoAnswer.TIMED_OUT


def test_the_gmail_provider_gives_up_on_a_silent_server(google: GoogleEmulator) -> None:
    settings = _limits(google_api_base=google.url)
    provider = _provider(Provider.GMAIL, None, {"access_token": TOKEN}, settings)
    _hang(google)
    waited, error = _given_up(lambda: provider.changes(ItemType.CONTACT, None))
    assert waited < 4 * LIMIT and no_answer(error) is NoAnswer.TIMED_OUT


def test_the_token_endpoint_discovery_gives_up_on_a_silent_server(graph: GraphEmulator) -> None:
    _hang(graph)
    url = f"{graph.url}/common/v2.0/.well-known/openid-configuration"
    waited, error = _given_up(lambda: connect.token_endpoint_of(url, Timeouts(LIMIT, LIMIT)))
    assert waited < 4 * LIMIT and no_answer(error) is NoAnswer.TIMED_OUT


@pytest.fixture
def silent_smtp() -> Iterator[int]:
    """A server that accepts SMTP connections and never greets."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_smtp_gives_up_on_a_server_that_never_greets(silent_smtp: int) -> None:
    settings = _limits(smtp_host="127.0.0.1", smtp_port=silent_smtp)
    waited, error = _given_up(lambda: send_mail(settings, ["kim@contoso.test"], "Hi", "Body"))
    assert isinstance(error, MailNotSent)
    assert waited < 4 * LIMIT

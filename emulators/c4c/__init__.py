"""An emulated SAP Cloud for Customer OData V2 service (``c4codataapi``) for tests and the demo.

``create_emulator()`` returns an :class:`emulators.base.Emulator` (request log, fault injection)
whose ``service`` attribute gives tests direct access to the data and the security settings.
It also answers the C4C web client's deep links with a page for the object (``ui.py``).
"""

from __future__ import annotations

from emulators.base import Emulator, LoggedRequest
from emulators.c4c import oauth
from emulators.c4c.app import BASE_PATH, Service, create_app
from emulators.c4c.batch import Answer, Operation
from emulators.c4c.security import Security
from emulators.c4c.store import Store
from emulators.c4c.ui import install

__all__ = ["BASE_PATH", "C4CEmulator", "create_emulator"]


class C4CEmulator(Emulator):
    """An :class:`Emulator` serving one C4C tenant; ``service`` holds its data and users."""

    def __init__(self, service: Service) -> None:
        app = create_app(service)
        install(app, service)
        oauth.install(app, service.security.oauth)
        super().__init__(app)
        self.service = service
        service.refuse_inside = self._refused_inside

    def _refused_inside(self, operation: Operation) -> Answer | None:
        """A planned fault's answer for one operation of a ``$batch`` (its path as a request
        would have it: the service root's path, then the resource without its query)."""
        path = BASE_PATH + operation.resource.partition("?")[0]
        fault = self.faults.take(operation.method, path, operation.body, inside_batch=True)
        if fault is None or fault.status is None:  # (a fault inside a batch always has one)
            return None
        headers = {name.title(): value for name, value in operation.headers.items()}
        body = operation.body if self.log_bodies else b""
        query = operation.resource.partition("?")[2]
        self.log.append(
            LoggedRequest(operation.method, path, query, fault.status, headers, body, fault=True)
        )
        return Answer(fault.status, {"Content-Type": fault.content_type, **fault.headers},
                      fault.body.encode())  # fmt: skip

    @property
    def base_url(self) -> str:
        """The service root clients are configured with (ends with ``/``)."""
        return self.url + BASE_PATH


def create_emulator(
    users: dict[str, str] | None = None,
    bearer_tokens: set[str] | None = None,
    *,
    csrf_lifetime: float = 1800.0,
    page_size: int = 1000,
) -> C4CEmulator:
    """A C4C emulator with an empty store.

    Args:
        users: Basic-auth users (name to password).
        bearer_tokens: accepted OAuth access tokens.
        csrf_lifetime: seconds a CSRF token lives.
        page_size: server page size (C4C uses 1000).

    Returns:
        The emulator, not yet started.
    """
    security = Security(users or {}, bearer_tokens or set(), csrf_lifetime)
    return C4CEmulator(Service(Store(), security, page_size))

"""Opening both sides of an item for one dialog request, and naming their failures for people.

A dialog request waits for a person, so its calls wait at most ``DIALOG_TIMEOUT_SECONDS`` for an
answer and retry briefly (not the minutes a background run may wait): a C4C (or Exchange
server) that does not answer is given up at the first timeout, which opens the tenant's circuit
as a run would, and while that circuit is open the dialog answers at once that the service is
not reachable, keeping what the person typed. A save waits only a few seconds for a running
sync of the mailbox to end.
Definitions from ``$metadata`` are cached per tenant for the whole process.
Every failure is classified with the engine's classifiers and turned into a
:class:`~backend.savedialog.errors.SaveDialogError` whose message says what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TypeVar

from backend.crm.c4c import C4CClient
from backend.crm.metadata import EntityDefinition, MetadataCache
from backend.crm.transport import RetryPolicy
from backend.extensions import Resources
from backend.jobs.single_flight import AlreadyRunning, MailboxLock
from backend.mailbox.base import ItemRecord, MailboxProvider
from backend.models import Mailbox, Tenant
from backend.models.types import IssueCode, ItemType
from backend.savedialog import errors
from backend.savedialog.errors import DialogErrorCode, SaveDialogError
from backend.sync import connect
from backend.sync.backoff import Backoff, RetryingProvider
from backend.sync.circuit import Circuit
from backend.sync.errors import Classification, SyncError
from backend.sync.service_guard import ServiceGuard
from backend.sync.services import C4C, MAIL, Service

T = TypeVar("T")

INTERACTIVE_RETRY = RetryPolicy(attempts=2, base_delay=0.25, max_delay=2.0)
DEFINITIONS = MetadataCache()
"""Entity definitions per tenant and language, shared by every request of this process."""
LOCK_WAIT_SECONDS = 5.0


def unavailable(message: str) -> SaveDialogError:
    return SaveDialogError(message, DialogErrorCode.UNAVAILABLE)


def c4c_failure(found: Classification) -> SaveDialogError:
    """The dialog error for a C4C failure that leaves nothing to fix in the form."""
    if found.is_mailbox_level:
        return unavailable(errors.C4C_SIGN_IN)
    return unavailable(errors.C4C_UNAVAILABLE)


def mailbox_failure(found: Classification) -> SaveDialogError:
    """The dialog error for a mailbox failure (gone, sign-in, unreachable)."""
    if found.code is IssueCode.NOT_FOUND:
        return SaveDialogError(errors.GONE, DialogErrorCode.GONE)
    if found.code is IssueCode.AUTH:
        return unavailable(errors.MAILBOX_SIGN_IN)
    return unavailable(errors.MAILBOX_UNAVAILABLE)


def on_c4c(call: Callable[[], T]) -> T:
    """``call()``, a C4C failure raised as a :class:`SaveDialogError`."""
    try:
        return call()
    except Exception as error:
        raise c4c_failure(connect.classify_c4c(error)) from error


def _guard(tenant: Tenant, resources: Resources, service: Service) -> ServiceGuard:
    """A guard that gives ``service`` one timeout, and respects the tenant's circuit for it."""
    settings = resources.settings
    circuit = None
    if service.shared:
        circuit = Circuit(resources.redis, tenant.id, service.key, settings.circuit_open_seconds)
    limits = settings.dialog_timeouts
    return ServiceGuard(service, circuit, limits, give_up_seconds=limits.read)


def c4c_client(tenant: Tenant, resources: Resources) -> C4CClient:
    """The tenant's C4C client, with waits and retries short enough for a person waiting."""
    return connect.c4c_client(
        tenant,
        resources.cipher,
        resources.settings.dialog_timeouts,
        retry=INTERACTIVE_RETRY,
        guard=_guard(tenant, resources, C4C),
    )


def definition(
    tenant: Tenant, client: C4CClient, entity_set: str, language: str
) -> EntityDefinition:
    """The C4C definition of ``entity_set`` (labels in ``language``), from the cache.

    Raises:
        SaveDialogError: ``UNAVAILABLE`` when ``$metadata`` cannot be read.
    """
    key = f"{tenant.id}:{tenant.c4c_base_url}"
    found = on_c4c(lambda: DEFINITIONS.definitions(key, client, language))
    return found[entity_set]


def mailbox_provider(tenant: Tenant, mailbox: Mailbox, resources: Resources) -> MailboxProvider:
    """The mailbox's provider.

    Raises:
        SaveDialogError: ``UNAVAILABLE`` without credentials or for a mail system this version
            cannot reach.
    """
    settings = resources.settings
    waiting = replace(settings, read_timeout_seconds=settings.dialog_timeout_seconds)
    try:
        provider = connect.mailbox_provider(tenant, mailbox, resources.cipher, waiting)
    except SyncError as error:
        if error.code is IssueCode.AUTH:
            raise unavailable(errors.MAILBOX_SIGN_IN) from error
        raise unavailable(errors.MAILBOX_UNAVAILABLE) from error
    return RetryingProvider(  # type: ignore[return-value]
        provider,
        lambda error: connect.classify_mailbox_error(mailbox, error, settings.dialog_timeouts),
        backoff=Backoff(attempts=1),
        guard=_guard(tenant, resources, MAIL[mailbox.provider]),
    )


def read_record(
    provider: MailboxProvider, mailbox: Mailbox, item_type: ItemType, item_id: str
) -> ItemRecord:
    """The mailbox item as it is now.

    Raises:
        SaveDialogError: ``GONE`` when it was deleted, ``UNAVAILABLE`` when the mailbox
            cannot be read.
    """
    try:
        return provider.get(item_type, item_id)
    except Exception as error:
        raise mailbox_failure(connect.classify_mailbox_error(mailbox, error)) from error


@contextmanager
def mailbox_lock(resources: Resources, mailbox_id: int) -> Iterator[None]:
    """Hold the mailbox's sync lock, so no run writes the same item meanwhile.

    Raises:
        SaveDialogError: ``UNAVAILABLE`` when a run still holds it after a few seconds.
    """
    lock = MailboxLock(
        resources.redis, mailbox_id, resources.settings.sync_lock_ttl_seconds, LOCK_WAIT_SECONDS
    )
    try:
        lock.__enter__()
    except AlreadyRunning:
        raise unavailable(errors.SYNC_RUNNING) from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)

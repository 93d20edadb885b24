"""Failures on the wire reach the classifier as the right taxonomy code, never AUTH by accident."""

from __future__ import annotations

import pytest

from backend.mailbox.ews.credentials import BasicAuth, BearerToken, Impersonation
from backend.mailbox.ews.provider import ExchangeProvider
from backend.models.types import IssueCode, ItemType
from backend.sync.classifiers.ews import classify_ews_error
from backend.sync.errors import Classification
from emulators.base import Fault
from emulators.ews import EwsEmulator, Mailbox, server_busy_fault
from emulators.ews.seed import add_contact
from tests.fixtures.ews import ADDRESS, PASSWORD


def _classified(call) -> Classification:
    with pytest.raises(Exception) as caught:
        call()
    return classify_ews_error(caught.value)


def test_server_busy_back_off_reaches_the_classification_and_a_retry_succeeds(
    provider: ExchangeProvider, ews: EwsEmulator, mailbox: Mailbox
) -> None:
    add_contact(mailbox, "Ada", "Lovelace")
    ews.log.clear()
    ews.faults.add(server_busy_fault(1500))
    result = _classified(lambda: provider.changes(ItemType.CONTACT, None))
    assert result.code is IssueCode.TEMPORARY
    assert result.backend_code == "ErrorServerBusy" and result.retry_after == 1.5
    assert ews.log.count() == 1  # FailFast: exchangelib did not sleep and retry by itself
    assert len(provider.changes(ItemType.CONTACT, None).upserted) == 1


def test_wrong_password_is_auth(make_provider) -> None:
    result = _classified(lambda: make_provider(BasicAuth(ADDRESS, "wrong")).activate())
    assert result.code is IssueCode.AUTH and result.http_status == 401


def test_a_401_from_the_server_is_auth(provider: ExchangeProvider, ews: EwsEmulator) -> None:
    ews.faults.add(Fault(path="/EWS/", status=401, body="Unauthorized", content_type="text/plain"))
    assert _classified(lambda: provider.changes(ItemType.TASK, None)).code is IssueCode.AUTH


@pytest.mark.parametrize(
    "fault",
    [
        Fault(path="/EWS/", drop=True),
        Fault(path="/EWS/", status=503, body="Service Unavailable", content_type="text/plain"),
        Fault(path="/EWS/", status=500, body="<html>oops</html>", content_type="text/html"),
        Fault(path="/EWS/", delay=1.5),
    ],
    ids=["dropped", "503", "500-html", "slow"],
)
def test_network_and_server_trouble_is_temporary_never_auth(
    make_provider, ews: EwsEmulator, fault: Fault
) -> None:
    provider = make_provider(timeout=0.5)
    provider.activate()
    ews.faults.add(fault)
    result = _classified(lambda: provider.changes(ItemType.CONTACT, None))
    assert result.code is IssueCode.TEMPORARY
    ews.faults.clear()


def test_missing_item_is_not_found(provider: ExchangeProvider, mailbox: Mailbox) -> None:
    item = add_contact(mailbox, "Ada", "Lovelace")
    mailbox.remove_item(item)
    result = _classified(lambda: provider.get(ItemType.CONTACT, item.id))
    assert result.code is IssueCode.NOT_FOUND and result.backend_code == "ErrorItemNotFound"


def test_disabled_mailbox_is_account_disabled(make_provider, mailbox: Mailbox) -> None:
    mailbox.disabled = True
    result = _classified(lambda: make_provider().activate())
    assert result.code is IssueCode.ACCOUNT_DISABLED


def test_bearer_token(make_provider, mailbox: Mailbox, monkeypatch) -> None:
    # The emulator speaks plain http; requests-oauthlib insists on https unless told otherwise.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    revoked: list[str] = []
    provider = make_provider(BearerToken("token-anna"), revoke_token=revoked.append)
    add_contact(mailbox, "Ada", "Lovelace")
    assert len(provider.changes(ItemType.CONTACT, None).upserted) == 1
    provider.revoke()
    assert revoked == ["token-anna"]

    stranger = make_provider(BearerToken("stolen"))
    assert _classified(lambda: stranger.changes(ItemType.CONTACT, None)).code is IssueCode.AUTH


def test_impersonation(make_provider, ews: EwsEmulator, mailbox: Mailbox) -> None:
    ews.store.add_service_account("svc-sync@example.com", "svc-pw")
    add_contact(mailbox, "Ada", "Lovelace")
    service = Impersonation(BasicAuth("svc-sync@example.com", "svc-pw"))
    assert len(make_provider(service).changes(ItemType.CONTACT, None).upserted) == 1

    gone = make_provider(service, address="left@example.com")
    result = _classified(lambda: gone.changes(ItemType.CONTACT, None))
    assert result.code is IssueCode.ACCOUNT_DISABLED

    ews.store.add_mailbox("bob@example.com", "bob-pw")
    not_allowed = make_provider(Impersonation(BasicAuth("bob@example.com", "bob-pw")))
    assert _classified(lambda: not_allowed.activate()).code is IssueCode.AUTH


def test_basic_revoke_only_closes(provider: ExchangeProvider, mailbox: Mailbox) -> None:
    provider.revoke()
    assert mailbox.password == PASSWORD

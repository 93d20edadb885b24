"""The EWS emulator is strict: wrong requests get the errors real Exchange gives."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from exchangelib import Contact, EWSDateTime
from exchangelib.errors import (
    ErrorInvalidIdMalformed,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
)

from emulators.ews import EwsEmulator, Mailbox
from emulators.ews.seed import add_contact, add_task
from tests.fixtures.ews import ADDRESS, PASSWORD

ENVELOPE = (
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
    'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">'
    "<s:Body>{}</s:Body></s:Envelope>"
)


def _post(ews: EwsEmulator, body: str, auth: tuple[str, str] = (ADDRESS, PASSWORD)):
    return requests.post(ews.endpoint, data=body.encode(), auth=auth, timeout=5)


def test_unauthenticated_requests_get_401(ews: EwsEmulator, mailbox: Mailbox) -> None:
    assert _post(ews, ENVELOPE.format("<m:GetFolder/>"), auth=(ADDRESS, "nope")).status_code == 401
    assert requests.post(ews.endpoint, data=b"", timeout=5).status_code == 401


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not xml at all", "ErrorSchemaValidation"),
        ("<x/>", "ErrorSchemaValidation"),
        (ENVELOPE.format("<m:ExportItems/>"), "ErrorInvalidRequest"),
        (ENVELOPE.format('<m:FindItem Traversal="Sideways"/>'), "ErrorSchemaValidation"),
    ],
)
def test_malformed_or_unknown_requests_are_soap_faults(
    ews: EwsEmulator, mailbox: Mailbox, body: str, code: str
) -> None:
    answer = _post(ews, body)
    assert answer.status_code == 500
    assert (
        f'<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{code}'
        in answer.text
    )


def test_stale_change_key_and_bad_ids(account, mailbox: Mailbox) -> None:
    item = add_contact(mailbox, "Ada", "Lovelace")
    stale = Contact(account=account, id=item.id, changekey="Q0tTVlJOaFox", job_title="CEO")
    old_key = item.change_key
    mailbox.changed(item)
    stale.changekey = old_key
    with pytest.raises(ErrorIrresolvableConflict):
        stale.save(update_fields=["job_title"], conflict_resolution="NeverOverwrite")
    ok = Contact(account=account, id=item.id, changekey=item.change_key, job_title="CEO")
    ok.save(update_fields=["job_title"], conflict_resolution="NeverOverwrite")
    assert ok.changekey == item.change_key and item.texts("JobTitle") == ["CEO"]

    results = list(
        account.fetch(ids=[("not base64!", None), ("SVRNAAAAAAAAAAAAAAAAAAAAAA==", None)])
    )
    assert isinstance(results[0], ErrorInvalidIdMalformed)
    assert isinstance(results[1], ErrorItemNotFound)


def test_change_key_bumps_on_every_change(account, mailbox: Mailbox) -> None:
    item = add_contact(mailbox, "Ada", "Lovelace")
    keys = {item.change_key}
    contact = next(account.fetch(ids=[(item.id, None)]))
    for title in ("CTO", "CEO"):
        contact.job_title = title
        contact.save(update_fields=["job_title"])
        keys.add(contact.changekey)
    assert len(keys) == 3 and item.change_key == contact.changekey


def test_find_item_restrictions_and_paging(account, mailbox: Mailbox) -> None:
    for n in range(150):
        add_task(mailbox, f"Task {n}", categories=["SAP"] if n % 3 == 0 else ["Other"])
    tagged = account.tasks.filter(categories__contains=["SAP"])
    assert tagged.count() == 50
    assert len(list(account.tasks.all().only("subject"))) == 150  # 2 pages of 100
    since = EWSDateTime.now(tz=account.default_timezone) - timedelta(minutes=5)
    assert account.tasks.filter(last_modified_time__gte=since).count() == 150
    assert account.tasks.filter(last_modified_time__lt=since).count() == 0


def test_calendar_view(provider, account) -> None:
    from backend.mailbox.base import AppointmentRecord
    from backend.models.types import ItemType

    start = EWSDateTime(2026, 12, 1, 9, tzinfo=account.default_timezone)
    for day in range(3):
        provider.create(
            ItemType.APPOINTMENT,
            AppointmentRecord(
                subject=f"Day {day}",
                start=start + timedelta(days=day),
                end=start + timedelta(days=day, hours=1),
            ),
        )
    seen = account.calendar.view(start=start + timedelta(hours=12), end=start + timedelta(days=5))
    assert sorted(i.subject for i in seen) == ["Day 1", "Day 2"]


def test_request_log_counts_operations(ews: EwsEmulator, account, mailbox: Mailbox) -> None:
    add_contact(mailbox, "Ada", "Lovelace")
    ews.log.clear()
    list(account.contacts.children)
    assert ews.log.count("POST", r"/EWS/Exchange\.asmx") >= 1
    assert all(e.status == 200 for e in ews.log.entries())

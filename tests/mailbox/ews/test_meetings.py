"""Who organises a meeting, as Exchange says it (``t:Organizer``), through the Exchange provider
and the appointment mapping: the owner's own appointments, and meetings others organise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.mailbox.base import AppointmentRecord
from backend.mailbox.ews.provider import ExchangeProvider
from backend.models.types import ItemType
from backend.sync.mapping.appointments import to_record
from emulators.ews import Mailbox
from emulators.ews.seed import add_meeting
from emulators.ews.soap import t
from tests.fixtures.ews import ADDRESS

START = datetime(2026, 12, 1, 9, tzinfo=UTC)
GINA = ("Gina Miller", "gina@example.com")


def _organizer(mailbox: Mailbox, item_id: str) -> str | None:
    organizer = mailbox.items[item_id].fields["Organizer"]
    return organizer.findtext(f"{t('Mailbox')}/{t('EmailAddress')}")


def test_the_provider_reads_who_organises_each_meeting(
    provider: ExchangeProvider, mailbox: Mailbox
) -> None:
    own = provider.create(
        ItemType.APPOINTMENT,
        AppointmentRecord(subject="Plan", start=START, end=START + timedelta(hours=1),
                          attendees=("ben@example.com",)),
    )  # fmt: skip
    invited = add_meeting(mailbox, "Kick-off", START, GINA, categories=["SAP"])
    records = {r.subject: r for r in provider.changes(ItemType.APPOINTMENT, None).upserted}
    assert records["Plan"].organizer == ADDRESS
    assert records["Kick-off"].organizer == GINA[1]
    assert ADDRESS in records["Kick-off"].attendees
    assert provider.get(ItemType.APPOINTMENT, own.id).organizer == ADDRESS
    assert provider.get(ItemType.APPOINTMENT, invited.id).organizer == GINA[1]


def test_a_change_from_sap_to_someone_elses_meeting_keeps_its_organiser_and_tells_no_one(
    provider: ExchangeProvider, mailbox: Mailbox
) -> None:
    invited = add_meeting(mailbox, "Kick-off", START, GINA, categories=["SAP"])
    base = provider.get(ItemType.APPOINTMENT, invited.id)
    entity = {"Subject": "Kick-off (moved)", "StartDateTime": START + timedelta(hours=2),
              "EndDateTime": START + timedelta(hours=3)}  # fmt: skip
    record = to_record(entity, base)
    assert record.organizer == GINA[1]
    provider.update(ItemType.APPOINTMENT, record, base.change_key or "")
    moved = provider.get(ItemType.APPOINTMENT, invited.id)
    assert (moved.subject, moved.organizer) == ("Kick-off (moved)", GINA[1])
    assert _organizer(mailbox, invited.id) == GINA[1]
    assert mailbox.invitations_sent == [] and mailbox.cancellations_sent == []

"""Appointments: calendar items with the category "SAP" ↔ C4C ``AppointmentCollection``.

| mailbox (``AppointmentRecord``) | C4C ``Appointment``  | notes                                 |
|---------------------------------|----------------------|---------------------------------------|
| ``subject``                     | ``Subject``          | required by C4C                       |
| ``start`` / ``end``             | ``StartDateTime`` / ``EndDateTime`` |                        |
| ``location``                    | ``LocationName``     |                                       |
| ``body``                        | ``Text``             |                                       |
| ``attendees``                   | ``PrimaryContactID`` | the first attendee known to C4C       |
|                                 | ``AccountID``        | that contact's account                |

Attendees are never written to the mailbox: an appointment created or changed by the sync must
not send invitations. So a change going up names a contact (and its account) only when an
attendee is known to C4C; otherwise it keeps SAP's (``coarse``: a copy of an SAP appointment
has no attendees, and renaming it must not unlink it in SAP).
"""

from __future__ import annotations

from typing import Any

from backend.mailbox.base import AppointmentRecord
from backend.models.types import ItemType
from backend.sync.mapping import LinkHints, Links, TypeMapping, clip


def to_c4c(record: AppointmentRecord, links: Links) -> dict[str, Any]:
    return {
        "Subject": clip(record.subject, 255),
        "StartDateTime": record.start,
        "EndDateTime": record.end,
        "LocationName": clip(record.location, 100),
        "Text": record.body or None,
        "PrimaryContactID": links.contact_id,
        "AccountID": links.account_id,
    }


def to_record(entity: dict[str, Any], base: AppointmentRecord | None) -> AppointmentRecord:
    return AppointmentRecord(
        id=base.id if base else None,
        change_key=base.change_key if base else None,
        categories=base.categories if base else (),
        subject=entity.get("Subject") or None,
        start=entity.get("StartDateTime"),
        end=entity.get("EndDateTime"),
        location=entity.get("LocationName") or None,
        body=entity.get("Text") or None,
        attendees=base.attendees if base else (),
        organizer=base.organizer if base else None,
    )


def hints(record: AppointmentRecord) -> LinkHints:
    return LinkHints(addresses=record.attendees)


MAPPING = TypeMapping(
    ItemType.APPOINTMENT,
    "AppointmentCollection",
    (
        "Subject",
        "StartDateTime",
        "EndDateTime",
        "LocationName",
        "Text",
        "PrimaryContactID",
        "AccountID",
    ),
    to_c4c,
    to_record,
    hints,
    owners=("OwnerPartyID",),
    parties=("AppointmentInvolvedParties", "PartyID"),
    coarse=(("PrimaryContactID", None), ("AccountID", None)),
)

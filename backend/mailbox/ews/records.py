"""Translate between exchangelib items and the provider's plain records, one item type at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from exchangelib import UTC as EWS_UTC
from exchangelib import (
    Attendee,
    Body,
    CalendarItem,
    Contact,
    EWSDate,
    EWSDateTime,
    Mailbox,
    Message,
    Task,
)
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.items import Item

from backend.mailbox.base import (
    AccountRecord,
    AppointmentRecord,
    ContactRecord,
    EmailRecord,
    ItemRecord,
    TaskRecord,
)
from backend.models.types import ItemType

ITEM_CLASSES: dict[ItemType, type[Item]] = {
    ItemType.CONTACT: Contact,
    ItemType.ACCOUNT: Contact,
    ItemType.TASK: Task,
    ItemType.APPOINTMENT: CalendarItem,
    ItemType.EMAIL: Message,
}

WRITABLE_FIELDS: dict[ItemType, tuple[str, ...]] = {
    ItemType.CONTACT: (
        "given_name",
        "surname",
        "display_name",
        "company_name",
        "job_title",
        "department",
        "email_addresses",
        "phone_numbers",
    ),
    ItemType.ACCOUNT: (
        "display_name",
        "company_name",
        "email_addresses",
        "phone_numbers",
        "business_homepage",
        "physical_addresses",
    ),
    ItemType.TASK: ("subject", "body", "start_date", "due_date", "status", "importance"),
    ItemType.APPOINTMENT: ("subject", "start", "end", "location", "body", "required_attendees"),
    ItemType.EMAIL: (),
}
"""The exchangelib fields a record writes (categories are left to markers and the user)."""

READ_FIELDS: dict[ItemType, tuple[str, ...]] = {
    **{
        kind: (*fields, "categories", "last_modified_time")
        for kind, fields in WRITABLE_FIELDS.items()
    },
    ItemType.APPOINTMENT: (
        *WRITABLE_FIELDS[ItemType.APPOINTMENT],
        "organizer",
        "categories",
        "last_modified_time",
    ),
    ItemType.EMAIL: (
        "subject",
        "sender",
        "to_recipients",
        "cc_recipients",
        "datetime_sent",
        "datetime_received",
        "body",
        "message_id",
        "categories",
        "last_modified_time",
    ),
}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _address(mailbox: Mailbox | Attendee | None) -> str | None:
    if isinstance(mailbox, Attendee):
        mailbox = mailbox.mailbox
    return mailbox.email_address if mailbox is not None else None


def _addresses(values: list[Any] | None) -> tuple[str, ...]:
    return tuple(a for a in (_address(v) for v in values or ()) if a)


def _phone(item: Contact, label: str) -> str | None:
    return next((p.phone_number for p in item.phone_numbers or () if p.label == label), None)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value.timestamp(), UTC)


def _date(value: date | None) -> date | None:
    return None if value is None else date(value.year, value.month, value.day)


def record_from_item(item_type: ItemType, item: Item) -> ItemRecord:
    """The record for an exchangelib item of ``item_type`` (fields not read stay empty)."""
    common: dict[str, Any] = {
        "id": item.id,
        "change_key": item.changekey,
        "categories": tuple(item.categories or ()),
        "modified": _utc(item.last_modified_time),
    }
    if item_type is ItemType.CONTACT:
        return ContactRecord(
            **common,
            given_name=item.given_name,
            surname=item.surname,
            display_name=item.display_name,
            company=item.company_name,
            job_title=item.job_title,
            department=item.department,
            emails=tuple(
                e.email for e in sorted(item.email_addresses or (), key=lambda e: e.label)
            ),
            business_phone=_phone(item, "BusinessPhone"),
            mobile_phone=_phone(item, "MobilePhone"),
        )
    if item_type is ItemType.ACCOUNT:
        address = next(iter(item.physical_addresses or ()), None)
        return AccountRecord(
            **common,
            name=item.company_name or item.display_name,
            email=next((e.email for e in item.email_addresses or ()), None),
            phone=_phone(item, "BusinessPhone"),
            website=item.business_homepage,
            street=address.street if address else None,
            city=address.city if address else None,
            postal_code=address.zipcode if address else None,
            country=address.country if address else None,
        )
    if item_type is ItemType.TASK:
        return TaskRecord(
            **common,
            subject=item.subject,
            body=_text(item.body),
            start=_date(item.start_date),
            due=_date(item.due_date),
            status=item.status,
            importance=item.importance,
        )
    if item_type is ItemType.APPOINTMENT:
        return AppointmentRecord(
            **common,
            subject=item.subject,
            start=_utc(item.start),
            end=_utc(item.end),
            location=item.location,
            body=_text(item.body),
            attendees=_addresses(item.required_attendees),
            organizer=_address(item.organizer),
        )
    return EmailRecord(
        **common,
        subject=item.subject,
        sender=_address(item.sender),
        to=_addresses(item.to_recipients),
        cc=_addresses(item.cc_recipients),
        sent=_utc(item.datetime_sent),
        received=_utc(item.datetime_received),
        body=_text(item.body),
        internet_message_id=item.message_id,
    )


def _ews_time(value: datetime | None) -> EWSDateTime | None:
    if value is None:
        return None
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    plain = datetime.fromtimestamp(moment.timestamp(), UTC)
    return EWSDateTime.from_datetime(plain).astimezone(EWS_UTC)


def _ews_date(value: date | None) -> EWSDate | None:
    return None if value is None else EWSDate(value.year, value.month, value.day)


def item_values(item_type: ItemType, record: ItemRecord) -> dict[str, Any]:
    """The exchangelib field values that write ``record`` (``None`` clears a field)."""
    if isinstance(record, ContactRecord) and item_type is ItemType.CONTACT:
        full = " ".join(p for p in (record.given_name, record.surname) if p)
        phones = [
            PhoneNumber(label=label, phone_number=number)
            for label, number in (
                ("BusinessPhone", record.business_phone),
                ("MobilePhone", record.mobile_phone),
            )
            if number
        ]
        emails = [
            EmailAddress(label=f"EmailAddress{i}", email=email)
            for i, email in enumerate(record.emails[:3], start=1)
        ]
        return {
            "given_name": record.given_name,
            "surname": record.surname,
            "display_name": record.display_name or full or None,
            "company_name": record.company,
            "job_title": record.job_title,
            "department": record.department,
            "email_addresses": emails or None,
            "phone_numbers": phones or None,
        }
    if isinstance(record, AccountRecord) and item_type is ItemType.ACCOUNT:
        has_address = any((record.street, record.city, record.postal_code, record.country))
        address = PhysicalAddress(
            label="Business",
            street=record.street,
            city=record.city,
            zipcode=record.postal_code,
            country=record.country,
        )
        return {
            "display_name": record.name,
            "company_name": record.name,
            "email_addresses": [EmailAddress(label="EmailAddress1", email=record.email)]
            if record.email
            else None,
            "phone_numbers": [PhoneNumber(label="BusinessPhone", phone_number=record.phone)]
            if record.phone
            else None,
            "business_homepage": record.website,
            "physical_addresses": [address] if has_address else None,
        }
    if isinstance(record, TaskRecord) and item_type is ItemType.TASK:
        return {
            "subject": record.subject,
            "body": Body(record.body) if record.body else None,
            "start_date": _ews_date(record.start),
            "due_date": _ews_date(record.due),
            "status": record.status or "NotStarted",
            "importance": record.importance or "Normal",
        }
    if isinstance(record, AppointmentRecord) and item_type is ItemType.APPOINTMENT:
        return {
            "subject": record.subject,
            "start": _ews_time(record.start),
            "end": _ews_time(record.end),
            "location": record.location,
            "body": Body(record.body) if record.body else None,
            "required_attendees": [
                Attendee(mailbox=Mailbox(email_address=a), response_type="Unknown")
                for a in record.attendees
            ]
            or None,
        }
    raise TypeError(f"a {type(record).__name__} cannot be written as {item_type}")

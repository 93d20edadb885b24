"""Microsoft Graph contacts, To Do tasks, events and messages as records and back (pure).

| record | Graph resource | fields read and written |
|---|---|---|
| contact | ``contact`` | ``givenName``, ``surname``, ``displayName``, ``companyName``, ``jobTitle``, ``department``, ``emailAddresses[].address``, ``businessPhones[0]``, ``mobilePhone`` |
| account | ``contact`` in "SAP Accounts" | ``companyName`` (else ``displayName``), ``emailAddresses[0]``, ``businessPhones[0]``, ``businessHomePage``, ``businessAddress`` |
| task | ``todoTask`` | ``title``, ``body``, ``startDateTime``, ``dueDateTime``, ``status``, ``importance`` |
| appointment | ``event`` | ``subject``, ``start``, ``end``, ``location``, ``body``; ``attendees`` and ``organizer`` read only |
| e-mail | ``message`` | read only |

The change key of every record is the item's ``@odata.etag``, which a write sends back as
``If-Match``. Times are asked for in UTC (``Prefer: outlook.timezone="UTC"``) and written in
UTC. Event attendees are never written: Exchange Online sends invitations to every attendee of
an event it is given, and Graph has no way to say "send to none".
"""  # noqa: E501

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from backend.mailbox.base import (
    AccountRecord,
    AppointmentRecord,
    ContactRecord,
    EmailRecord,
    ItemRecord,
    TaskRecord,
)
from backend.models.types import ItemType

SELECT: dict[ItemType, str] = {
    ItemType.CONTACT: "givenName,surname,displayName,companyName,jobTitle,department,"
    "emailAddresses,businessPhones,mobilePhone,categories,lastModifiedDateTime",
    ItemType.ACCOUNT: "displayName,companyName,emailAddresses,businessPhones,businessHomePage,"
    "businessAddress,categories,lastModifiedDateTime",
    ItemType.EMAIL: "subject,from,toRecipients,ccRecipients,sentDateTime,receivedDateTime,body,"
    "internetMessageId,categories,lastModifiedDateTime",
}
"""``$select`` of the reads that take one (To Do tasks and calendar view deltas do not)."""

TASK_STATUS = {
    "notStarted": "NotStarted",
    "inProgress": "InProgress",
    "completed": "Completed",
    "waitingOnOthers": "WaitingOnOthers",
    "deferred": "Deferred",
}
TASK_STATUS_BACK = {record: graph for graph, record in TASK_STATUS.items()}
IMPORTANCE = {"low": "Low", "normal": "Normal", "high": "High"}
IMPORTANCE_BACK = {record: graph for graph, record in IMPORTANCE.items()}


def _time(value: str | None) -> datetime | None:
    """A Graph timestamp (``2026-11-29T10:00:00Z`` or with seven decimals) in UTC."""
    if not value:
        return None
    text = value.rstrip("Z")
    head, _, fraction = text.partition(".")
    moment = datetime.fromisoformat(head + (f".{fraction[:6]}" if fraction else ""))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _zoned(value: dict[str, Any] | None) -> datetime | None:
    """A ``dateTimeTimeZone`` asked for in UTC."""
    return _time((value or {}).get("dateTime"))


def _day(value: dict[str, Any] | None) -> date | None:
    moment = _zoned(value)
    return moment.date() if moment else None


def _address(value: dict[str, Any] | None) -> str | None:
    return ((value or {}).get("emailAddress") or {}).get("address") or None


def _addresses(values: list[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(a for a in (_address(v) for v in values or ()) if a)


def _body(item: dict[str, Any]) -> str | None:
    return (item.get("body") or {}).get("content") or None


def _common(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "change_key": item.get("@odata.etag") or item.get("changeKey"),
        "categories": tuple(item.get("categories") or ()),
        "modified": _time(item.get("lastModifiedDateTime")),
    }


def record_from_json(item_type: ItemType, item: dict[str, Any]) -> ItemRecord:
    """The record of one Graph item of ``item_type`` (properties not read stay empty)."""
    common = _common(item)
    phones = item.get("businessPhones") or []
    emails = tuple(e["address"] for e in item.get("emailAddresses") or () if e.get("address"))
    if item_type is ItemType.CONTACT:
        return ContactRecord(
            **common,
            given_name=item.get("givenName"),
            surname=item.get("surname"),
            display_name=item.get("displayName"),
            company=item.get("companyName"),
            job_title=item.get("jobTitle"),
            department=item.get("department"),
            emails=emails,
            business_phone=phones[0] if phones else None,
            mobile_phone=item.get("mobilePhone"),
        )
    if item_type is ItemType.ACCOUNT:
        address = item.get("businessAddress") or {}
        return AccountRecord(
            **common,
            name=item.get("companyName") or item.get("displayName"),
            email=emails[0] if emails else None,
            phone=phones[0] if phones else None,
            website=item.get("businessHomePage"),
            street=address.get("street") or None,
            city=address.get("city") or None,
            postal_code=address.get("postalCode") or None,
            country=address.get("countryOrRegion") or None,
        )
    if item_type is ItemType.TASK:
        return TaskRecord(
            **common,
            subject=item.get("title"),
            body=_body(item),
            start=_day(item.get("startDateTime")),
            due=_day(item.get("dueDateTime")),
            status=TASK_STATUS.get(item.get("status", ""), "NotStarted"),
            importance=IMPORTANCE.get(item.get("importance", ""), "Normal"),
        )
    if item_type is ItemType.APPOINTMENT:
        return AppointmentRecord(
            **common,
            subject=item.get("subject"),
            start=_zoned(item.get("start")),
            end=_zoned(item.get("end")),
            location=(item.get("location") or {}).get("displayName") or None,
            body=_body(item),
            attendees=_addresses(item.get("attendees")),
            organizer=_address(item.get("organizer")),
        )
    return EmailRecord(
        **common,
        subject=item.get("subject"),
        sender=_address(item.get("from")),
        to=_addresses(item.get("toRecipients")),
        cc=_addresses(item.get("ccRecipients")),
        sent=_time(item.get("sentDateTime")),
        received=_time(item.get("receivedDateTime")),
        body=_body(item),
        internet_message_id=item.get("internetMessageId"),
    )


def _utc_text(value: datetime | date) -> dict[str, str]:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    else:
        text = f"{value.isoformat()}T00:00:00"
    return {"dateTime": text, "timeZone": "UTC"}


def _text_body(text: str | None) -> dict[str, str]:
    return {"contentType": "text", "content": text or ""}


def json_from_record(item_type: ItemType, record: ItemRecord) -> dict[str, Any]:
    """The Graph properties that write ``record`` (``None`` clears a property)."""
    if isinstance(record, ContactRecord) and item_type is ItemType.CONTACT:
        full = " ".join(part for part in (record.given_name, record.surname) if part)
        return {
            "givenName": record.given_name,
            "surname": record.surname,
            "displayName": record.display_name or full or None,
            "companyName": record.company,
            "jobTitle": record.job_title,
            "department": record.department,
            "emailAddresses": [{"address": e, "name": e} for e in record.emails[:3]],
            "businessPhones": [record.business_phone] if record.business_phone else [],
            "mobilePhone": record.mobile_phone,
        }
    if isinstance(record, AccountRecord) and item_type is ItemType.ACCOUNT:
        return {
            "displayName": record.name,
            "companyName": record.name,
            "emailAddresses": [{"address": record.email, "name": record.email}]
            if record.email
            else [],
            "businessPhones": [record.phone] if record.phone else [],
            "businessHomePage": record.website,
            "businessAddress": {
                "street": record.street,
                "city": record.city,
                "postalCode": record.postal_code,
                "countryOrRegion": record.country,
            },
        }
    if isinstance(record, TaskRecord) and item_type is ItemType.TASK:
        return {
            "title": record.subject,
            "body": _text_body(record.body),
            "startDateTime": _utc_text(record.start) if record.start else None,
            "dueDateTime": _utc_text(record.due) if record.due else None,
            "status": TASK_STATUS_BACK.get(record.status or "", "notStarted"),
            "importance": IMPORTANCE_BACK.get(record.importance or "", "normal"),
        }
    if isinstance(record, AppointmentRecord) and item_type is ItemType.APPOINTMENT:
        times = {"start": record.start, "end": record.end}
        return {
            "subject": record.subject,
            **{name: _utc_text(value) for name, value in times.items() if value},
            "location": {"displayName": record.location or ""},
            "body": _text_body(record.body),
        }
    raise TypeError(f"a {type(record).__name__} cannot be written as {item_type}")

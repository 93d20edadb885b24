"""Google contacts, tasks and events as records and back (pure).

A contact is a person in the "SAP Contacts" group; an account (a company) is a person in the
"SAP Accounts" group whose organisation names the company. Only the fields below are written;
whatever else the person has (birthdays, notes, photos...) is the user's and stays.

| record field | People field |
|---|---|
| ``given_name``, ``surname``, ``display_name`` | ``names[0]`` |
| ``emails`` | ``emailAddresses[].value`` |
| ``business_phone``, ``mobile_phone`` | ``phoneNumbers[]`` of type ``work``, ``mobile`` |
| ``company``, ``job_title``, ``department`` | ``organizations[0]`` |
| account ``name`` | ``organizations[0].name`` (else the display name) |
| account ``street``, ``city``, ``postal_code``, ``country`` | ``addresses[0]`` |
| account ``website`` | ``urls[0]`` |
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from backend.mailbox.base import AccountRecord, AppointmentRecord, ContactRecord, TaskRecord

CONTACT_FIELDS = ("names", "emailAddresses", "phoneNumbers", "organizations")
ACCOUNT_FIELDS = ("names", "emailAddresses", "phoneNumbers", "organizations", "addresses", "urls")
"""The fields written; reads also ask for ``metadata``, whose contact source says when the
person last changed."""


def _first(person: dict[str, Any], name: str) -> dict[str, Any]:
    values = person.get(name) or []
    return values[0] if values else {}


def _phone(person: dict[str, Any], kind: str) -> str | None:
    return next((p.get("value") for p in person.get("phoneNumbers", []) if p.get("type") == kind),
                None)  # fmt: skip


def _changed(person: dict[str, Any]) -> datetime | None:
    """When the contact itself (its ``CONTACT`` source) last changed."""
    sources = (person.get("metadata") or {}).get("sources") or []
    stamp = next((s.get("updateTime") for s in sources if s.get("type") == "CONTACT"), None)
    return _rfc3339(stamp) if stamp else None


def contact_record(person: dict[str, Any]) -> ContactRecord:
    name, organization = _first(person, "names"), _first(person, "organizations")
    return ContactRecord(
        id=person["resourceName"],
        change_key=person.get("etag"),
        modified=_changed(person),
        given_name=name.get("givenName"),
        surname=name.get("familyName"),
        display_name=name.get("displayName"),
        company=organization.get("name"),
        job_title=organization.get("title"),
        department=organization.get("department"),
        emails=tuple(e["value"] for e in person.get("emailAddresses", []) if e.get("value")),
        business_phone=_phone(person, "work"),
        mobile_phone=_phone(person, "mobile"),
    )


def account_record(person: dict[str, Any]) -> AccountRecord:
    name, organization = _first(person, "names"), _first(person, "organizations")
    address = _first(person, "addresses")
    return AccountRecord(
        id=person["resourceName"],
        change_key=person.get("etag"),
        modified=_changed(person),
        name=organization.get("name") or name.get("displayName"),
        email=_first(person, "emailAddresses").get("value"),
        phone=_phone(person, "work"),
        website=_first(person, "urls").get("value"),
        street=address.get("streetAddress"),
        city=address.get("city"),
        postal_code=address.get("postalCode"),
        country=address.get("countryCode"),
    )


def _present(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value}


def contact_person(record: ContactRecord) -> dict[str, Any]:
    """The People fields of a contact record (``CONTACT_FIELDS``)."""
    phones = [_present(value=record.business_phone, type="work"),
              _present(value=record.mobile_phone, type="mobile")]  # fmt: skip
    organization = _present(name=record.company, title=record.job_title,
                            department=record.department)  # fmt: skip
    return {
        "names": [_present(givenName=record.given_name, familyName=record.surname)],
        "emailAddresses": [{"value": email} for email in record.emails],
        "phoneNumbers": [phone for phone in phones if "value" in phone],
        "organizations": [organization] if organization else [],
    }


def account_person(record: AccountRecord) -> dict[str, Any]:
    """The People fields of an account record (``ACCOUNT_FIELDS``)."""
    address = _present(streetAddress=record.street, city=record.city,
                       postalCode=record.postal_code, countryCode=record.country)  # fmt: skip
    return {
        "names": [_present(givenName=record.name)],
        "emailAddresses": [{"value": record.email}] if record.email else [],
        "phoneNumbers": [{"value": record.phone, "type": "work"}] if record.phone else [],
        "organizations": [{"name": record.name}] if record.name else [],
        "addresses": [address] if address else [],
        "urls": [{"value": record.website}] if record.website else [],
    }


TASK_STATUSES = {"needsAction": "NotStarted", "completed": "Completed"}


def _rfc3339(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def task_record(task: dict[str, Any]) -> TaskRecord:
    """A Google task; Google keeps no start date or importance, and only two statuses."""
    return TaskRecord(
        id=task["id"],
        change_key=task.get("etag"),
        modified=_rfc3339(task["updated"]),
        subject=task.get("title"),
        body=task.get("notes"),
        due=_rfc3339(task["due"]).date() if task.get("due") else None,
        status=TASK_STATUSES.get(task.get("status", ""), "NotStarted"),
    )


def task_body(record: TaskRecord) -> dict[str, Any]:
    return {
        "title": record.subject or "",
        "notes": record.body,
        "due": f"{record.due.isoformat()}T00:00:00.000Z" if record.due else None,
        "status": "completed" if record.status == "Completed" else "needsAction",
    }


def task_as_kept(record: TaskRecord) -> TaskRecord:
    """``record`` written to Google Tasks and read back (no start, no importance, two
    statuses); its id and change key as they were."""
    kept = task_record({"id": record.id, "updated": _KEPT_AT, **task_body(record)})
    return replace(
        kept, change_key=record.change_key, modified=record.modified, categories=record.categories
    )


_KEPT_AT = "1970-01-01T00:00:00Z"
"""A stand-in for the time Google would stamp (``task_record`` reads one)."""


def _moment(value: dict[str, Any] | None) -> datetime | None:
    if not value:
        return None
    if "dateTime" in value:
        return _rfc3339(value["dateTime"])
    return datetime.fromisoformat(value["date"]).replace(tzinfo=UTC)


def appointment_record(event: dict[str, Any]) -> AppointmentRecord:
    return AppointmentRecord(
        id=event["id"],
        change_key=event.get("etag"),
        modified=_rfc3339(event["updated"]),
        subject=event.get("summary"),
        start=_moment(event.get("start")),
        end=_moment(event.get("end")),
        location=event.get("location"),
        body=event.get("description"),
        attendees=tuple(a["email"].lower() for a in event.get("attendees", []) if a.get("email")),
        organizer=(event.get("organizer") or {}).get("email"),
    )


def _when(moment: datetime | None) -> dict[str, str] | None:
    if moment is None:
        return None
    return {"dateTime": moment.astimezone(UTC).isoformat().replace("+00:00", "Z")}


def event_body(record: AppointmentRecord) -> dict[str, Any]:
    return {
        "summary": record.subject,
        "description": record.body,
        "location": record.location,
        "start": _when(record.start),
        "end": _when(record.end),
        "attendees": [{"email": email} for email in record.attendees],
    }

"""Tasks: Exchange tasks with the category "SAP" ↔ C4C ``TasksCollection``.

| mailbox (``TaskRecord``) | C4C ``Tasks``           | notes                                      |
|--------------------------|-------------------------|--------------------------------------------|
| ``subject``              | ``Subject``             | required by C4C                            |
| ``body``                 | ``Text``                |                                            |
| ``start``                | ``StartDateTime``       | a date in the mailbox, midnight UTC in C4C |
| ``due``                  | ``DueDateTime``         | likewise                                   |
| ``status``               | ``LifeCycleStatusCode`` | see ``STATUS_UP`` / ``STATUS_DOWN``        |
| ``importance``           | ``PriorityCode``        | see ``PRIORITY_UP`` / ``PRIORITY_DOWN``    |

The last four are ``coarse``: several of C4C's codes come down as one (*Immediate* and *Urgent*
as High, *Canceled* as Deferred), times of day as dates, and Google Tasks keeps no start, no
importance and two statuses; a change going up keeps SAP's value of each that the mailbox did
not change (``TypeMapping.values_up``). So are the task's account and contact
(``AccountID``, ``PrimaryContactID``), which a mailbox task never names: they stay SAP's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from backend.mailbox.base import TaskRecord
from backend.models.types import ItemType
from backend.sync.mapping import LinkHints, Links, TypeMapping, clip

STATUS_UP = {
    "NotStarted": "1",
    "InProgress": "2",
    "WaitingOnOthers": "2",
    "Deferred": "1",
    "Completed": "3",
}
STATUS_DOWN = {"1": "NotStarted", "2": "InProgress", "3": "Completed", "4": "Deferred"}
PRIORITY_UP = {"High": "2", "Normal": "3", "Low": "7"}
PRIORITY_DOWN = {"1": "High", "2": "High", "3": "Normal", "7": "Low"}


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0, 0), tzinfo=UTC)


def _day(moment: datetime | None) -> date | None:
    return None if moment is None else moment.astimezone(UTC).date()


def to_c4c(record: TaskRecord, links: Links) -> dict[str, Any]:
    return {
        "Subject": clip(record.subject, 255),
        "Text": record.body or None,
        "StartDateTime": _midnight(record.start),
        "DueDateTime": _midnight(record.due),
        "LifeCycleStatusCode": STATUS_UP.get(record.status or "NotStarted", "1"),
        "PriorityCode": PRIORITY_UP.get(record.importance or "Normal", "3"),
        "AccountID": links.account_id,
        "PrimaryContactID": links.contact_id,
    }


def to_record(entity: dict[str, Any], base: TaskRecord | None) -> TaskRecord:
    return TaskRecord(
        id=base.id if base else None,
        change_key=base.change_key if base else None,
        categories=base.categories if base else (),
        subject=entity.get("Subject") or None,
        body=entity.get("Text") or None,
        start=_day(entity.get("StartDateTime")),
        due=_day(entity.get("DueDateTime")),
        status=STATUS_DOWN.get(entity.get("LifeCycleStatusCode") or "1", "NotStarted"),
        importance=PRIORITY_DOWN.get(entity.get("PriorityCode") or "3", "Normal"),
    )


def hints(_record: TaskRecord) -> LinkHints:
    return LinkHints()


MAPPING = TypeMapping(
    ItemType.TASK,
    "TasksCollection",
    (
        "Subject",
        "Text",
        "StartDateTime",
        "DueDateTime",
        "LifeCycleStatusCode",
        "PriorityCode",
        "AccountID",
        "PrimaryContactID",
    ),
    to_c4c,
    to_record,
    hints,
    owners=("OwnerPartyID", "ProcessorPartyID"),
    coarse=(
        ("StartDateTime", "start"),
        ("DueDateTime", "due"),
        ("LifeCycleStatusCode", "status"),
        ("PriorityCode", "importance"),
        ("AccountID", None),
        ("PrimaryContactID", None),
    ),
)

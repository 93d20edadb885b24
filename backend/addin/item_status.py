"""What the add-ins ask about the item open in the mail client: its sync state, and "Track in SAP".

The Outlook task pane (and later the Gmail add-on) shows, for the open item, one of four states:

- ``issue``: an open issue names the item (what to do is on the issue);
- ``synced``: the item is paired with a C4C object and in step;
- ``pending``: the item is selected for sync but no run has finished with it yet (just tracked,
  or a write waiting to be retried);
- ``not_tracked``: nothing selects the item for sync.

Outlook hands over item ids in REST format (URL-safe base64); EWS uses standard base64. Both are
accepted and turned into the EWS form, which is how the engine stores them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from backend.extensions import Resources
from backend.jobs.schedule import enqueue_sync
from backend.mailbox.base import UnsupportedOperation
from backend.models import AuditEvent, Issue, Mailbox, SyncItem, Tenant, User
from backend.models.audit import record_audit
from backend.models.mailbox import HealthStatus, Provider
from backend.models.run import Trigger
from backend.models.sync_item import SyncItemState
from backend.models.types import IssueCode, ItemType
from backend.storage.db import utcnow
from backend.sync import connect
from backend.text import N_

ADDIN_VERSION = "1.0.0"
"""The version of the add-in this server ships (task pane in ``static/addin``, manifest)."""
TRACK_ACTION = "item.track"
TRACK_PENDING_FOR = timedelta(minutes=15)
"""How long a tracked item shows ``pending`` while no run has paired it yet."""
TRACKABLE = (ItemType.EMAIL, ItemType.APPOINTMENT, ItemType.TASK)
USE_RECORDED_EVERY = timedelta(minutes=1)
"""How often a user's "last add-in use" is written (not on every call)."""

MAILBOX_UNREACHABLE = N_("We cannot reach your mailbox right now. Try again in a few minutes.")
TRACK_FAILURES = {
    IssueCode.NOT_FOUND: N_("This item is no longer in your mailbox."),
    IssueCode.AUTH: N_("We can no longer sign in to your mailbox. Re-activate sync first."),
}
"""Why an item could not be tracked (English: the API says it in the pane's language)."""

_ITEM_ID = re.compile(r"[A-Za-z0-9+/_-]{8,510}={0,2}")
OFFICE_ITEM_TYPES = {
    "message": ItemType.EMAIL,
    "appointment": ItemType.APPOINTMENT,
    **{item_type.value.lower(): item_type for item_type in ItemType},
}
"""Office.js ``item.itemType`` values, and our own type names for other clients."""


class ItemState(StrEnum):
    ISSUE = "issue"
    SYNCED = "synced"
    PENDING = "pending"
    NOT_TRACKED = "not_tracked"


class TrackRefused(Exception):
    """The item cannot be tracked now; the message says why in the user's words."""


@dataclass(frozen=True)
class ItemStatus:
    item_type: ItemType
    item_id: str
    state: ItemState
    sync_item: SyncItem | None
    issues: tuple[Issue, ...]


def ews_item_id(raw: str) -> str:
    """The EWS form of an item id given in REST or EWS format.

    Raises:
        ValueError: not an item id.
    """
    value = raw.strip()
    if not _ITEM_ID.fullmatch(value):
        raise ValueError("not a mailbox item id")
    return value.replace("-", "/").replace("_", "+")


def stored_item_id(mailbox: Mailbox, ews_id: str) -> str:
    """The id the sync keeps for the item Office.js names by ``ews_id``: the EWS id itself, or
    for an Exchange Online mailbox (reached through Graph) its URL-safe REST form."""
    if mailbox.provider is Provider.GRAPH:
        return ews_id.replace("/", "-").replace("+", "_")
    return ews_id


def item_type_of(raw: str) -> ItemType:
    """Our item type for an Office.js item type (``message``, ``appointment``) or our own name.

    Raises:
        ValueError: an unknown type.
    """
    try:
        return OFFICE_ITEM_TYPES[raw.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown item type {raw!r}") from None


def record_use(session: Session, user: User) -> None:
    """Remember that ``user`` used an add-in (the Outlook pane or the Gmail add-on) now, for the
    admin panel's "Last add-in use"; written at most once a minute."""
    now = utcnow()
    if user.last_addin_use_at is None or now - user.last_addin_use_at >= USE_RECORDED_EVERY:
        user.last_addin_use_at = now
        session.commit()


_OPEN_ISSUES_OF_ITEM = (
    select(Issue)
    .where(
        Issue.mailbox_id == bindparam("mailbox_id"),
        Issue.resolved_at.is_(None),
        Issue.mailbox_item_id == bindparam("item_id"),
    )
    .order_by(Issue.last_seen_at.desc(), Issue.id.desc())
)
_PAIRING_OF_ITEM = select(SyncItem).where(
    SyncItem.mailbox_id == bindparam("mailbox_id"),
    SyncItem.item_type == bindparam("item_type"),
    SyncItem.mailbox_item_id == bindparam("item_id"),
)
"""The task pane's questions when an item opens, built once: the statement and its cache key
are the same for every item (parameters ``mailbox_id``, ``item_type``, ``item_id``)."""


def item_status(
    session: Session, mailbox: Mailbox, item_type: ItemType, item_id: str
) -> ItemStatus:
    """The open item's state, its pairing and its open issues (newest first)."""
    asked = {"mailbox_id": mailbox.id, "item_type": item_type, "item_id": item_id}
    issues = tuple(session.scalars(_OPEN_ISSUES_OF_ITEM, asked))
    paired = session.scalars(_PAIRING_OF_ITEM, asked).one_or_none()
    if any(not issue.informational for issue in issues):
        state = ItemState.ISSUE
    elif paired is not None and paired.state is SyncItemState.SYNCED:
        state = ItemState.SYNCED
    elif paired is not None or _tracked_lately(session, mailbox, item_id):
        state = ItemState.PENDING
    else:
        state = ItemState.NOT_TRACKED
    return ItemStatus(item_type, item_id, state, paired, issues)


def _tracked_lately(session: Session, mailbox: Mailbox, item_id: str) -> bool:
    since = utcnow() - TRACK_PENDING_FOR
    return (
        session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.tenant_id == mailbox.tenant_id,
                AuditEvent.created_at >= since,
                AuditEvent.action == TRACK_ACTION,
                AuditEvent.target_type == "mailbox_item",
                AuditEvent.target_id == _audit_target(item_id),
            )
            .limit(1)
        )
        is not None
    )


def _audit_target(item_id: str) -> str:
    """Audit targets hold 64 characters and EWS ids are longer: their SHA-256, in hex."""
    return hashlib.sha256(item_id.encode()).hexdigest()


def track(
    session: Session,
    found: Resources,
    mailbox: Mailbox,
    actor: User,
    item_type: ItemType,
    item_id: str,
) -> ItemStatus:
    """Select the item for sync in the mailbox and queue a run of the mailbox now.

    Raises:
        TrackRefused: the item type is synced by folder, the mailbox cannot sync now, or the
            mailbox could not be written.
    """
    if item_type not in TRACKABLE:
        raise TrackRefused(
            N_("Items of this kind sync by their folder; move it into the SAP folder.")
        )
    if mailbox.status in (HealthStatus.FAILED_AUTH, HealthStatus.DISABLED):
        raise TrackRefused(N_("Sync is stopped for your mailbox; re-activate it first."))
    tenant = session.get(Tenant, mailbox.tenant_id)
    assert tenant is not None
    try:
        provider = connect.mailbox_provider(tenant, mailbox, found.cipher, found.settings)
        provider.select_for_sync(item_type, item_id)
    except UnsupportedOperation as error:
        raise TrackRefused(str(error)) from error
    except Exception as error:
        code = connect.classify_mailbox_error(mailbox, error).code
        raise TrackRefused(TRACK_FAILURES.get(code, MAILBOX_UNREACHABLE)) from error
    record_audit(
        session,
        tenant_id=mailbox.tenant_id,
        actor=actor,
        action=TRACK_ACTION,
        target_type="mailbox_item",
        target_id=_audit_target(item_id),
        details={"mailbox_id": mailbox.id, "item_type": item_type.value},
    )
    session.commit()
    if mailbox.status is not HealthStatus.PAUSED:
        enqueue_sync(
            found.redis, mailbox.id, Trigger.FORCED, found.settings.sync_job_timeout_seconds
        )
    return item_status(session, mailbox, item_type, item_id)

"""The data model, one module per aggregate. Importing this package registers every table."""

from backend.models.addin_token import AddinToken
from backend.models.audit import AuditEvent
from backend.models.c4c_feed import C4CFeed, C4CParty, C4CRecord
from backend.models.invitation import Invitation
from backend.models.issue import Issue
from backend.models.mailbox import Mailbox, MailboxItemState
from backend.models.notification import Notification
from backend.models.run import Run
from backend.models.service_health import ServiceHealth
from backend.models.sync_item import SyncItem
from backend.models.tenant import Tenant
from backend.models.user import User
from backend.models.warning import SyncWarning

__all__ = [
    "AddinToken",
    "AuditEvent",
    "C4CFeed",
    "C4CParty",
    "C4CRecord",
    "Invitation",
    "Issue",
    "Mailbox",
    "MailboxItemState",
    "Notification",
    "Run",
    "ServiceHealth",
    "SyncItem",
    "SyncWarning",
    "Tenant",
    "User",
]

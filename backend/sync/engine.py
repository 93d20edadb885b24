"""One sync run of one mailbox.

This version has no provider-specific engine yet: a run ends as failed with a reason that says
so, which the dashboard and the CLI show as they would any other failure.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.models import Mailbox, Run
from backend.models.types import IssueCode
from backend.sync.errors import SyncError


def run(session: Session, mailbox: Mailbox, current: Run) -> None:
    """Sync ``mailbox`` once.

    Raises:
        SyncError: always, until a mailbox provider is installed.
    """
    raise SyncError.of(
        IssueCode.UNKNOWN,
        f"No sync engine is installed for {mailbox.provider} mailboxes in this version",
    )

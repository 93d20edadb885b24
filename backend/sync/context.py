"""What every part of one run shares: the session, both sides, the run's counters, the time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.crm.c4c import C4CClient
from backend.mailbox.base import MailboxProvider
from backend.models import C4CFeed, Issue, Mailbox, Run, Tenant
from backend.models.issue import Source, item_key
from backend.settings import Settings
from backend.sync.errors import Classification
from backend.sync.issues import ItemRef
from backend.sync.linker import Linker
from backend.sync.read_ahead import ReadAhead


@dataclass
class RunContext:
    session: Session
    mailbox: Mailbox
    tenant: Tenant
    run: Run
    provider: MailboxProvider
    c4c: C4CClient
    linker: Linker
    classify_mailbox: Callable[[BaseException], Classification]
    classify_c4c: Callable[[BaseException], Classification]
    mailbox_source: Source
    settings: Settings
    now: datetime
    employee: str | None = None
    """The user's C4C employee (``EmployeeID``): the owner of what the sync creates in SAP."""
    rows_added: int = 0
    """The ``sync_item`` rows the run inserted (each new item's, created or paired)."""
    feeds: list[C4CFeed] = field(default_factory=list)
    """The tenant's C4C feeds as the run began, read in one query (:func:`feed.load`) and held
    here so the session keeps them for each type's refresh (when no :attr:`read_ahead` reads
    them)."""
    read_ahead: ReadAhead | None = None
    """The thread reading the feeds while the run reads the mailbox, where the database allows."""
    _issue_keys: set[str] | None = None

    def may_have_issues(self, item: ItemRef) -> bool:
        """Whether ``item`` had an open issue when the run began, or got one since.

        Saves one query per synced item: most items have no issue to resolve.
        """
        if self._issue_keys is None:
            self._issue_keys = set(
                self.session.scalars(
                    select(Issue.item_key).where(
                        Issue.mailbox_id == self.mailbox.id, Issue.resolved_at.is_(None)
                    )
                )
            )
        keys = {item.key, item_key(None, item.c4c_object_id)}
        return bool(keys & self._issue_keys)

    def issue_opened(self, item: ItemRef) -> None:
        if self._issue_keys is not None:
            self._issue_keys.add(item.key)

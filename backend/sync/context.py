"""What every part of one run shares: the session, both sides, the run's counters, the time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from backend.crm.c4c import C4CClient
from backend.mailbox.base import MailboxProvider
from backend.models import Mailbox, Run, Tenant
from backend.models.issue import Source
from backend.settings import Settings
from backend.sync.errors import Classification
from backend.sync.linker import Linker


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

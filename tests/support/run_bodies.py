"""Bodies of runs for tests of what happens around a run (its end, notices, warnings, the
digest): ``execute_run(session, mailbox, body, ...)`` runs them as the engine's place."""

from __future__ import annotations

from backend.models.issue import Source
from backend.models.types import IssueCode
from backend.sync.errors import SyncError


def unreachable(*_args: object) -> None:
    """C4C does not answer: a temporary failure."""
    raise SyncError.of(IssueCode.TEMPORARY, "C4C answered 503 Service Unavailable", http_status=503)


def password_changed(*_args: object) -> None:
    """The mailbox refuses the stored password: a sign-in failure."""
    raise SyncError.of(IssueCode.AUTH, "401 Unauthorized", http_status=401)


def fine(*_args: object) -> None:
    """A run with nothing to do."""
    return None


def mail_server_busy(*_args: object) -> None:
    """The mail server keeps answering 503: a temporary failure of the mailbox's side."""
    raise SyncError.of(IssueCode.TEMPORARY, "The mail server answered 503 Service Unavailable",
                       http_status=503, source=Source.EXCHANGE)  # fmt: skip


def sap_unreachable(*_args: object) -> None:
    """SAP keeps answering 503: a temporary failure every mailbox of the company meets."""
    raise SyncError.of(IssueCode.TEMPORARY, "C4C answered 503 Service Unavailable",
                       http_status=503, source=Source.C4C)  # fmt: skip


def account_disabled(*_args: object) -> None:
    """The mail system disabled the mailbox's account."""
    raise SyncError.of(IssueCode.ACCOUNT_DISABLED, "The user account has been disabled.",
                       source=Source.EXCHANGE)  # fmt: skip

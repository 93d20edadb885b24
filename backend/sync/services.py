"""The services a run talks to, by the names people know them, and how their failures read.

Each failure a classifier returns is finished here: it gets the side it came from, and when the
service never answered (a timeout, a refused connection), the words a person reads ("SAP Cloud
for Customer did not answer within 30 s") instead of the client library's text, which stays
as the technical detail.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from backend.models.issue import Source
from backend.models.mailbox import Provider
from backend.models.types import IssueCode
from backend.outbound import Timeouts, no_answer, unanswered
from backend.sync.errors import Classification, SyncError, catalogue_words


@dataclass(frozen=True)
class Service:
    """A service one run talks to.

    Attributes:
        key: its name in circuits and health rows (``C4C``, ``EWS``...).
        name: how people know it, as the subject of a sentence.
        source: what issues and runs record as the failing side.
        shared: one endpoint for the whole tenant, so one outage is detected once per tenant
            (C4C, the Exchange server); a cloud mail system is each mailbox's own affair.
    """

    key: str
    name: str
    source: Source
    shared: bool


C4C = Service("C4C", "SAP Cloud for Customer", Source.C4C, shared=True)
MAIL = {
    Provider.EXCHANGE: Service("EWS", "The Exchange server", Source.EXCHANGE, shared=True),
    Provider.GRAPH: Service("GRAPH", "Exchange Online", Source.GRAPH, shared=False),
    Provider.GMAIL: Service("GMAIL", "Gmail", Source.GMAIL, shared=False),
}
SHARED = (C4C, MAIL[Provider.EXCHANGE])
"""The services with a circuit and a health row per tenant."""


def finished(
    found: Classification, error: BaseException, service: Service, timeouts: Timeouts
) -> Classification:
    """``found`` (a classifier's answer to ``error``) with its side, plain words and detail.

    A failure already finished on its way (a :class:`SyncError` the guard raised) is kept.
    """
    if isinstance(error, SyncError):
        return error.classification
    kind = no_answer(error)
    if kind is not None:
        text, values = unanswered(service.name, kind, timeouts)
        return replace(
            found,
            code=IssueCode.TEMPORARY,
            message=text % values,
            words=catalogue_words(text, values),
            detail=f"{type(error).__name__}: {error}",
            source=service.source,
        )
    return replace(found, source=found.source or service.source, detail=found.detail)

"""The failure taxonomy: every failure is classified once, into one :class:`IssueCode`.

Classifiers are pure functions per backend (``backend.sync.classifiers``); they turn a raw
error of a client library into a :class:`Classification`. :class:`SyncError` carries a
classification through the engine so that one ``except`` handles every backend;
:class:`ServiceUnavailable` is the one a run meets when it stopped talking to a service that does
not answer (its own give-up, or the tenant's open circuit): it ends the run, never an item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from backend.models.issue import Source
from backend.models.types import IssueCode

MAILBOX_LEVEL_CODES = frozenset({IssueCode.AUTH, IssueCode.ACCOUNT_DISABLED})
"""Codes that stop the whole mailbox (a sync *error*), as opposed to one item (a sync *issue*)."""


@dataclass(frozen=True)
class Classification:
    """What a classifier made of one raw error.

    Attributes:
        code: the taxonomy code.
        message: the backend's text, fit to show to a person (never a token or a body).
        backend_code: the backend's own error code (``ErrorServerBusy``, an SAP message id...).
        http_status: the HTTP status, when there was one.
        fields: names of the missing or invalid fields, for the Save dialog.
        retry_after: seconds the backend asked us to wait before trying again.
        detail: the technical text behind ``message`` (exception text), for the log and the
            admin panel's detail view; never shown to the mailbox's owner.
        source: the side that failed (C4C, the mail system), when known.
        service_down: the service gave no answer and the run stops talking to it.
        words: the product's own ``message`` as its catalogue id and the values of its
            placeholders (:func:`ours`), so each reader sees it in their language; ``None``
            for what a backend said, shown as it said it.
    """

    code: IssueCode
    message: str
    backend_code: str | None = None
    http_status: int | None = None
    fields: tuple[str, ...] = field(default_factory=tuple)
    retry_after: float | None = None
    detail: str | None = None
    source: Source | None = None
    service_down: bool = False
    words: tuple[str, tuple[tuple[str, Any], ...]] | None = None

    @property
    def is_mailbox_level(self) -> bool:
        return self.code in MAILBOX_LEVEL_CODES

    @property
    def ends_run(self) -> bool:
        """Whether no other item can sync either: stop the run rather than mark the item."""
        return self.is_mailbox_level or self.service_down


def stored_words(classification: Classification) -> dict[str, Any] | None:
    """What a row keeps of ``classification``'s own words (``{"id": ..., "values": {...}}``),
    ``None`` for a backend's."""
    if classification.words is None:
        return None
    text, values = classification.words
    return own_words(text, dict(values))


def own_words(text: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a row keeps of the product's own sentence ``text`` (marked ``N_``) with ``values``,
    for :func:`in_words` to word in each reader's language."""
    return {"id": text, "values": dict(values or {})}


def in_words(words: dict[str, Any] | None, said: str | None) -> str | None:
    """Stored ``words`` in the language of the moment; ``said`` (the English, or what a backend
    said) when there are none, or when a translation's placeholders no longer fit."""
    if isinstance(words, dict) and isinstance(words.get("id"), str):
        try:
            return gettext(words["id"]) % (words.get("values") or {})
        except (KeyError, TypeError, ValueError):
            pass
    return said


def ours(
    code: IssueCode, text: str, values: dict[str, Any] | None = None, **details: Any
) -> Classification:
    """A classification whose message the product writes itself: ``text`` is English, marked
    for the catalogues (``N_``), and ``values`` fill its placeholders."""
    values = values or {}
    return Classification(code, text % values, words=catalogue_words(text, values), **details)


def catalogue_words(text: str, values: dict[str, Any]) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """``Classification.words`` of ``text`` (marked ``N_``) with ``values``."""
    return text, tuple(sorted(values.items()))


class SyncError(Exception):
    """A classified failure on its way through the engine."""

    def __init__(self, classification: Classification) -> None:
        super().__init__(f"{classification.code}: {classification.message}")
        self.classification = classification

    @property
    def code(self) -> IssueCode:
        return self.classification.code

    @classmethod
    def of(cls, code: IssueCode, message: str, **details: object) -> SyncError:
        return cls(Classification(code, message, **details))  # type: ignore[arg-type]


class ServiceUnavailable(SyncError):
    """A service stopped answering: the run gives up on it (see ``backend.sync.service_guard``)."""

"""Every call that leaves the server is bounded, and a call that got no answer is named.

:class:`Timeouts` is what each client library is given: a few seconds to connect, tens of
seconds for each answer (``CONNECT_TIMEOUT_SECONDS`` and ``READ_TIMEOUT_SECONDS``).
:func:`no_answer` tells, from whatever a client library raised, whether the other side never
answered and how: it did not answer in time, refused the connection, or could not be reached at
all. Such a failure says something about the service, not about the item or the sign-in; the
circuit of :mod:`backend.sync.circuit` and the words people read are built on it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from enum import StrEnum

import httplib2
import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ProtocolError
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

from backend.text import N_


@dataclass(frozen=True)
class Timeouts:
    """How long an outgoing call may take.

    Attributes:
        connect: seconds to open the connection.
        read: seconds to wait for each part of the answer.
    """

    connect: float = 5.0
    read: float = 30.0

    @property
    def pair(self) -> tuple[float, float]:
        """``(connect, read)``, as ``requests`` takes it."""
        return (self.connect, self.read)


class NoAnswer(StrEnum):
    """How a call failed to get an answer."""

    TIMED_OUT = "TIMED_OUT"
    """Connected, but the answer did not come in time."""
    NO_CONNECTION = "NO_CONNECTION"
    """The connection was not accepted in time."""
    REFUSED = "REFUSED"
    """Nothing listens there: the connection was refused."""
    UNREACHABLE = "UNREACHABLE"
    """Name not found, connection reset or dropped: no answer came."""


def _chain(error: BaseException) -> list[BaseException]:
    """``error``, what it was raised from, and what those wrap (urllib3 keeps a ``reason``)."""
    seen: list[BaseException] = []
    waiting = [error]
    while waiting and len(seen) < 12:
        current = waiting.pop(0)
        if current in seen:
            continue
        seen.append(current)
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException):
                waiting.append(linked)
        waiting.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return seen


def _kind(error: BaseException) -> NoAnswer | None:
    if isinstance(error, NewConnectionError):  # urllib3 derives it from ConnectTimeoutError
        return NoAnswer.UNREACHABLE
    if isinstance(error, requests.ConnectTimeout | ConnectTimeoutError):
        return NoAnswer.NO_CONNECTION
    if isinstance(error, requests.ReadTimeout | Urllib3ReadTimeout | TimeoutError):
        return NoAnswer.TIMED_OUT
    if isinstance(error, ConnectionRefusedError):
        return NoAnswer.REFUSED
    if isinstance(error, socket.gaierror | ConnectionError | ProtocolError):
        return NoAnswer.UNREACHABLE
    if isinstance(error, httplib2.ServerNotFoundError):
        return NoAnswer.UNREACHABLE
    return None


def no_answer(error: BaseException) -> NoAnswer | None:
    """Whether ``error`` (or what it wraps) means the service never answered, and how.

    The most telling cause wins: a refusal or a timeout found anywhere in the chain names the
    failure even when a library wrapped it in its own error (exchangelib's
    ``ErrorTimeoutExpired``, requests' ``ConnectionError``).

    Args:
        error: what a client library raised.

    Returns:
        The kind of missing answer, or ``None`` when the service did answer (an HTTP error, a
        refusal in its own words) or the failure is ours.
    """
    kinds = {kind for kind in map(_kind, _chain(error)) if kind is not None}
    for kind in (NoAnswer.REFUSED, NoAnswer.NO_CONNECTION, NoAnswer.TIMED_OUT):
        if kind in kinds:
            return kind
    if kinds or isinstance(error, requests.ConnectionError):
        return NoAnswer.UNREACHABLE
    return None


def unanswered(service: str, kind: NoAnswer, timeouts: Timeouts) -> tuple[str, dict[str, str]]:
    """What a person reads when ``service`` gave no answer of ``kind``: the sentence (English,
    marked for the catalogues) and its values, without any exception text.

    Args:
        service: the service's name as people know it ("SAP Cloud for Customer").
        kind: how the call failed.
        timeouts: the limits the call ran with.
    """
    match kind:
        case NoAnswer.TIMED_OUT:
            seconds = f"{timeouts.read:g}"
            return N_("%(service)s did not answer within %(seconds)s s"), {
                "service": service, "seconds": seconds,
            }  # fmt: skip
        case NoAnswer.NO_CONNECTION:
            seconds = f"{timeouts.connect:g}"
            return N_("%(service)s did not accept a connection within %(seconds)s s"), {
                "service": service, "seconds": seconds,
            }  # fmt: skip
        case NoAnswer.REFUSED:
            text = N_("%(service)s refused the connection: it is down or not at its address")
            return text, {"service": service}
    return N_("%(service)s could not be reached"), {"service": service}

"""A change counter with sync tokens, as Calendar and People hand them out.

Every change gets the next number; a token names the last number a client has seen and the
counter's epoch. :meth:`ChangeLog.expire` starts a new epoch, so tokens handed out before are
refused, each API with its own answer (Calendar 410, People 400).
"""

from __future__ import annotations

import base64
import itertools

from emulators.google.errors import GoogleError


class ChangeLog:
    """Numbers changes and turns "everything up to now" into a token and back.

    Args:
        refusal: what a stale or foreign token is answered with.
    """

    def __init__(self, refusal: GoogleError) -> None:
        self._numbers = itertools.count(1)
        self._refusal = refusal
        self.epoch = 0
        self.last = 0

    def next(self) -> int:
        self.last = next(self._numbers)
        return self.last

    def expire(self) -> None:
        """Refuse every token handed out so far."""
        self.epoch += 1

    def token(self) -> str:
        return base64.urlsafe_b64encode(f"{self.epoch}:{self.last}".encode()).decode()

    def since(self, token: str) -> int:
        """The last change number ``token`` has seen.

        Raises:
            GoogleError: the refusal, for a token of an earlier epoch or not one of ours.
        """
        try:
            epoch, change = base64.urlsafe_b64decode(token.encode()).decode().split(":")
            if int(epoch) == self.epoch:
                return int(change)
        except ValueError:
            pass
        raise self._refusal

"""One outage is detected once per tenant: a circuit per tenant and service, kept in Redis.

- **closed**: no outage known; every run talks to the service.
- **open**: a run gave up on the service for want of an answer; until ``CIRCUIT_OPEN_SECONDS``
  have passed, every run of the tenant skips it at once instead of waiting out its timeouts.
- **half-open**: the back-off passed; the first run to ask takes the probe and talks to the
  service again while the others still skip it. Its first answer closes the circuit (the outage
  is over); no answer opens it again for another back-off.

The circuit keeps when the outage began, so "not answering since" survives re-openings. Redis
carries it, like the jobs: losing Redis only closes every circuit, and the next run finds out
again. If Redis cannot be reached the circuit counts as closed (the run's own give-up still
bounds what it waits).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEPT_SECONDS = 7 * 86400
"""An outage nobody probed for this long is forgotten (the tenant's runs stopped)."""


@dataclass(frozen=True)
class Outage:
    """An open (or half-open) circuit.

    Attributes:
        since: when the service stopped answering.
        until: when the back-off ends and one run may try again.
        reason: what a person reads about it.
    """

    since: datetime
    until: datetime
    reason: str


class Circuit:
    """The circuit of one tenant's service.

    Args:
        connection: Redis.
        tenant_id: the tenant.
        service: the service's key (``C4C``, ``EWS``).
        open_seconds: how long the tenant's runs skip the service after it stopped answering.
        clock: the current time in seconds since the epoch.
    """

    def __init__(
        self,
        connection: Redis,
        tenant_id: int,
        service: str,
        open_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = connection
        self._key = f"ssi:circuit:{tenant_id}:{service}"
        self._probe = f"{self._key}:probe"
        self._open_seconds = open_seconds
        self._clock = clock

    def outage(self) -> Outage | None:
        """The outage the circuit knows of, open or half-open; ``None`` when closed."""
        try:
            raw = self._redis.hgetall(self._key)
        except RedisError as error:
            log.warning("circuit %s unreadable, taken as closed: %s", self._key, error)
            return None
        if not raw:
            return None
        fields = {key.decode(): value.decode() for key, value in raw.items()}
        return Outage(
            since=_time(float(fields["since"])),
            until=_time(float(fields["until"])),
            reason=fields.get("reason", ""),
        )

    def admits(self, probe_seconds: float) -> tuple[bool, Outage | None]:
        """Whether a call may go to the service now, and the outage known, if any.

        When the back-off is over, only the caller that takes the probe (for ``probe_seconds``)
        is admitted; the others go on skipping the service.
        """
        outage = self.outage()
        if outage is None:
            return True, None
        if self._clock() < outage.until.timestamp():
            return False, outage
        try:
            probing = self._redis.set(self._probe, "1", nx=True, px=int(probe_seconds * 1000))
        except RedisError:
            return True, outage
        return bool(probing), outage

    def open(self, reason: str) -> Outage:
        """The service did not answer: skip it for the back-off period (again)."""
        now = self._clock()
        until = now + self._open_seconds
        try:
            with self._redis.pipeline() as pipe:
                pipe.hsetnx(self._key, "since", repr(now))
                pipe.hset(self._key, mapping={"until": repr(until), "reason": reason[:500]})
                pipe.expire(self._key, KEPT_SECONDS)
                pipe.delete(self._probe)
                pipe.execute()
        except RedisError as error:
            log.warning("circuit %s could not be opened: %s", self._key, error)
        log.warning("circuit %s open for %d s: %s", self._key, self._open_seconds, reason)
        return self.outage() or Outage(_time(now), _time(until), reason)

    def close(self) -> None:
        """The service answered: the outage is over."""
        try:
            removed = self._redis.delete(self._key, self._probe)
        except RedisError as error:
            log.warning("circuit %s could not be closed: %s", self._key, error)
            return
        if removed:
            log.info("circuit %s closed: the service answers again", self._key)


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)

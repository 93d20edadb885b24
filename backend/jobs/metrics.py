"""Prometheus metrics: what the runs did, and what is true now.

Counters and histograms of runs are kept in Redis, written by whichever process ran the job.
RQ runs every job in a work horse it forks for that job, so prometheus-client's multiprocess
files would leave one file per job (thousands an hour, each read at every scrape) and lose the
counts of a work horse killed mid-write; Redis is shared by every process already, and one
pipelined write per run costs one round trip. Gauges of the present (queues, workers, due
mailboxes and how late the oldest is, open issues, circuits) are read when Prometheus scrapes
``/metrics`` (:class:`Collector`); prometheus-client writes the exposition format.

Writing a metric never fails a run: a Redis that cannot be reached loses that run's counts.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector as BaseCollector
from prometheus_client.utils import floatToGoString
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import func, select
from sqlalchemy.engine import Engine as DatabaseEngine
from sqlalchemy.orm import Session

from backend.jobs import queues
from backend.jobs.due import due_conditions, stale_after
from backend.models import Issue, Mailbox, Notification, Run
from backend.sync.service_guard import Observation

log = logging.getLogger(__name__)

KEY = "ssi:metrics:"
TICK_KEY = "ssi:scheduler:tick"
"""When the due mailboxes were last looked for (a UNIX time), written by every tick."""
RUN_SECONDS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)
LAG_SECONDS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
PREFIX = "ssi_sync_"


def _field(values: Sequence[str]) -> str:
    return json.dumps(list(values), separators=(",", ":"))


def _observe(pipe, name: str, labels: Sequence[str], value: float, buckets: Sequence[float]):
    field = _field(labels)
    for bound in (*buckets, float("inf")):
        if value <= bound:
            pipe.hincrby(f"{KEY}{name}:buckets", f"{field}|{bound}", 1)
    pipe.hincrbyfloat(f"{KEY}{name}:sum", field, value)


def record_run(
    connection: Redis,
    run: Run,
    mail_system: str,
    observed: Iterable[Observation] = (),
    requests: Mapping[str, int] | None = None,
) -> None:
    """Count one finished run: its outcome, duration, items, requests to each service (``C4C``,
    ``EWS``...), failures and lag."""
    try:
        pipe = connection.pipeline(transaction=False)
        outcome = run.outcome.value
        pipe.hincrby(f"{KEY}runs", _field((outcome, mail_system)), 1)
        if run.finished_at is not None:
            seconds = (run.finished_at - run.started_at).total_seconds()
            _observe(pipe, "run_seconds", (mail_system,), seconds, RUN_SECONDS)
        if run.due_at is not None:
            lag = max(0.0, (run.started_at - run.due_at).total_seconds())
            _observe(pipe, "lag_seconds", (mail_system,), lag, LAG_SECONDS)
        written = run.created + run.updated + run.deleted
        pipe.hincrby(f"{KEY}items", _field(("read", mail_system)), run.items_read)
        pipe.hincrby(f"{KEY}items", _field(("written", mail_system)), written)
        for service, sent in (requests or {}).items():
            pipe.hincrby(f"{KEY}requests", _field((service,)), sent)
        if run.error_code is not None:
            source = run.error_source.value if run.error_source else "ENGINE"
            pipe.hincrby(f"{KEY}failures", _field((source, run.error_code.value)), 1)
        for seen in observed:
            if seen.gave_up is not None:
                pipe.hincrby(
                    f"{KEY}gave_up", _field((seen.service.key, seen.gave_up.code.value)), 1
                )
        pipe.execute()
    except RedisError as error:
        log.warning("metrics of run %s not kept: %s", run.id, error)


def tick(connection: Redis, now: float | None = None) -> None:
    """The scheduler's due-mailbox pass ran (what ``/readyz`` and the System page read)."""
    try:
        connection.set(TICK_KEY, repr(now if now is not None else time.time()))
    except RedisError as error:
        log.warning("scheduler tick not recorded: %s", error)


def last_tick(connection: Redis) -> float | None:
    raw = connection.get(TICK_KEY)
    return float(raw) if raw else None


def live_workers(connection: Redis) -> list[Worker]:
    """The RQ workers whose heartbeat is recent (a killed worker's entry lingers until its TTL)."""
    now = time.time()
    return [
        worker
        for worker in Worker.all(connection=connection)
        if worker.last_heartbeat is not None
        and now - worker.last_heartbeat.timestamp() <= worker.worker_ttl
    ]


def due_backlog(
    session: Session, now, interval: timedelta, tenant_id: int | None = None
) -> tuple[int, float]:
    """Mailboxes due and not yet queued or running (of one tenant, or all), and how late the
    oldest is."""
    query = select(func.count(), func.min(Mailbox.next_sync_at)).where(
        *due_conditions(now, stale_after(interval))
    )
    if tenant_id is not None:
        query = query.where(Mailbox.tenant_id == tenant_id)
    count, oldest = session.execute(query).one()
    return int(count), (now - oldest).total_seconds() if oldest is not None else 0.0


class Collector(BaseCollector):
    """Everything ``/metrics`` shows: the kept counters, and the present read at scrape time."""

    def __init__(
        self, connection: Redis, engine: DatabaseEngine, clock, interval: timedelta
    ) -> None:
        self.connection = connection
        self.engine = engine
        self.clock = clock
        self.interval = interval

    def collect(self) -> Iterator:
        yield from self._kept()
        yield from self._present()

    def _counter(self, name: str, doc: str, labels: list[str]) -> CounterMetricFamily:
        family = CounterMetricFamily(PREFIX + name, doc, labels=labels)
        for field, value in self.connection.hgetall(f"{KEY}{name}").items():
            family.add_metric(json.loads(field), float(value))
        return family

    def _histogram(
        self, name: str, doc: str, labels: list[str], bounds: Sequence[float]
    ) -> HistogramMetricFamily:
        """Each bucket (cumulative, as kept) for every label set seen, the empty ones as 0."""
        family = HistogramMetricFamily(PREFIX + name, doc, labels=labels)
        kept = {
            raw.decode(): float(value)
            for raw, value in self.connection.hgetall(f"{KEY}{name}:buckets").items()
        }
        for raw, total in self.connection.hgetall(f"{KEY}{name}:sum").items():
            field = raw.decode()
            buckets = [
                (floatToGoString(bound), kept.get(f"{field}|{bound}", 0.0))
                for bound in (*bounds, float("inf"))
            ]
            family.add_metric(json.loads(field), buckets, float(total))
        return family

    def _kept(self) -> Iterator:
        try:
            yield self._counter("runs", "Runs by outcome and mail system.",
                                ["outcome", "mail_system"])  # fmt: skip
            yield self._histogram("run_seconds", "How long runs took.", ["mail_system"],
                                  RUN_SECONDS)  # fmt: skip
            yield self._histogram("lag_seconds", "How late scheduled runs started after they "
                                  "were due (scheduling lag).", ["mail_system"],
                                  LAG_SECONDS)  # fmt: skip
            yield self._counter("items", "Items read, and written to either side, by runs.",
                                ["direction", "mail_system"])  # fmt: skip
            yield self._counter("requests", "Requests runs sent, by service (C4C, EWS, GRAPH, "
                                "GMAIL).", ["service"])  # fmt: skip
            yield self._counter("failures", "Failed runs by service and classification.",
                                ["service", "classification"])  # fmt: skip
            yield self._counter("gave_up", "Runs that gave up on a service that did not answer.",
                                ["service", "classification"])  # fmt: skip
        except RedisError as error:
            log.warning("kept metrics unreadable: %s", error)

    def _present(self) -> Iterator:
        now = self.clock()
        try:
            depth = GaugeMetricFamily(PREFIX + "queue_depth", "Jobs waiting per queue.",
                                      labels=["queue"])  # fmt: skip
            for name in queues.ALL:
                depth.add_metric([name], queues.queue(name, self.connection).count)
            yield depth
            yield GaugeMetricFamily(PREFIX + "workers", "RQ workers alive (recent heartbeat).",
                                    value=len(live_workers(self.connection)))  # fmt: skip
            ticked = last_tick(self.connection)
            if ticked is not None:
                yield GaugeMetricFamily(PREFIX + "scheduler_last_tick_timestamp_seconds",
                                        "When due mailboxes were last looked for.",
                                        value=ticked)  # fmt: skip
            yield self._circuits()
        except RedisError as error:
            log.warning("queue metrics unreadable: %s", error)
        with Session(self.engine) as session:
            yield from self._database(session, now)

    def _circuits(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(PREFIX + "circuit_open", "Open circuits per tenant and "
                                   "service (1: runs skip the service).",
                                   labels=["tenant", "service"])  # fmt: skip
        for key in self.connection.scan_iter("ssi:circuit:*", count=500):
            parts = key.decode().split(":")
            if len(parts) == 4:
                family.add_metric([parts[2], parts[3]], 1)
        return family

    def _database(self, session: Session, now) -> Iterator:
        count, oldest = due_backlog(session, now, self.interval)
        words = "Mailboxes due, not yet queued or running."
        yield GaugeMetricFamily(PREFIX + "due_mailboxes", words, value=count)
        words = "How late the longest-waiting of them is (the scheduling lag now)."
        yield GaugeMetricFamily(PREFIX + "oldest_due_seconds", words, value=oldest)
        mailboxes = GaugeMetricFamily(PREFIX + "mailboxes", "Mailboxes by health status.",
                                      labels=["status"])  # fmt: skip
        for found, number in session.execute(
            select(Mailbox.status, func.count()).group_by(Mailbox.status)
        ):
            mailboxes.add_metric([found.value], number)
        yield mailboxes
        issues = GaugeMetricFamily(PREFIX + "open_issues", "Open issues by code and item type.",
                                   labels=["code", "item_type"])  # fmt: skip
        for code, item_type, number in session.execute(
            select(Issue.code, Issue.item_type, func.count())
            .where(Issue.resolved_at.is_(None))
            .group_by(Issue.code, Issue.item_type)
        ):
            issues.add_metric([code.value, item_type.value if item_type else ""], number)
        yield issues
        notices = GaugeMetricFamily(PREFIX + "notifications", "Notifications kept, by kind and "
                                    "whether they went out.", labels=["kind", "state"])  # fmt: skip
        for kind, sent, number in session.execute(
            select(Notification.kind, Notification.sent_at.is_not(None), func.count()).group_by(
                Notification.kind, Notification.sent_at.is_not(None)
            )
        ):
            notices.add_metric([kind.value, "sent" if sent else "unsent"], number)
        yield notices

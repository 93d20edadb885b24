"""Liveness (``/healthz``), readiness (``/readyz``) and Prometheus metrics (``/metrics``).

``/readyz`` checks that the database and Redis answer and, with ``READYZ_JOBS`` (on in
production), that a worker is alive and the scheduler looked for due mailboxes within three
ticks: a product that serves pages but syncs nothing is not ready. ``/metrics`` answers only
with ``Authorization: Bearer <METRICS_TOKEN>`` (and not at all while that is unset).

Both are public, so they say only ``ok`` or ``failing`` per dependency: what failed, with
the server's own words (hosts, ports, user names), goes to the log and to key users on the
admin panel's System page (:func:`dependency_problems`).
"""

from __future__ import annotations

import hmac
import logging
import time
from datetime import timedelta

import redis
from flask import Blueprint, Response, abort, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import Resources, resources
from backend.jobs import metrics, schedule
from backend.storage.db import utcnow

log = logging.getLogger(__name__)

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> tuple[Response, int]:
    found = resources()
    problems = dependency_problems(found)
    if found.settings.readyz_jobs and not problems["redis"]:
        problems.update(job_problems(found))
    checks = {name: "failing" if problem else "ok" for name, problem in problems.items()}
    failing = {name: problem for name, problem in problems.items() if problem}
    if failing:
        log.warning("not ready: %s", "; ".join(f"{n}: {p}" for n, p in failing.items()))
        return jsonify(status="unavailable", checks=checks), 503
    return jsonify(status="ready", checks=checks), 200


@health.get("/metrics")
def prometheus() -> Response:
    token = resources().settings.metrics_token
    if token is None:
        abort(404)
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(offered.encode(), token.encode()):
        return Response("metrics need the bearer token\n", 401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})  # fmt: skip
    found = resources()
    registry = CollectorRegistry(auto_describe=False)
    interval = timedelta(seconds=found.settings.sync_interval_seconds)
    registry.register(metrics.Collector(found.redis, found.engine, utcnow, interval))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


TICK_SECONDS = schedule.PERIODIC[0].every_seconds
"""How often the scheduler looks for due mailboxes."""


def job_problems(found: Resources) -> dict[str, str | None]:
    """Whether workers are alive and the scheduler ticks, each problem in plain words."""
    problems: dict[str, str | None] = {"workers": None, "scheduler": None}
    try:
        if not metrics.live_workers(found.redis):
            problems["workers"] = "no worker is running: nothing syncs (start flask worker)"
        ticked = metrics.last_tick(found.redis)
    except (redis.RedisError, OSError) as error:
        return {name: _first_line(error) for name in problems}
    late = None if ticked is None else time.time() - ticked
    if late is None or late > 3 * TICK_SECONDS:
        since = "never" if late is None else f"{int(late)} s ago"
        problems["scheduler"] = (
            f"due mailboxes were last looked for {since}: start flask scheduler (and a worker)"
        )
    return problems


def dependency_problems(found: Resources) -> dict[str, str | None]:
    """Each dependency's problem in the first line of its error, ``None`` when it answers."""
    problems: dict[str, str | None] = {"database": None, "redis": None}
    try:
        with found.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        problems["database"] = _first_line(error)
    try:
        probe = redis.Redis.from_url(found.redis_url, socket_connect_timeout=2, socket_timeout=2)
        probe.ping()
        probe.close()
    except (redis.RedisError, OSError) as error:
        problems["redis"] = _first_line(error)
    return problems


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

"""Liveness (``/healthz``) and readiness (``/readyz``: database and Redis reachable).

Both are public, so they say only ``ok`` or ``failing`` per dependency: what failed, with
the server's own words (hosts, ports, user names), goes to the log and to key users on the
admin panel's System page (:func:`dependency_problems`).
"""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import Resources, resources

log = logging.getLogger(__name__)

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> tuple[Response, int]:
    problems = dependency_problems(resources())
    checks = {name: "failing" if problem else "ok" for name, problem in problems.items()}
    failing = {name: problem for name, problem in problems.items() if problem}
    if failing:
        log.warning("not ready: %s", "; ".join(f"{n}: {p}" for n, p in failing.items()))
        return jsonify(status="unavailable", checks=checks), 503
    return jsonify(status="ready", checks=checks), 200


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

"""Liveness (``/healthz``) and readiness (``/readyz``: database and Redis reachable)."""

from __future__ import annotations

import redis
from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import resources

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@health.get("/readyz")
def readyz() -> tuple[Response, int]:
    found = resources()
    problems: dict[str, str] = {}
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
    if problems:
        return jsonify(status="unavailable", problems=problems), 503
    return jsonify(status="ready", checks={"database": "ok", "redis": "ok"}), 200


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

"""A scratch instance of the app for a benchmark: a SQLite file and an embedded Redis in a folder
of its own, or the servers ``DATABASE_URL`` and ``REDIS_URL`` name; migrated and emptied."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from backend import create_app
from backend.extensions import Resources
from backend.storage import schema


def scratch_app(folder: Path, log_level: str = "ERROR") -> Flask:
    config = {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}",
        "INSTANCE_PATH": str(folder / "instance"),
        "LOG_LEVEL": log_level,
    }
    if os.environ.get("REDIS_URL"):
        config["REDIS_URL"] = os.environ["REDIS_URL"]
    app = create_app(config)
    found: Resources = app.extensions["ssi"]
    schema.upgrade(found.engine)
    found.redis.flushdb()
    return app

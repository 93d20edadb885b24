"""Queue names and access. ``sync`` carries mailbox runs; ``default`` periodic upkeep."""

from __future__ import annotations

from redis import Redis
from rq import Queue

SYNC = "sync"
DEFAULT = "default"
ALL = (SYNC, DEFAULT)


def queue(name: str, connection: Redis) -> Queue:
    return Queue(name, connection=connection)

"""The related objects the Save dialog offered for an issue: the only ones a save may link.

A search remembers the ``ObjectID`` of each candidate it answered (in Redis, per issue, for an
hour). A save's ``related_id`` must have C4C's shape (32 hexadecimal characters) and be one of
them, or the object the item is linked to already: an id typed into a request, or a path
dressed up as one, never reaches C4C, which is read with the integration user's credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from redis import Redis

OBJECT_ID = re.compile(r"^[0-9A-Fa-f]{32}$")
"""What a C4C ``ObjectID`` looks like."""
KEPT_SECONDS = 3600
"""How long a search's candidates may be picked (as long as a Gmail card's buttons work)."""


def _key(issue_id: int) -> str:
    return f"savedialog:offered:{issue_id}"


def remember(redis: Redis, issue_id: int, object_ids: Iterable[str]) -> None:
    """Note the candidates a search offered for ``issue_id``.

    Args:
        redis: where they are kept.
        issue_id: the issue whose dialog searched.
        object_ids: the candidates' ``ObjectID``.
    """
    found = [object_id.upper() for object_id in object_ids if OBJECT_ID.match(object_id)]
    if found:
        with redis.pipeline() as pipe:
            pipe.sadd(_key(issue_id), *found)
            pipe.expire(_key(issue_id), KEPT_SECONDS)
            pipe.execute()


def may_link(redis: Redis, issue_id: int, object_id: str, linked: str | None) -> bool:
    """Whether a save of ``issue_id`` may link ``object_id``.

    Args:
        redis: where the offered candidates are kept.
        issue_id: the issue being saved.
        object_id: the ``related_id`` sent.
        linked: the ``ObjectID`` the item is linked to now, if any.

    Returns:
        True for an id of C4C's shape that a search offered for this issue, or that is the
        current link.
    """
    if not OBJECT_ID.match(object_id):
        return False
    if linked and object_id.upper() == linked.upper():
        return True
    return bool(redis.sismember(_key(issue_id), object_id.upper()))

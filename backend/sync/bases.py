"""The mailbox's versions of the items a type's plan writes over, read together.

A change from C4C is written over the mailbox's version of its item, read just before (what
the mapping does not hold is kept from it, and its change key makes the write refuse an edit
made meanwhile), and a retry reads its item again. Read one a request, ten changes cost ten
reads besides their ten writes. :class:`MailboxBases` reads them ``READ_TOGETHER`` at a time,
in the few requests the mail system allows (:meth:`MailboxProvider.get_many`: one GetItem, JSON
batches of twenty, ``people:batchGet``), as the first of them is needed; each write takes its
own in turn.

What was not read together (gone, refused, a read that failed as a whole, an API that reads an
item a request) is read alone by its write, as before: the error it meets there is the item's.
"""

from __future__ import annotations

import logging

from backend.mailbox.base import ItemRecord, MailboxProvider
from backend.models.types import ItemType

READ_TOGETHER = 200
"""Items read in one go: reads stay near their writes, and a run holds no more of them."""

log = logging.getLogger(__name__)


class MailboxBases:
    """The mailbox's version of each of ``item_ids`` (in the order the plan takes them), read
    together as the first of each ``READ_TOGETHER`` is taken."""

    def __init__(self, provider: MailboxProvider, item_type: ItemType, item_ids: list[str]):
        self._provider = provider
        self._type = item_type
        self._ids = item_ids
        self._at = {item_id: position for position, item_id in enumerate(item_ids)}
        self._read: dict[str, ItemRecord] = {}
        self._end = 0
        """Where the ids read so far end."""

    def take(self, item_id: str) -> ItemRecord | None:
        """The item as read together with the next ones; ``None`` when it was not (read it
        alone: what it meets is its own)."""
        position = self._at.get(item_id)
        if position is None:
            return None
        if position >= self._end:
            self._read_from(position)
        return self._read.pop(item_id, None)

    def _read_from(self, position: int) -> None:
        window = self._ids[position : position + READ_TOGETHER]
        self._end = position + len(window)
        self._read = {}  # any not taken before were passed over by their steps
        if len(window) < 2:
            return  # one item is one request either way
        try:
            self._read = self._provider.get_many(self._type, window)
        except Exception as error:  # each write reads its item alone, and meets its own error
            log.info("%s: %d items not read together (%s)", self._type.value, len(window),
                     type(error).__name__)  # fmt: skip

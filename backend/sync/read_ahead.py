"""The tenant's C4C feeds read while the run reads the mailbox.

A run reads, for each item type, the mailbox's changes and then the tenant's C4C feed of the
type (:func:`backend.sync.feed.refresh`): one after the other, each waiting on its service. Both
are reads with nothing between them, so on a database that takes writers side by side
(PostgreSQL) a thread of the run reads the feeds the run will need, in the order of its types,
while the run's own thread reads the mailbox. The thread has a session (a connection) of its
own: a feed read writes only the tenant's feed (its records and position), committed page by
page as before, which the run's own thread only reads. The run takes each feed when its type
needs it, and meets a feed read's failure there, as it would have read it itself.

The run's own requests to C4C (its writes, their pairing look-ups, the versions of failed items)
wait until the thread has read every feed: C4C hears a run's reads, then its writes, in the
same order each time.

Each feed is still read by one reader per tenant at a time (the thread takes the same lock as
before, and holds no other while it waits for it), and the run's own thread takes no feed lock
while the thread reads: a run of the same tenant elsewhere waits on at most one lock held by a
reader that holds nothing else.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from backend.models import C4CFeed
from backend.sync import feed
from backend.sync.mapping import TypeMapping

THREAD_NAME = "c4c-feed-read"

Read = Callable[[Session, TypeMapping, Callable[[], bool]], C4CFeed]
"""How one feed is read: ``read(session, mapping, stopping)``, the read cut short between pages
once ``stopping()``."""


def side_by_side(session: Session) -> bool:
    """Whether a second session can write while the run's transaction is open: the session is
    bound to an engine (not to one connection) of a database that takes writers side by side
    (SQLite takes one at a time: a thread that writes while the run waits on it would wait for
    the run)."""
    bind = session.get_bind()
    return isinstance(bind, Engine) and bind.dialect.name != "sqlite"


class ReadAhead:
    """``read`` applied to each of ``mappings`` in order, in a thread with a session of its own.

    Args:
        sessions: makes the thread's session (closed when it is done).
        tenant_id: whose feeds they are (read from the database in one query first).
        read: reads one feed (:data:`Read`).
        mappings: the types whose feeds the run needs, in the order it needs them.
    """

    def __init__(
        self,
        sessions: Callable[[], Session],
        tenant_id: int,
        read: Read,
        mappings: list[TypeMapping],
    ) -> None:
        self._sessions = sessions
        self._tenant_id = tenant_id
        self._read = read
        self._mappings = mappings
        self._read_feeds: dict[str, Future[C4CFeed | None]] = {
            mapping.entity_set: Future() for mapping in mappings
        }
        self._stop = threading.Event()
        self._loaded: list[C4CFeed] = []
        context = contextvars.copy_context()  # the thread's logs name the run
        self._thread = threading.Thread(
            target=context.run, args=(self._work,), name=THREAD_NAME, daemon=True
        )

    def start(self) -> ReadAhead:
        self._thread.start()
        return self

    def feed(self, entity_set: str) -> C4CFeed | None:
        """The feed of ``entity_set`` as read (detached from any session), once it is; ``None``
        if the thread did not read it (not asked for, or it stopped before).

        Raises:
            Exception: what reading it raised.
        """
        read = self._read_feeds.get(entity_set)
        return None if read is None else read.result()

    def finish(self) -> None:
        """Wait until every feed is read (or the thread stopped), whatever the outcomes."""
        wait(self._read_feeds.values())

    def close(self) -> None:
        """Read no further feed, cut the one being read short after its page, and wait for the
        thread: nothing of the run goes on after it."""
        self._stop.set()
        self._thread.join()

    def _work(self) -> None:
        try:
            with self._sessions() as session:
                # Each read finds its feed's row in the session (the list keeps them there).
                self._loaded = feed.load(session, self._tenant_id)
                for mapping in self._mappings:
                    if self._stop.is_set():
                        break
                    self._read_one(session, mapping)
        except Exception as error:  # the session itself failed: each feed not read meets it
            for read in self._read_feeds.values():
                if not read.done():
                    read.set_exception(error)
        finally:
            for read in self._read_feeds.values():
                if not read.done():
                    read.set_result(None)

    def _read_one(self, session: Session, mapping: TypeMapping) -> None:
        read = self._read_feeds[mapping.entity_set]
        try:
            kept = self._read(session, mapping, self._stop.is_set)
            if self._stop.is_set():  # cut short: what was read is kept, not handed over
                read.set_result(None)
                return
            # A read that found the lock held too long, or whose statistics were left to
            # autovacuum, returns its feed expired: load it before it leaves the session.
            if inspect(kept).expired_attributes:
                session.refresh(kept)
            session.expunge(kept)
        except Exception as error:
            read.set_exception(error)
            self._stop.set()  # the run ends where it meets this: read nothing more
            session.rollback()
            return
        read.set_result(kept)

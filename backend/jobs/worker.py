"""The RQ worker the ``flask worker`` command runs.

RQ's worker listens for commands (``rq`` shutdown, kill-horse) on a Redis channel in a thread
that waits up to a minute for each message. On a warm shut-down it unsubscribes, then waits for
that thread, which newer redis-py clients do until the thread wakes: up to a minute for every
stop. This worker's thread wakes every second, so SIGTERM ends it at once.

RQ installs its signal handlers only once the worker has registered and subscribed, so a SIGTERM
in between (a deployment stopping a worker that has just started) would kill it without its
clean-up. This worker asks to stop instead, and leaves before taking its first job.

RQ stops an idle worker by raising from the signal handler wherever the worker happens to be; in
the middle of a Redis command (cleaning registries, a heartbeat) that can leave the connection
waiting for an answer nobody reads, and the worker never ends. This worker raises only while it
waits for a job (the blocking pop, where nothing is half-done); anywhere else it notes the stop,
and the next wait ends before it starts.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rq import Queue, Worker
from rq.exceptions import StopRequested
from rq.worker import WorkerStatus

LISTEN_SECONDS = 1.0

_stopping = threading.Event()
"""A stop was asked for (one worker per process)."""
_waiting = threading.Event()
"""The worker is blocked waiting for a job: a stop may interrupt it there."""


class _InterruptibleQueue(Queue):
    """RQ's queue, whose blocking pops end at once when the worker is asked to stop."""

    @classmethod
    def lpop(cls, *args: Any, **kwargs: Any) -> Any:
        with _waiting_for_a_job():
            return super().lpop(*args, **kwargs)

    @classmethod
    def lmove(cls, *args: Any, **kwargs: Any) -> Any:
        with _waiting_for_a_job():
            return super().lmove(*args, **kwargs)


@contextmanager
def _waiting_for_a_job() -> Iterator[None]:
    """Mark the blocking pop as the place a stop may interrupt; a stop asked for before it
    begins ends it at once."""
    _waiting.set()
    try:
        if _stopping.is_set():
            raise StopRequested
        yield
    finally:
        _waiting.clear()


class SyncWorker(Worker):
    """RQ's worker, stoppable cleanly from its first moment and within :data:`LISTEN_SECONDS`."""

    queue_class = _InterruptibleQueue

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        signal.signal(signal.SIGTERM, self._stop_while_starting)
        signal.signal(signal.SIGINT, self._stop_while_starting)
        super().bootstrap(*args, **kwargs)

    def _stop_while_starting(self, signum: int, frame: Any) -> None:
        self.log.info("Worker %s: asked to stop while starting", self.name)
        self._stop_requested = True
        _stopping.set()

    def request_stop(self, signum: int, frame: Any) -> None:
        if self.get_state() == WorkerStatus.BUSY or _waiting.is_set():
            super().request_stop(signum, frame)  # waits for the job, or ends the wait now
            return
        self.log.info("Worker %s: warm shut down requested", self.name)
        signal.signal(signal.SIGINT, self.request_force_stop)
        signal.signal(signal.SIGTERM, self.request_force_stop)
        self._stop_requested = True
        _stopping.set()

    def subscribe(self) -> None:
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=LISTEN_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )

"""The RQ worker the ``flask worker`` command runs.

RQ's worker listens for commands (``rq`` shutdown, kill-horse) on a Redis channel in a thread
that waits up to a minute for each message. On a warm shut-down it unsubscribes, then waits for
that thread, which newer redis-py clients do until the thread wakes: up to a minute for every
stop. This worker's thread wakes every second, so SIGTERM ends it at once.

RQ installs its signal handlers only once the worker has registered and subscribed, so a SIGTERM
in between (a deployment stopping a worker that has just started) would kill it without its
clean-up. This worker asks to stop instead, and leaves before taking its first job.
"""

from __future__ import annotations

import signal
from typing import Any

from rq import Worker

LISTEN_SECONDS = 1.0


class SyncWorker(Worker):
    """RQ's worker, stoppable cleanly from its first moment and within :data:`LISTEN_SECONDS`."""

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        signal.signal(signal.SIGTERM, self._stop_while_starting)
        signal.signal(signal.SIGINT, self._stop_while_starting)
        super().bootstrap(*args, **kwargs)

    def _stop_while_starting(self, signum: int, frame: Any) -> None:
        self.log.info("Worker %s: asked to stop while starting", self.name)
        self._stop_requested = True

    def subscribe(self) -> None:
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=LISTEN_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )

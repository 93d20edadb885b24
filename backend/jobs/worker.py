"""The RQ worker the ``flask worker`` command runs.

RQ's worker listens for commands (``rq`` shutdown, kill-horse) on a Redis channel in a thread
that waits up to a minute for each message. On a warm shut-down it unsubscribes, then waits for
that thread, which newer redis-py clients do until the thread wakes: up to a minute for every
stop. This worker's thread wakes every second, so SIGTERM ends it at once.
"""

from __future__ import annotations

from rq import Worker

LISTEN_SECONDS = 1.0


class SyncWorker(Worker):
    """RQ's worker, whose command listener stops within :data:`LISTEN_SECONDS`."""

    def subscribe(self) -> None:
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=LISTEN_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )

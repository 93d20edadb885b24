"""What every emulator shares: an in-process HTTP server, a request log and fault injection.

Each emulator is a Flask app wrapped by :class:`Emulator`, which records every request and can
answer the next N requests that match a method and path with a fault instead of the real answer:
a status (with ``Retry-After`` or a body), a delay, a dropped connection, or a request taken in
and never answered (as a server that accepts connections but whose application hangs). It can
also go down (its port refuses connections) and come back, and it counts the most requests it
took at once (:class:`Overlap`: a client's requests in flight together). Tests use the Python API; a
standalone emulator exposes the faults and the log through ``/_emulator/faults`` and
``/_emulator/requests``.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

StartResponse = Callable[..., Any]


class ServerClock:
    """A server's time in UTC, to the second as Exchange and Graph keep change times (or to the
    microsecond, as Google does).

    A test moves it on with :meth:`advance` rather than waiting for the next second.
    """

    def __init__(self, *, whole_seconds: bool = True) -> None:
        self.offset = timedelta()
        self.whole_seconds = whole_seconds

    def __call__(self) -> datetime:
        moment = datetime.now(UTC) + self.offset
        return moment.replace(microsecond=0) if self.whole_seconds else moment

    def advance(self, seconds: int = 1) -> None:
        self.offset += timedelta(seconds=seconds)


KEEP_ALIVE = "X-Emulator-Keep-Alive"
"""A header an emulated app sets to keep the connection open after its answer (the header
itself is not sent): for handshakes bound to a connection, such as NTLM's."""


class _NoDrain:
    """The request stream while a kept-alive answer is written.

    After each answer werkzeug reads whatever the client sent meanwhile and throws it away (it
    closes every connection, so that can only be an unread body). On a kept-alive connection that
    would be the client's next request: its read gets nothing instead.
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        return b""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class _CloseHandler(WSGIRequestHandler):
    """Werkzeug's handler, announcing its closed connections as ``Connection: Close``.

    Werkzeug closes every connection after one response and says ``Connection: close``. Real
    services (IIS in front of Exchange) keep connections alive and send no such header, and
    exchangelib reads exactly ``close`` on an error answer as "server busy", hiding a 401. The
    token is case-insensitive for HTTP, so clients still see the close and open a new
    connection, while the status code stays what the client reacts to.
    """

    timeout = 30
    """Seconds a kept-alive connection may stay idle."""
    _keep_alive = False

    def send_header(self, keyword: str, value: str) -> None:
        if keyword == KEEP_ALIVE:
            self._keep_alive = True
            self.rfile = _NoDrain(self.rfile)
            return
        if keyword.lower() == "connection" and value == "close":
            if self._keep_alive:
                # Not sent: the connection stays open for the client's next request (the
                # emulator has read the whole request body, so the stream is where it should be).
                self._keep_alive = False
                return
            value = "Close"
        super().send_header(keyword, value)

    def log_error(self, text: str, *args: Any) -> None:
        if text.startswith("Request timed out"):
            return  # an idle kept-alive connection closing, as a server does without a word
        super().log_error(text, *args)

    def handle_one_request(self) -> None:
        if isinstance(self.rfile, _NoDrain):
            self.rfile = self.rfile.stream
        began = time.thread_time()
        try:
            super().handle_one_request()
        finally:
            self.server.app.cpu.add(time.thread_time() - began)  # the app is the Emulator

    def finish(self) -> None:
        if isinstance(self.rfile, _NoDrain):
            self.rfile = self.rfile.stream
        super().finish()
        closed = getattr(self.server.app, "connection_closed", None)
        if closed is not None:
            closed(self.client_address)


@dataclass
class Fault:
    """Answer the next ``times`` requests matching ``method`` and ``path`` (a regex) this way."""

    path: str = ".*"
    method: str = "*"
    times: int = 1
    status: int | None = None
    body: str = ""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    after_app: bool = False
    """Let the app do the work first, then wait ``delay`` and drop the answer: the server acted
    but the client never hears (a timeout or a reset after sending)."""
    containing: str = ""
    """Only requests whose body holds this text (an EWS operation, say) match."""
    hang: bool = False
    """Take the request in and never answer: the connection stays open and silent until the
    client gives up and closes it, or the emulator stops. With ``after_app`` the app does the
    work first (the server acted, the answer never comes)."""
    inside_batch: bool = False
    """Match the operations inside a batch request (each by its own method, path and body) instead
    of requests: the operation is answered with ``status``, ``headers`` and ``body`` within the
    batch's answer, as the service answers an operation it refuses. Emulators that read batches
    (C4C's ``$batch``) take these; only a status can be answered this way."""

    def __post_init__(self) -> None:
        if self.inside_batch and (
            self.status is None
            or self.status < 400
            or self.hang
            or self.drop
            or self.after_app
            or self.delay
        ):
            raise ValueError("a fault inside a batch answers with an error status, and only that")

    def matches(
        self, method: str, path: str, body: bytes = b"", inside_batch: bool = False
    ) -> bool:
        return (
            self.inside_batch is inside_batch
            and self.method in ("*", method)
            and re.search(self.path, path) is not None
            and self.containing.encode() in body
        )


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    fault: bool = False
    at: float = field(default_factory=time.monotonic)
    """When it was logged (``time.monotonic()``): as the request came, when a fault answers it
    (a fault's delay follows), else once the service answered."""


class RequestLog:
    """Every request an emulator received, in order; thread-safe."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """Logged requests, optionally only those with ``method`` and a path matching ``path``."""
        with self._lock:
            entries = list(self._entries)
        return [
            entry
            for entry in entries
            if (method is None or entry.method == method)
            and (path is None or re.search(path, entry.path))
        ]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return len(self.entries(method, path))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class FaultPlan:
    """Pending faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(
        self, method: str, path: str, body: bytes = b"", inside_batch: bool = False
    ) -> Fault | None:
        """The first pending fault for a request (or, ``inside_batch``, an operation of a batch)
        with this method, path and body, counted as used."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, body, inside_batch):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)


class Overlap:
    """How many requests the service is taking at once, and the most it took together."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self.now -= 1

    def reset(self) -> None:
        """Count the most from now on."""
        with self._lock:
            self.most = self.now


class CpuSpent:
    """The processor time the emulator's threads spent on requests, from reading one to
    answering it. A benchmark that runs the emulator in its own process tells the service's
    share of the process's time from its own with it."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds


class Emulator:
    """A Flask app served on 127.0.0.1 with a request log and fault injection.

    Args:
        app: the emulator's own Flask app.
        log_bodies: keep request bodies in the log (for assertions on what a client sent).
    """

    ADMIN_PREFIX = "/_emulator/"

    def __init__(self, app: Flask, *, log_bodies: bool = True) -> None:
        self.app = app
        self.log = RequestLog()
        self.faults = FaultPlan()
        self.log_bodies = log_bodies
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._held: socket.socket | None = None
        self.closing_hooks: list[Callable[[tuple[str, int]], None]] = []
        """Told the client's (address, port) when one of its connections closes."""
        self.latency = 0.0
        """Seconds every request waits before the service takes it, as a service across a
        network would keep its client waiting (benchmarks set it; the answers are unchanged)."""
        self.overlap = Overlap()
        self.cpu = CpuSpent()
        self._register_admin(app)

    # -- serving -----------------------------------------------------------------------------

    def start(self, port: int = 0, host: str = "127.0.0.1") -> Emulator:
        """Serve in a background thread; ``port=0`` picks a free port."""
        self._stopping.clear()
        self._server = make_server(host, port, self, threaded=True, request_handler=_CloseHandler)
        # A short poll makes stop() return at once rather than after up to half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve in the foreground (standalone mode) until interrupted."""
        self._server = make_server(host, port, self, threaded=True, request_handler=_CloseHandler)
        self._server.serve_forever()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def go_down(self) -> None:
        """A server that went down: connections to its port are refused until
        :meth:`come_back`. The port stays bound meanwhile (without listening), so nothing else
        takes it."""
        port = self.port
        self.stop()
        held = socket.socket()
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Connections a hanging answer kept open close as their threads see the stop: until
        # then the port is still in use.
        deadline = time.monotonic() + 5
        while True:
            try:
                held.bind(("127.0.0.1", port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    held.close()
                    raise
                time.sleep(0.05)
        self._held = held

    def come_back(self) -> None:
        """Serve again on the port :meth:`go_down` kept."""
        assert self._held is not None, "the emulator is not down"
        port = self._held.getsockname()[1]
        self._held.close()
        self._held = None
        self.start(port=port)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "the emulator is not running"
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connection_closed(self, client: tuple[str, int]) -> None:
        for hook in self.closing_hooks:
            hook(client)

    # -- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.ADMIN_PREFIX):
            return self.app(environ, start_response)
        with self.overlap:
            return self._serve(method, path, environ, start_response)

    def _serve(
        self, method: str, path: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if self.latency:
            time.sleep(self.latency)
        body = _read_body(environ)
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        query = environ.get("QUERY_STRING", "")
        fault = self.faults.take(method, path, body)
        if fault is not None:
            self.log.append(
                LoggedRequest(method, path, query, fault.status or 0, headers, body, fault=True)
            )
            return self._answer_fault(fault, environ, start_response)
        status_holder: list[int] = []

        def recording_start_response(status: str, *args: Any) -> Any:
            status_holder.append(int(status.split(" ", 1)[0]))
            return start_response(status, *args)

        result = self.app(environ, recording_start_response)
        chunks = list(result)
        if hasattr(result, "close"):
            result.close()
        self.log.append(
            LoggedRequest(
                method,
                path,
                query,
                status_holder[0] if status_holder else 0,
                headers,
                body if self.log_bodies else b"",
            )
        )
        return chunks

    def _answer_fault(
        self, fault: Fault, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if fault.after_app:
            list(self.app(environ, lambda *_args: None))
        if fault.hang:
            self._hold(environ.get("werkzeug.socket"))
            raise ConnectionAbortedError("held without an answer")  # the server's quiet path
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop or fault.after_app:
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            return []
        if fault.status is None:
            return self.app(environ, start_response)
        response = Response(fault.body, status=fault.status, content_type=fault.content_type)
        for name, value in fault.headers.items():
            response.headers[name] = value
        return response(environ, start_response)

    def _hold(self, connection: socket.socket | None) -> None:
        """Keep ``connection`` open and silent until the client closes it or the emulator stops,
        then close it without an answer."""
        while not self._stopping.wait(0.05):
            if connection is None or _closed_by_peer(connection):
                break
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    # -- admin endpoints (standalone mode) -----------------------------------------------------

    def _register_admin(self, app: Flask) -> None:
        prefix = self.ADMIN_PREFIX

        @app.post(f"{prefix}faults", endpoint="emulator_add_fault")
        def add_fault() -> Response:
            payload = request.get_json(force=True, silent=True)
            if not isinstance(payload, dict):
                return jsonify(error="expected a JSON object describing a fault"), 400
            try:
                fault = self.faults.add(Fault(**payload))
            except TypeError as error:
                return jsonify(error=str(error)), 400
            return jsonify(asdict(fault)), 201

        @app.delete(f"{prefix}faults", endpoint="emulator_clear_faults")
        def clear_faults() -> Response:
            self.faults.clear()
            return Response(status=204)

        @app.get(f"{prefix}requests", endpoint="emulator_requests")
        def list_requests() -> Response:
            entries = [
                {
                    "method": entry.method,
                    "path": entry.path,
                    "query": entry.query,
                    "status": entry.status,
                    "fault": entry.fault,
                }
                for entry in self.log.entries()
            ]
            return Response(json.dumps(entries), content_type="application/json")

        @app.delete(f"{prefix}requests", endpoint="emulator_clear_requests")
        def clear_requests() -> Response:
            self.log.clear()
            return Response(status=204)


def _closed_by_peer(connection: socket.socket) -> bool:
    """Whether the other end closed ``connection`` (it reads as end of file, or was reset)."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back so the app can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body

"""What a client changed on a service, read from the emulator's request log.

Each protocol says differently whether a request writes: C4C and Graph by method (Graph's JSON
batches and Google's multipart batches by the methods of their parts), EWS by the operation in
the SOAP body. Sign-in requests (token endpoints) change no data and are not counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from lxml import etree

from backend.models.run import Run, RunOutcome
from emulators.base import Emulator, LoggedRequest

READS = frozenset({"GET", "HEAD"})
EWS_READS = frozenset({
    "GetFolder", "FindFolder", "FindItem", "GetItem", "SyncFolderItems", "GetUserConfiguration",
    "ResolveNames", "GetServerTimeZones",
})  # fmt: skip
SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"
SIGN_IN = re.compile(r"/token$|/oauth2/")
PART_REQUEST = re.compile(rb"^(GET|POST|PUT|PATCH|DELETE) (\S+) HTTP/1\.1", re.MULTILINE)


def quiet_runs(sync_now: Callable[[], Run], *emulators: Emulator, rounds: int = 2) -> None:
    """Runs that each succeed, update nothing, open no issue and write nothing to any of
    ``emulators``."""
    for _round in range(rounds):
        for emulator in emulators:
            emulator.log.clear()
        run = sync_now()
        assert (run.outcome, run.updated, run.issues_opened) == (RunOutcome.SUCCEEDED, 0, 0), (
            run.error_message
        )
        written = {type(emulator).__name__: writes(emulator) for emulator in emulators}
        assert {name: sent for name, sent in written.items() if sent} == {}


def writes(emulator: Emulator) -> list[str]:
    """Every write the emulator received, as ``METHOD path`` (or the EWS operation)."""
    found: list[str] = []
    for entry in emulator.log.entries():
        found += writes_of(entry)
    return found


def writes_of(entry: LoggedRequest) -> list[str]:
    """What one logged request wrote (none for a read)."""
    if SIGN_IN.search(entry.path):
        return []
    if entry.path.endswith("/EWS/Exchange.asmx"):
        operation = _ews_operation(entry.body)
        return [] if operation in EWS_READS else [operation]
    if entry.method in READS:
        return []
    if entry.path.endswith("/$batch") and entry.body.lstrip().startswith(b"{"):
        parts = json.loads(entry.body)["requests"]
        return [f"{p['method']} {p['url']}" for p in parts if p["method"] not in READS]
    if entry.path.endswith("/$batch") or entry.path.startswith("/batch/"):
        return [
            f"{method.decode()} {path.decode()}"
            for method, path in PART_REQUEST.findall(entry.body)
            if method.decode() not in READS
        ]
    return [f"{entry.method} {entry.path}"]


def _ews_operation(body: bytes) -> str:
    root = etree.fromstring(body)
    soap_body = root.find(SOAP_BODY)
    assert soap_body is not None and len(soap_body), "an EWS request names its operation"
    return etree.QName(soap_body[0]).localname

"""Delta queries: what changed in a collection since a client last asked.

The first request (no token) answers every item; each page but the last carries an
``@odata.nextLink`` with a ``$skiptoken``, the last an ``@odata.deltaLink`` with a
``$deltatoken``. Following that later answers only what changed since: items created or
changed (once each, however often they changed) and items gone as ``@removed`` entries
(``deleted``, or ``changed`` for items moved elsewhere).

Tokens are signed JSON naming the user, the collection, the change numbers already seen and
the request's options (``$select``, the calendar window, the ``receivedDateTime`` filter), so
links need no other parameters. After :meth:`GraphStore.expire_delta_tokens` every earlier
token answers 410 ``SyncStateNotFound`` (the client must start again without one); a token
that is not ours answers 400 ``ErrorInvalidSyncStateData`` (a best guess at Graph's answer to
garbage). Page size follows ``Prefer: odata.maxpagesize`` (10 by default).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from flask import Response, g, request

from emulators.graph.errors import GraphError, bad_request
from emulators.graph.mailbox import Item, Tombstone
from emulators.graph.odata import (
    METADATA,
    answer,
    filter_match,
    link,
    max_page_size,
    project,
    selected,
)
from emulators.graph.schema import ItemType, parse_time

_RECEIVED_FILTER = re.compile(r"^receivedDateTime\s+(ge|gt)\s+(\S+)$")


@dataclass(frozen=True)
class SyncState:
    """What a token remembers: whose collection, the change numbers seen, the options."""

    generation: int
    user: str
    collection: str
    since: int
    upto: int
    after: int = 0
    select: tuple[str, ...] | None = None
    window: tuple[str, str] | None = None
    received_from: str | None = None


def _encode(state: SyncState) -> str:
    payload = (
        base64.urlsafe_b64encode(json.dumps(asdict(state), separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )
    signature = hmac.new(g.store.delta_secret, payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{signature[:32]}"


def _decode(token: str, collection: str) -> SyncState:
    payload, _, signature = token.partition(".")
    expected = hmac.new(g.store.delta_secret, payload.encode(), hashlib.sha256).hexdigest()
    state = None
    if hmac.compare_digest(signature.encode(), expected[:32].encode()):
        raw = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        raw["select"] = tuple(raw["select"]) if raw["select"] is not None else None
        raw["window"] = tuple(raw["window"]) if raw["window"] is not None else None
        state = SyncState(**raw)
    if state is None or state.user != g.mailbox.user_id or state.collection != collection:
        raise bad_request(
            "Sync state data is corrupt or otherwise invalid.", "ErrorInvalidSyncStateData"
        )
    current = g.store.delta_generation
    if state.generation != current:
        raise GraphError(
            410,
            "SyncStateNotFound",
            f"The sync state generation is not found; generation={state.generation};"
            f"[highest={current}][{current}].",
        )
    return state


def _window() -> tuple[str, str]:
    start, end = request.args.get("startDateTime"), request.args.get("endDateTime")
    if not start or not end:
        raise bad_request(
            "This request requires a time window specified by the query string parameters "
            "StartDateTime and EndDateTime.",
            "ErrorInvalidParameter",
        )
    return parse_time(start).isoformat(), parse_time(end).isoformat()


def _received_from() -> str | None:
    match = filter_match(_RECEIVED_FILTER)
    return parse_time(match.group(2)).isoformat() if match else None


def _first_state(kind: ItemType, collection: str, calendar: bool) -> SyncState:
    if calendar and "$select" in request.args:
        raise bad_request(
            "The query parameter '$select' is not supported with change tracking over the "
            "'CalendarView' resource."
        )
    names = selected(kind.known, kind.name)
    return SyncState(
        generation=g.store.delta_generation,
        user=g.mailbox.user_id,
        collection=collection,
        since=0,
        upto=g.mailbox.sequence,
        select=tuple(sorted(names)) if names is not None else None,
        window=_window() if calendar else None,
        received_from=_received_from() if kind.name == "message" else None,
    )


def _wanted(entry: Item | Tombstone, state: SyncState) -> bool:
    if isinstance(entry, Tombstone):
        return True
    if state.window is not None:
        start, end = (datetime.fromisoformat(moment) for moment in state.window)
        begins = parse_time(entry.fields["start"]["dateTime"])
        ends = parse_time(entry.fields["end"]["dateTime"])
        if not (begins < end and ends > start):
            return False
    if state.received_from is not None:
        received = entry.fields.get("receivedDateTime")
        return received is not None and parse_time(received) >= parse_time(state.received_from)
    return True


def delta(
    kind: ItemType, folder_ids: set[str], collection: str, *, calendar: bool = False
) -> Response:
    """Answer a delta request over the items of ``kind`` in ``folder_ids``.

    Args:
        kind: the item type.
        folder_ids: the folders the collection spans.
        collection: names the collection in tokens (a folder id, ``calendarView``).
        calendar: a calendar view: a time window is required and ``$select`` refused.
    """
    skip, resume = request.args.get("$skiptoken"), request.args.get("$deltatoken")
    if skip:
        state = _decode(skip, collection)
    elif resume:
        state = replace(_decode(resume, collection), after=0, upto=g.mailbox.sequence)
    else:
        state = _first_state(kind, collection, calendar)
    size, applied = max_page_size(10)
    entries = g.mailbox.changes(kind.name, folder_ids, state.since, state.upto, state.after)
    chosen: list[Item | Tombstone] = []
    more = False
    for entry in entries:
        if not _wanted(entry, state):
            continue
        if len(chosen) == size:
            more = True
            break
        chosen.append(entry)
    names = set(state.select) if state.select is not None else None
    body: dict[str, Any] = {"@odata.context": f"{METADATA}Collection({kind.name})"}
    if more:
        body["@odata.nextLink"] = link(
            **{"$skiptoken": _encode(replace(state, after=chosen[-1].sequence))}
        )
    else:
        done = replace(state, since=state.upto, after=0)
        body["@odata.deltaLink"] = link(**{"$deltatoken": _encode(done)})
    body["value"] = [
        kind.removed(entry.item_id, entry.reason)
        if isinstance(entry, Tombstone)
        else project(kind.render(entry, g.mailbox), names)
        for entry in chosen
    ]
    return answer(body, **applied)

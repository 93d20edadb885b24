"""Each tenant's C4C changes, read once per entity set and handed to the mailboxes they concern.

C4C's OData delta (``EntityLastChangedOn ge ...``) is read by whichever run of the tenant needs
it first: a run reads it unless somebody read it after the run was due (a scheduled run) or
began (any other), so the mailboxes of one scheduler tick share one read, and a run somebody
asked for sees what changed before they asked. One reader at a time per tenant and entity set
(a lock in Redis; the others wait, then use what it kept). What it reads is kept as the newest
version of each object (``C4CRecord``) under a sequence number; a version C4C sends again (same
ETag) is not kept again, so a quiet cycle adds nothing. The very first read takes the whole set,
oldest change first, committed page by page, so a reader cut short continues where it stopped.

C4C's delta has no tombstones: an object deleted in C4C simply stops coming. So once per
``C4C_RECONCILE_MINUTES`` the reader also looks up every kept object by ``ObjectID`` (40 to a
query, ``or`` on the one property as C4C allows, 10 queries to a ``$batch``) and keeps those it
no longer finds as deleted, under a new sequence number, so the mailboxes linked to them learn it
like any change.

A mailbox's run then takes the records above its own cursor that concern it: those linked to its
items, and, where the tenant's rule for the type says so, those that are its user's in SAP (the
user's employee is the owner, the processor, in the account's team or among the appointment's
parties; for contacts, also the owner or a team member of their account). On its first run it
takes every record of its user's, whatever its number. A linked contact whose account changed
comes too, so a contact leaves the user's scope when its account does.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import LockError
from sqlalchemy import delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CError
from backend.crm.values import etag_of
from backend.models import C4CFeed, C4CParty, C4CRecord, SyncItem
from backend.models.types import ItemType
from backend.storage.db import insert_together, renew_statistics, utcnow
from backend.sync.errors import SyncError
from backend.sync.mapping import TypeMapping, accounts, contacts
from backend.sync.planner import DELETED

log = logging.getLogger(__name__)

PAGE = 1000
"""Records committed together while reading (C4C's own page size)."""
LOOKUP = 40
"""Objects looked up per query when reconciling (a query's URL is bounded)."""
LOOKUPS_PER_REQUEST = 10
"""Queries per request (the retrieve requests of one ``$batch``): 400 objects a round trip, a
request short enough that the feed's lock, renewed after each, outlives it with its retries."""

ACCOUNTS, CONTACTS = accounts.MAPPING.entity_set, contacts.MAPPING.entity_set
LOCK_SECONDS = 60
"""How long the reader's lock lasts unless renewed (after each page): a reader that died lets
the others through after this."""
WAIT_SECONDS = 90


WAIT_STEP = 1.0
"""Seconds of each wait for the lock, between which a reader told to stop stops waiting."""


def never() -> bool:
    return False


class Held:
    """A reader's hold on the lock: whether it was taken, and renewing it while reading."""

    taken = True

    def renew(self) -> None:
        """Keep the lock another ``LOCK_SECONDS``."""


Lock = Callable[[str, Callable[[], bool]], AbstractContextManager[Held]]
"""A lock by name; entering it waits for it until it is taken or ``WAIT_SECONDS`` have passed,
or the second argument (``stopping``) says to stop (``taken`` is ``False`` if that was in
vain)."""


def no_lock(_name: str, _stopping: Callable[[], bool] = never) -> AbstractContextManager[Held]:
    return nullcontext(Held())


def redis_lock(redis: Any) -> Lock:
    """One reader per tenant and entity set across processes; others wait, then read nothing."""

    class _Held(Held):
        def __init__(self, name: str, stopping: Callable[[], bool] = never) -> None:
            self.lock = redis.lock(name, timeout=LOCK_SECONDS)
            self.stopping = stopping
            self.taken = False

        def __enter__(self) -> Held:
            deadline = time.monotonic() + WAIT_SECONDS
            while not self.taken and not self.stopping():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.taken = bool(self.lock.acquire(blocking_timeout=min(WAIT_STEP, left)))
            return self

        def __exit__(self, *exc: object) -> None:
            if self.taken:
                with contextlib.suppress(LockError):
                    self.lock.release()

        def renew(self) -> None:
            self.lock.reacquire()

    return _Held


def refresh(
    session: Session,
    tenant_id: int,
    c4c: C4CClient,
    mapping: TypeMapping,
    *,
    fresh_since: datetime,
    lock: Lock = no_lock,
    reconcile_every: timedelta | None = None,
    stopping: Callable[[], bool] = never,
) -> C4CFeed:
    """Read C4C's changes of ``mapping``'s entity set into the tenant's feed, unless a read
    begun at or after ``fresh_since`` did; the caller's session is committed. Every
    ``reconcile_every`` (never when ``None``) the kept objects are looked up as well. Once
    ``stopping()``, the read stops waiting for the lock, or ends after its page (kept, as a
    read cut short by C4C), and does not reconcile.

    Raises:
        C4CError: C4C could not be read (the pages already kept stay kept).
    """
    entity_set = mapping.entity_set
    feed = _feed(session, tenant_id, entity_set)
    if _fresh(feed, fresh_since):
        return feed
    session.commit()
    with lock(f"c4c-feed:{tenant_id}:{entity_set}", stopping) as held:
        session.expire(feed)
        if not held.taken or _fresh(feed, fresh_since) or stopping():
            return feed
        started = utcnow()
        first, empty, seq, parties = feed.since is None, feed.seq == 0, feed.seq, 0
        nodes = [mapping.parties[0]] if mapping.parties else None
        changes = c4c.changes(entity_set, feed.since, mapping.read_fields, expand=nodes)
        for page in _pages(changes):
            wrote, party_rows = _keep(session, feed, mapping, page, refill=first)
            parties += party_rows
            # A page that wrote nothing (an idle read's: the last change's millisecond again)
            # has nothing to commit; the read's end commits its time.
            if wrote:
                session.commit()
            if stopping():
                return feed
            held.renew()
        feed.read_at = started
        if first and empty:
            feed.reconciled_at = started  # a whole read of an empty feed saw every object
        elif (
            reconcile_every is not None
            and (feed.reconciled_at is None or started - feed.reconciled_at >= reconcile_every)
            and not stopping()
        ):
            reconcile(session, feed, c4c, held)
            feed.reconciled_at = started
        renew_statistics(session, C4CRecord.__table__, feed.seq - seq)
        renew_statistics(session, C4CParty.__table__, parties)
        session.commit()
    return feed


def load(session: Session, tenant_id: int) -> list[C4CFeed]:
    """The tenant's feeds as the database holds them, read in one query: :func:`refresh` finds
    each one in the session (which keeps them while the caller holds the list), and reads it
    again only where it is not fresh (under the lock: another process may have read since)."""
    return list(
        session.scalars(
            select(C4CFeed)
            .where(C4CFeed.tenant_id == tenant_id)
            .execution_options(populate_existing=True)
        )
    )


def reconcile(session: Session, feed: C4CFeed, c4c: C4CClient, held: Held) -> int:
    """Look up every kept object in C4C and keep those gone as deleted; returns how many."""
    alive = select(C4CRecord.object_id).where(
        C4CRecord.tenant_id == feed.tenant_id,
        C4CRecord.entity_set == feed.entity_set,
        C4CRecord.deleted_at.is_(None),
    )
    ids = list(session.scalars(alive.order_by(C4CRecord.object_id)))
    gone = 0
    lookups = c4c.read_matching(feed.entity_set, "ObjectID", ids, chunk=LOOKUP,
                                select=["ObjectID"], per_request=LOOKUPS_PER_REQUEST)  # fmt: skip
    for chunk, rows in lookups:
        found = {row["ObjectID"] for row in rows}
        missing = [object_id for object_id in chunk if object_id not in found]
        now = utcnow()
        for record in session.scalars(
            select(C4CRecord).where(
                C4CRecord.tenant_id == feed.tenant_id,
                C4CRecord.entity_set == feed.entity_set,
                C4CRecord.object_id.in_(missing),
            )
        ):
            feed.seq += 1
            record.seq, record.deleted_at = feed.seq, now
            gone += 1
        session.commit()
        held.renew()
    if gone:
        log.info("%d objects of %s deleted in C4C", gone, feed.entity_set)
    return gone


def _feed(session: Session, tenant_id: int, entity_set: str) -> C4CFeed:
    """The tenant's feed of ``entity_set``, made if it is the first (another process making it
    at the same moment wins: its row is used)."""
    feed = session.get(C4CFeed, (tenant_id, entity_set))
    if feed is not None:
        return feed
    try:
        with session.begin_nested():
            feed = C4CFeed(tenant_id=tenant_id, entity_set=entity_set, seq=0)
            session.add(feed)
    except IntegrityError:
        feed = session.get(C4CFeed, (tenant_id, entity_set), populate_existing=True)
        assert feed is not None
    return feed


def _fresh(feed: C4CFeed, since: datetime) -> bool:
    return feed.read_at is not None and feed.read_at >= since


def _pages(entities: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    page: list[dict[str, Any]] = []
    for entity in entities:
        page.append(entity)
        if len(page) >= PAGE:
            yield page
            page = []
    if page:
        yield page


def _keep(
    session: Session, feed: C4CFeed, mapping: TypeMapping, page: list[dict], *, refill: bool
) -> tuple[bool, int]:
    """Keep the page's entities that are new or changed, each under the next sequence number;
    returns whether anything was written (a record, parties, the feed's position) and how many
    party rows were.

    With ``refill`` (a whole read of a feed that already holds records: a release that reads
    more of C4C, such as the parties of migration 0010), an unchanged record gets what it lacked
    without a new number, so no mailbox takes it for a change, unless it is now someone's that
    was nobody's but its owner's and processor's (they must learn it)."""
    ids = [entity["ObjectID"] for entity in page]
    kept = {
        record.object_id: record
        for record in session.scalars(
            select(C4CRecord).where(
                C4CRecord.tenant_id == feed.tenant_id,
                C4CRecord.entity_set == feed.entity_set,
                C4CRecord.object_id.in_(ids),
            )
        )
    }
    new: dict[str, dict[str, Any]] = {}  # the values of records not kept yet, by ObjectID
    parties: dict[str, set[str]] = {}  # by ObjectID: an object sent twice keeps its last team
    wrote = False
    for entity in page:
        node = entity.pop(mapping.parties[0], None) if mapping.parties else None
        stamp = entity.get("EntityLastChangedOn")
        if stamp is not None and (feed.since is None or stamp > feed.since):
            feed.since, wrote = stamp, True
        object_id, etag = entity["ObjectID"], etag_of(entity)
        record = kept.get(object_id)
        if record is not None and record.etag == etag and etag is not None:
            employees = _employees(node, mapping.parties[1]) if refill and mapping.parties else None
            if employees is not None:
                parties[object_id] = employees
                if employees - {record.owner_id, record.processor_id}:
                    feed.seq += 1
                    record.seq = feed.seq
            continue
        if object_id in new and new[object_id]["etag"] == etag and etag is not None:
            continue  # sent twice in one read
        wrote = True
        feed.seq += 1
        owners = [entity.get(name) or None for name in mapping.owners]
        values = {
            "seq": feed.seq,
            "etag": etag,
            "owner_id": owners[0] if owners else None,
            "processor_id": owners[1] if len(owners) > 1 else None,
            "account_id": entity.get("AccountID") or None,
            "values": encode(entity),
            "deleted_at": None,
        }
        if record is None:
            new[object_id] = {
                "tenant_id": feed.tenant_id, "entity_set": feed.entity_set,
                "object_id": object_id, **values,
            }  # fmt: skip
        else:
            for name, value in values.items():
                setattr(record, name, value)
        if mapping.parties:
            employees = _employees(node, mapping.parties[1])
            if employees is None:
                log.warning("C4C sent %s %s without its %s: its kept parties stay",
                            feed.entity_set, object_id, mapping.parties[0])  # fmt: skip
            else:
                parties[object_id] = employees
    # New records in one statement (a tenant's first read brings all of C4C's, page by page).
    made = insert_together(session, C4CRecord, list(new.values()))
    kept.update((record.object_id, record) for record in made)
    if not parties:
        return wrote, 0
    # A record's parties replaced, none or more.
    return True, _keep_parties(session, [(kept[oid], people) for oid, people in parties.items()])


def _employees(node: Any, name: str) -> set[str] | None:
    """The employees named by an expanded node (``{"results": [...]}``, or a bare list);
    ``None`` when the answer holds none (not expanded, or broken): nobody is taken off a
    record's team for an answer that does not say."""
    if isinstance(node, dict) and isinstance(node.get("results"), list):
        rows = node["results"]
    elif isinstance(node, list):
        rows = node
    else:
        return None
    return {row[name] for row in rows if isinstance(row, dict) and row.get(name)}


def _keep_parties(session: Session, parties: list[tuple[C4CRecord, set[str]]]) -> int:
    """Replace the kept parties of the records just kept; returns how many were written."""
    session.flush()
    ids = [record.id for record, _ in parties]
    session.execute(delete(C4CParty).where(C4CParty.record_id.in_(ids)))
    rows = [
        {"record_id": record.id, "employee_id": employee}
        for record, employees in parties
        for employee in sorted(employees)
    ]
    if rows:
        session.execute(insert(C4CParty), rows)
    return len(rows)


def encode(entity: dict[str, Any]) -> dict[str, Any]:
    """``entity`` as JSON can hold it (date-times as ``{"$dt": ISO 8601}``)."""
    return {
        name: {"$dt": value.isoformat()} if isinstance(value, datetime) else value
        for name, value in entity.items()
    }


def decode(values: dict[str, Any]) -> dict[str, Any]:
    """The entity :func:`encode` kept."""
    return {
        name: datetime.fromisoformat(value["$dt"])
        if isinstance(value, dict) and set(value) == {"$dt"}
        else value
        for name, value in values.items()
    }


@dataclass
class Concerning:
    """What a mailbox's run takes from the feed for one item type."""

    entities: list[dict[str, Any]]
    """Changed records linked to its items, and the records that are its user's."""
    mine: set[str]
    """The ``ObjectID``s of the records that are its user's in SAP."""
    upto: int | None
    """The feed's sequence number they were taken up to (the mailbox's next cursor)."""
    left: set[str] = field(default_factory=set)
    """The ``ObjectID``s of linked records that changed (contacts: or whose account did) and
    are no longer its user's."""


def concerning(
    session: Session,
    feed: C4CFeed,
    mailbox_id: int,
    mapping: TypeMapping,
    after: int | None,
    employee: str | None,
    accounts_after: int | None = None,
    accounts_upto: int | None = None,
) -> Concerning:
    """The records above ``after`` (every one, when ``None``) that concern the mailbox.

    Args:
        employee: the user's C4C employee, whose records come down (``None``: only changes of
            linked records do).
        accounts_after: for contacts, the mailbox's cursor in the accounts' feed: the contacts
            of accounts that became the user's since come too, whatever their own number.
        accounts_upto: the accounts' feed's sequence number as the run read it; when it is
            not above ``accounts_after``, no account changed since (``None``: not known).
    """
    upto = feed.seq
    if _nothing_after(after, upto, accounts_after, accounts_upto):
        return Concerning([], set(), upto)
    kept = [
        C4CRecord.tenant_id == feed.tenant_id,
        C4CRecord.entity_set == feed.entity_set,
        C4CRecord.seq <= upto,
    ]
    window = kept if after is None else [*kept, C4CRecord.seq > after]
    found: dict[str, C4CRecord] = {}
    linked_ids: set[str] = set()
    linked = _linked(mailbox_id, mapping.item_type)
    if after is not None:
        for record in session.scalars(
            select(C4CRecord).where(*window, C4CRecord.object_id.in_(linked))
        ):
            found[record.object_id] = record
            if record.deleted_at is None:
                linked_ids.add(record.object_id)
    mine: set[str] = set()
    if employee is not None and mapping.owners:
        theirs = select(C4CRecord).where(
            *window, C4CRecord.deleted_at.is_(None), _theirs(feed, employee)
        )
        gained: Iterable[C4CRecord] = ()
        moved: list[tuple[C4CRecord, bool]] = []
        if feed.entity_set == CONTACTS and after is not None and accounts_after is not None:
            # Accounts that became the user's (the mailbox has no copy of them yet) bring their
            # contacts; an owned account that merely changed does not, so a copy the user
            # removed stays removed until the contact itself changes.
            became = _accounts_of(feed, employee, accounts_after).where(
                C4CRecord.object_id.not_in(_linked(mailbox_id, ItemType.ACCOUNT))
            )
            gained = session.scalars(
                select(C4CRecord).where(
                    *kept, C4CRecord.deleted_at.is_(None), C4CRecord.account_id.in_(became),
                )
            )  # fmt: skip
            moved = _through_accounts(session, feed, kept, linked, employee, accounts_after)
        for record in (*session.scalars(theirs), *gained):
            found[record.object_id] = record
            mine.add(record.object_id)
        for record, still in moved:
            found.setdefault(record.object_id, record)
            linked_ids.add(record.object_id)
            if still:
                mine.add(record.object_id)
    entities = [_entity(record) for record in sorted(found.values(), key=_by_seq)]
    left = linked_ids - mine if employee is not None and mapping.owners else set()
    return Concerning(entities, mine, upto, left)


def _nothing_after(
    after: int | None, upto: int, accounts_after: int | None, accounts_upto: int | None
) -> bool:
    """Whether the feed holds no record numbered after the mailbox's cursor, nor (for contacts
    that come with their accounts) an account numbered after its cursor in the accounts' feed:
    then nothing concerns the mailbox, and no query need say so (an idle run's case)."""
    if after is None or upto > after:
        return False
    return accounts_after is None or (accounts_upto is not None and accounts_upto <= accounts_after)


def _linked(mailbox_id: int, item_type: ItemType) -> Any:
    """The ``ObjectID``s the mailbox's items of ``item_type`` are linked to."""
    return select(SyncItem.c4c_object_id).where(
        SyncItem.mailbox_id == mailbox_id,
        SyncItem.item_type == item_type,
        SyncItem.c4c_object_id.is_not(None),
    )


def _through_accounts(
    session: Session,
    feed: C4CFeed,
    kept: list[Any],
    linked: Any,
    employee: str,
    accounts_after: int,
) -> list[tuple[C4CRecord, bool]]:
    """The linked contacts whose account changed after ``accounts_after`` (given to a colleague,
    its team changed), each with whether it is still ``employee``'s: a contact can leave the
    user's scope without changing itself."""
    records = list(
        session.scalars(
            select(C4CRecord).where(
                *kept, C4CRecord.deleted_at.is_(None), C4CRecord.object_id.in_(linked),
                C4CRecord.account_id.in_(_accounts_changed(feed, accounts_after)),
            )
        )
    )  # fmt: skip
    if not records:
        return []
    still = set(
        session.scalars(
            select(C4CRecord.object_id).where(
                *kept, C4CRecord.object_id.in_([record.object_id for record in records]),
                _theirs(feed, employee),
            )
        )
    )  # fmt: skip
    return [(record, record.object_id in still) for record in records]


VERSIONS_CHUNK = 500
"""Objects asked for in one query by :func:`versions`."""


def versions(
    session: Session, tenant_id: int, c4c: C4CClient, mapping: TypeMapping, at: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """C4C's values of each object of ``at`` (``ObjectID`` to ETag) at that ETag: what the feed
    keeps of it, else what C4C holds now, looked up by ``ObjectID`` (the feed is not read for a
    type that only goes up, and may not have read a mailbox's last write yet). An object at
    another ETag, deleted, or not read (C4C failing: the writes that follow meet it) is left
    out."""
    found: dict[str, dict[str, Any]] = {}
    ids = list(at)
    for start in range(0, len(ids), VERSIONS_CHUNK):
        records = session.execute(
            select(C4CRecord.object_id, C4CRecord.etag, C4CRecord.values).where(
                C4CRecord.tenant_id == tenant_id,
                C4CRecord.entity_set == mapping.entity_set,
                C4CRecord.object_id.in_(ids[start : start + VERSIONS_CHUNK]),
                C4CRecord.deleted_at.is_(None),
            )
        )
        found |= {
            object_id: decode(values)
            for object_id, etag, values in records
            if etag is not None and etag == at[object_id]
        }
    missing = sorted(set(at) - set(found))
    read: list[dict[str, Any]] = []
    try:
        for _asked, entities in c4c.read_matching(
            mapping.entity_set, "ObjectID", missing, chunk=LOOKUP,
            select=[*mapping.read_fields, "ObjectID"], per_request=LOOKUPS_PER_REQUEST,
        ):  # fmt: skip
            read += entities
    except (C4CError, SyncError) as error:
        log.info("C4C's versions of %d objects not read: %s", len(missing), error)
    return found | {e["ObjectID"]: e for e in read if etag_of(e) == at.get(e["ObjectID"])}


def _entity(record: C4CRecord) -> dict[str, Any]:
    if record.deleted_at is not None:
        return {"ObjectID": record.object_id, DELETED: True}
    return decode(record.values)


def _by_seq(record: C4CRecord) -> int:
    return record.seq


def _theirs(feed: C4CFeed, employee: str) -> Any:
    """The condition of a record being ``employee``'s in SAP."""
    conditions = [
        C4CRecord.owner_id == employee,
        C4CRecord.processor_id == employee,
        C4CRecord.id.in_(_parties_of(employee)),
    ]
    if feed.entity_set == CONTACTS:
        conditions.append(C4CRecord.account_id.in_(_accounts_of(feed, employee)))
    return or_(*conditions)


def _accounts_of(feed: C4CFeed, employee: str, after: int | None = None) -> Any:
    """The ``AccountID``s of the accounts ``employee`` owns or is in the team of (that changed
    after ``after``)."""
    owned = select(C4CRecord.account_id).where(
        C4CRecord.tenant_id == feed.tenant_id,
        C4CRecord.entity_set == ACCOUNTS,
        or_(C4CRecord.owner_id == employee, C4CRecord.id.in_(_parties_of(employee))),
        C4CRecord.deleted_at.is_(None),
    )
    return owned if after is None else owned.where(C4CRecord.seq > after)


def _accounts_changed(feed: C4CFeed, after: int) -> Any:
    """The ``AccountID``s of the tenant's accounts that changed after ``after``."""
    return select(C4CRecord.account_id).where(
        C4CRecord.tenant_id == feed.tenant_id,
        C4CRecord.entity_set == ACCOUNTS,
        C4CRecord.seq > after,
    )


def _parties_of(employee: str) -> Any:
    """The records ``employee`` is a party of (an account's team, an appointment's parties)."""
    return select(C4CParty.record_id).where(C4CParty.employee_id == employee)

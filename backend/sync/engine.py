"""One sync run of one mailbox: read both sides, plan, guard, write, then reconcile markers.

For each enabled item type (accounts first, so others can link to them) the engine reads the
mailbox's changes since its cursor and, from the tenant's C4C feed (:mod:`backend.sync.feed`,
read from C4C once for all the tenant's mailboxes), the records that concern the mailbox: changes
of linked ones, and the user's own records in SAP, which the mailbox gets a copy of, and plans
the type's writes. A planned type is written, and what it read let go, as soon as the
mass-change guard cannot trip whatever the types still unread hold (each can delete or overwrite
at most the items it has): a first sync writes each type before reading the next, so its memory
is that of the largest type, not of the whole mailbox. Otherwise every type is read before the
guard decides and anything is written. Cursors advance after the writes of their type are
stored.

Both sides are watched by a :class:`~backend.sync.service_guard.ServiceGuard`: a service that stops
answering ends the run as failed-temporary (what was not written waits for the next run), and a
shared one (C4C, the Exchange server) is skipped by the tenant's other runs for a while. What
the guards saw is kept in :attr:`Engine.observed` for the services' health.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth.crypto import TokenCipher
from backend.mailbox.base import Changes
from backend.models import C4CFeed, Mailbox, Run, SyncItem, Tenant
from backend.models.issue import Resolution, Source
from backend.models.mailbox import MailboxItemState, Provider
from backend.models.run import RunOutcome
from backend.models.sync_item import SyncItemState, has_work, items_among
from backend.models.tenant import FromSap, ItemTypeSettings
from backend.models.types import IssueCode, ItemType
from backend.settings import Settings
from backend.storage.db import renew_statistics, utcnow
from backend.sync import alerts, connect, employees, feed, issues, markers, read_ahead, status
from backend.sync.backoff import RetryingProvider
from backend.sync.circuit import Circuit
from backend.sync.context import RunContext
from backend.sync.errors import ServiceUnavailable, SyncError, ours
from backend.sync.guards import GuardLimits, trips
from backend.sync.linker import Linker
from backend.sync.mapping import TypeMapping
from backend.sync.mapping.registry import MAPPINGS
from backend.sync.planner import DESTRUCTIVE, Step, allows_down, plan
from backend.sync.service_guard import Observation, ServiceGuard
from backend.sync.services import C4C, MAIL, Service
from backend.sync.writer import TypeWriter
from backend.text import N_

log = logging.getLogger(__name__)

MASS_CHANGE_CODE = "MassChangeHeld"

SOURCES = {
    Provider.EXCHANGE: Source.EXCHANGE,
    Provider.GRAPH: Source.GRAPH,
    Provider.GMAIL: Source.GMAIL,
}


@dataclass
class TypeWork:
    mapping: TypeMapping
    settings: ItemTypeSettings
    state: MailboxItemState
    changes: Changes
    steps: list[Step]
    upto: int | None
    """Where the mailbox's cursor in the tenant's C4C feed goes once the writes are stored."""


class Engine:
    """The run body: ``Engine(cipher, settings, redis)(session, mailbox, run)``.

    Args:
        cipher: decrypts the stored credentials.
        settings: timeouts, give-up and back-off limits.
        redis: where the tenants' circuits are (``None``: each run watches only itself).
        sleep: how to wait between tries.
        clock: the current time in seconds since the epoch, for the circuits' back-off.
    """

    def __init__(
        self,
        cipher: TokenCipher,
        settings: Settings,
        redis: Redis | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cipher = cipher
        self.settings = settings
        self.redis = redis
        self.sleep = sleep
        self.clock = clock
        self.observed: list[Observation] = []
        self.requests: dict[str, int] = {}
        """Requests the last run sent to each service (by its key: ``C4C``, ``EWS``...)."""
        self.lock = feed.redis_lock(redis) if redis is not None else feed.no_lock

    def _guard(self, service: Service, tenant: Tenant) -> ServiceGuard:
        settings = self.settings
        circuit = None
        if service.shared and self.redis is not None:
            circuit = Circuit(
                self.redis, tenant.id, service.key, settings.circuit_open_seconds, self.clock
            )
        return ServiceGuard(service, circuit, settings.timeouts, settings.service_give_up_seconds)

    def __call__(self, session: Session, mailbox: Mailbox, run: Run) -> None:
        tenant = session.get(Tenant, mailbox.tenant_id)
        assert tenant is not None
        timeouts = self.settings.timeouts
        self.observed, self.requests = [], {}
        guards = (self._guard(MAIL[mailbox.provider], tenant), self._guard(C4C, tenant))
        classify_mailbox = functools.partial(
            connect.classify_mailbox_error, mailbox, timeouts=timeouts
        )
        provider = RetryingProvider(
            connect.mailbox_provider(tenant, mailbox, self.cipher, self.settings),
            classify_mailbox,
            sleep=self.sleep,
            guard=guards[0],
        )
        c4c = connect.c4c_client(
            tenant, self.cipher, timeouts, guard=guards[1], batch_size=self.settings.c4c_batch_size
        )
        ctx = RunContext(
            session=session,
            mailbox=mailbox,
            tenant=tenant,
            run=run,
            provider=provider,
            c4c=c4c,
            linker=Linker(c4c),
            classify_mailbox=classify_mailbox,
            classify_c4c=functools.partial(connect.classify_c4c, timeouts=timeouts),
            mailbox_source=SOURCES[mailbox.provider],
            settings=self.settings,
            now=utcnow(),
            employee=employees.of_mailbox(session, mailbox),
        )
        try:
            self._run(ctx)
            for guard in guards:
                if guard.gave_up is not None:
                    raise ServiceUnavailable(guard.gave_up)
        finally:
            if ctx.read_ahead is not None:
                ctx.read_ahead.close()
            run.requests = provider.requests_sent + c4c.requests_sent
            self.requests = {
                MAIL[mailbox.provider].key: provider.requests_sent, C4C.key: c4c.requests_sent,
            }  # fmt: skip
            self.observed = [guard.observation() for guard in guards]

    def _run(self, ctx: RunContext) -> None:
        # Each type's mapping as this mailbox holds a record (:meth:`TypeMapping.held_by`).
        enabled = [(m.held_by(ctx.provider.as_kept), s) for m, s in _enabled(ctx.tenant)]
        if not enabled:
            self._tell_folders(ctx)
            return
        if any(ctx.mailbox.item_state(m.item_type).cursor is None for m, _settings in enabled):
            _guarded(ctx.classify_mailbox, ctx.provider.activate)
        synced = _synced_by_type(ctx.session, ctx.mailbox.id)
        down = [(m, s) for m, s in enabled if allows_down(s.direction, m)]
        if down and read_ahead.side_by_side(ctx.session):
            ctx.read_ahead = self._read_ahead(ctx, down)
        elif down:
            ctx.feeds = feed.load(ctx.session, ctx.tenant.id)
        config = ctx.tenant.config
        limits = GuardLimits(config.mass_change_share, config.mass_change_minimum)
        total = sum(synced.values())
        waiting: list[TypeWork] = []
        destructive = 0
        for index, (mapping, settings) in enumerate(enabled):
            work = self._read(ctx, mapping, settings)
            destructive += sum(1 for step in work.steps if step.kind in DESTRUCTIVE)
            waiting.append(work)
            later = [m.item_type for m, _settings in enabled[index + 1 :]]
            if ItemType.CONTACT in later and mapping.item_type is ItemType.ACCOUNT:
                continue  # the contacts' read asks which accounts the mailbox has a copy of
            most = destructive + sum(synced.get(item_type, 0) for item_type in later)
            if not trips(most, total, limits):
                self._write(ctx, waiting)
        if waiting and self._held(ctx, limits, destructive, total):
            self._tell_folders(ctx)
            return
        self._write(ctx, waiting)
        markers.reconcile(ctx.session, ctx.mailbox, ctx.provider, ctx.classify_mailbox)
        # After a first sync (its rows just added) the next one plans on fresh statistics.
        renew_statistics(ctx.session, SyncItem.__table__, ctx.rows_added)
        self._tell_folders(ctx)

    def _write(self, ctx: RunContext, waiting: list[TypeWork]) -> None:
        """Write the planned types in order, each one's cursors stored with its writes, and let
        go of what they read."""
        if ctx.read_ahead is not None and any(work.steps for work in waiting):
            ctx.read_ahead.finish()  # C4C hears the run's reads, then its writes
        for work in waiting:
            TypeWriter(ctx, work.mapping, work.settings).apply(work.steps)
            if (work.state.cursor, work.state.c4c_seq) != (work.changes.cursor, work.upto):
                work.state.cursor, work.state.c4c_seq = work.changes.cursor, work.upto
                ctx.session.commit()
        waiting.clear()

    def _tell_folders(self, ctx: RunContext) -> None:
        """Tell the user, once, about a folder the product keeps that they renamed (followed)
        or deleted (put back)."""
        for change in ctx.provider.folder_changes():
            log.info("folder %r %s", change.name,
                     f"renamed to {change.renamed_to!r}: followed" if change.renamed_to
                     else "was gone: put back")  # fmt: skip
            alerts.folder_changed(ctx.session, ctx.settings, ctx.mailbox, ctx.run, change)

    def _read(self, ctx: RunContext, mapping: TypeMapping, settings: ItemTypeSettings) -> TypeWork:
        state = ctx.mailbox.item_state(mapping.item_type)
        changes = self._mailbox_changes(ctx, mapping, state.cursor)
        taken = feed.Concerning([], set(), state.c4c_seq)
        if allows_down(settings.direction, mapping):
            taken = _guarded(ctx.classify_c4c, lambda: self._from_c4c(ctx, mapping, settings))
        items = ctx.session.scalars(_planned(ctx.mailbox.id, mapping.item_type, changes, taken))
        items = items.all()
        ctx.run.items_read += len(changes.upserted) + len(taken.entities)
        agreed = _agreed_versions(ctx, mapping, items, changes, taken)
        steps = plan(
            mapping, settings.direction, changes, taken.entities, items, taken.mine, taken.left,
            agreed,
        )  # fmt: skip
        return TypeWork(mapping, settings, state, changes, steps, taken.upto)

    def _from_c4c(
        self, ctx: RunContext, mapping: TypeMapping, settings: ItemTypeSettings
    ) -> feed.Concerning:
        """The records of the tenant's C4C feed that concern this mailbox, the feed read from
        C4C first unless it was read after this run was due (or, if nobody scheduled it,
        began)."""
        kept = self._refreshed(ctx, mapping)
        theirs = ctx.employee if settings.from_sap is FromSap.THEIRS else None
        state = ctx.mailbox.item_state(mapping.item_type)
        accounts_after = accounts_upto = None
        if mapping.item_type is ItemType.CONTACT and theirs is not None:
            accounts_upto = self._refreshed(ctx, MAPPINGS[ItemType.ACCOUNT]).seq
            accounts_after = ctx.mailbox.item_state(ItemType.ACCOUNT).c4c_seq
        return feed.concerning(
            ctx.session, kept, ctx.mailbox.id, mapping, state.c4c_seq, theirs, accounts_after,
            accounts_upto,
        )  # fmt: skip

    def _refreshed(self, ctx: RunContext, mapping: TypeMapping) -> C4CFeed:
        """The tenant's feed of ``mapping``'s entity set: as the run's
        :attr:`~RunContext.read_ahead` read it, else read now (:meth:`_reader`)."""
        if ctx.read_ahead is not None:
            kept = ctx.read_ahead.feed(mapping.entity_set)
            if kept is not None:
                return kept
        return self._reader(ctx)(ctx.session, mapping, feed.never)

    def _reader(self, ctx: RunContext) -> read_ahead.Read:
        """How this run reads a feed, in a session given (any thread's): from C4C
        (:func:`feed.refresh`), unless it was read after this run was due (or, if nobody
        scheduled it, began)."""
        fresh_since = min(ctx.run.due_at or ctx.now, ctx.now)
        every = timedelta(minutes=self.settings.c4c_reconcile_minutes)
        tenant_id, c4c, lock = ctx.tenant.id, ctx.c4c, self.lock

        def read(session: Session, mapping: TypeMapping, stopping: Callable[[], bool]) -> C4CFeed:
            return feed.refresh(
                session, tenant_id, c4c, mapping, fresh_since=fresh_since, lock=lock,
                reconcile_every=every, stopping=stopping,
            )  # fmt: skip

        return read

    def _read_ahead(
        self, ctx: RunContext, down: list[tuple[TypeMapping, ItemTypeSettings]]
    ) -> read_ahead.ReadAhead:
        """A thread reading the feeds of the types that come down, in their order (the
        accounts' before the contacts' where the user's contacts come with their accounts)."""
        mappings: list[TypeMapping] = []
        for mapping, settings in down:
            if (
                mapping.item_type is ItemType.CONTACT
                and settings.from_sap is FromSap.THEIRS
                and ctx.employee is not None
                and all(m.entity_set != feed.ACCOUNTS for m in mappings)
            ):
                mappings.append(MAPPINGS[ItemType.ACCOUNT])
            mappings.append(mapping)
        sessions = functools.partial(Session, ctx.session.get_bind(), expire_on_commit=False)
        return read_ahead.ReadAhead(sessions, ctx.tenant.id, self._reader(ctx), mappings).start()

    def _mailbox_changes(
        self, ctx: RunContext, mapping: TypeMapping, cursor: str | None
    ) -> Changes:
        """The mailbox's changes since ``cursor``: everything there is when the mail system no
        longer knows where the cursor stood (each provider reads in full then, and so does this
        method when a provider lets ``CURSOR_INVALID`` out). That is no issue, nothing is lost;
        the run notes the type in ``read_in_full``."""
        try:
            changes = ctx.provider.changes(mapping.item_type, cursor)
        except Exception as error:
            found = ctx.classify_mailbox(error)
            if found.code is not IssueCode.CURSOR_INVALID or cursor is None:
                raise SyncError(found) from error
            changes = _guarded(
                ctx.classify_mailbox, lambda: ctx.provider.changes(mapping.item_type, None)
            )
            changes = dataclasses.replace(changes, cursor_lost=True)
        if changes.cursor_lost:
            log.info("%s read in full: the cursor was no longer valid", mapping.item_type)
            ctx.run.read_in_full = ",".join([*ctx.run.types_read_in_full, mapping.item_type])
        return changes

    def _held(self, ctx: RunContext, limits: GuardLimits, destructive: int, synced: int) -> bool:
        """Whether the mass-change guard stops this run (and, if so, ask a key user)."""
        hold = issues.ItemRef()
        if not trips(destructive, synced, limits):
            return False
        if status.use_mass_change_approval(ctx.mailbox):
            issues.resolve(ctx.session, ctx.mailbox, hold, how=Resolution.KEY_USER, now=utcnow())
            ctx.session.commit()
            return False
        found = ours(
            IssueCode.NEEDS_INPUT,
            N_(
                "This run would delete or overwrite %(changes)d of %(synced)d synced items. "
                "Nothing was written; a key user must approve before it goes ahead."
            ),
            {"changes": destructive, "synced": synced},
            backend_code=MASS_CHANGE_CODE,
        )
        issue = issues.record(
            ctx.session, ctx.mailbox, hold, found, source=Source.ENGINE, now=utcnow()
        )
        ctx.run.outcome = RunOutcome.HELD
        ctx.session.commit()
        alerts.mass_change_held(ctx.session, ctx.settings, ctx.mailbox, issue, destructive, synced)
        log.warning("mass change held: %d of %d items", destructive, synced)
        return True


def _synced_by_type(session: Session, mailbox_id: int) -> dict[ItemType, int]:
    """The mailbox's synced items of each type: a type can delete or overwrite at most as many
    as it has, which bounds what the types not yet read could add to the guard's count."""
    rows = session.execute(
        select(SyncItem.item_type, func.count(SyncItem.id))
        .where(SyncItem.mailbox_id == mailbox_id)
        .group_by(SyncItem.item_type)
    )
    return {item_type: count for item_type, count in rows}


def _enabled(tenant: Tenant) -> list[tuple[TypeMapping, ItemTypeSettings]]:
    types = tenant.config.item_types
    return [(m, types[t]) for t, m in MAPPINGS.items() if t in types and types[t].enabled]


def _guarded(classify: Any, call: Any) -> Any:
    """``call()``, with any failure classified into a ``SyncError`` that ends the run."""
    try:
        return call()
    except SyncError:
        raise
    except Exception as error:
        raise SyncError(classify(error)) from error


def _agreed_versions(
    ctx: RunContext,
    mapping: TypeMapping,
    items: Sequence[SyncItem],
    changes: Changes,
    taken: feed.Concerning,
) -> dict[str, dict[str, Any]]:
    """C4C's version, at the pair's ETag, of each linked item whose last write failed (to
    retry, or changed in the mailbox this run) that C4C sent nothing new of, where a move to
    another account counts (contacts). A move is in no fingerprint: the plan holds C4C's
    account against the one last agreed (a move made in SAP whose copy failed) and a retry
    against the one the mailbox names (a move SAP refused). :func:`feed.versions`: kept by the
    feed where it reads the type, else read from C4C."""
    failed = [
        item for item in items
        if item.state is SyncItemState.FAILED and item.c4c_etag and item.c4c_object_id
        and item.mailbox_item_id
    ] if mapping.account_link else []  # fmt: skip
    if not failed:
        return {}
    sent = {entity["ObjectID"] for entity in taken.entities}
    changed = {record.id for record in changes.upserted}
    at = {
        item.c4c_object_id: item.c4c_etag
        for item in failed
        if (item.temporary_failures or item.mailbox_item_id in changed)
        and item.c4c_object_id not in sent
    }
    if not at:
        return {}
    if ctx.read_ahead is not None:
        ctx.read_ahead.finish()  # C4C hears the run's reads, then its own requests
    return feed.versions(ctx.session, ctx.tenant.id, ctx.c4c, mapping, at)


PLAN_ALL_ABOVE = 1000
"""Changes beyond which planning loads every item of the type (one scan, not long id lists)."""


def _planned(mailbox_id: int, item_type: ItemType, changes: Changes, taken: feed.Concerning) -> Any:
    """The items planning needs: those the changes name, and those with work of their own
    (a create or copy not finished, a side missing, a failure to retry); every item of the type
    after a full read (the ones not seen are gone) or many changes. Each part is found by an
    index (the items with work by a partial one), so an idle run's cost does not grow with the
    mailbox."""
    statement = select(SyncItem).where(
        SyncItem.mailbox_id == mailbox_id, SyncItem.item_type == item_type
    )
    mailbox_ids = [
        *(record.id for record in changes.upserted), *changes.deleted, *changes.deselected
    ]  # fmt: skip
    object_ids = [entity["ObjectID"] for entity in taken.entities]
    if changes.full or len(mailbox_ids) + len(object_ids) > PLAN_ALL_ABOVE:
        return statement
    ids = select(SyncItem.id).where(
        SyncItem.mailbox_id == mailbox_id, SyncItem.item_type == item_type
    )
    parts = [ids.where(has_work())]
    if mailbox_ids:
        parts.append(ids.where(SyncItem.mailbox_item_id.in_(mailbox_ids)))
    if object_ids:
        parts.append(ids.where(SyncItem.c4c_object_id.in_(object_ids)))
    return items_among(parts)

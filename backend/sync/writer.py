"""Applying one item type's plan: writes to C4C and to the mailbox, one item at a time.

The C4C writes alone go ahead of their turn: the plan's changes going up are sent in ``$batch``
requests before the steps are taken, and each step takes its answer in order
(:mod:`backend.sync.changes_ahead`); a run that ends stores first what C4C took meanwhile.

Every write that fails is classified, C4C's reads on the way (links, a fresh copy) included; a
failure that ends the run (``AUTH``..., or a service that stopped answering) ends it after
storing what was done, any other becomes an issue on that item and the run goes on. Each item's
outcome is committed as soon as it is known, so a run cut short keeps what it did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.crm.values import etag_of
from backend.mailbox.base import ItemRecord, ItemRef
from backend.models import SyncItem
from backend.models.issue import Operation, Resolution, Source
from backend.models.sync_item import SyncItemState, synced_values
from backend.models.tenant import ForbiddenPolicy, ItemTypeSettings
from backend.models.types import Direction, IssueCode
from backend.storage.db import utcnow
from backend.sync import copies, creates, deletes, feed, issues
from backend.sync.bases import MailboxBases
from backend.sync.changes_ahead import Change, ChangesAhead
from backend.sync.conflicts import Winner, kept_side
from backend.sync.context import RunContext
from backend.sync.errors import Classification, SyncError, ours
from backend.sync.mapping import TypeMapping
from backend.sync.planner import (
    C4C,
    MAILBOX,
    Step,
    StepKind,
    agreed_link,
    allows_down,
    allows_up,
    as_named,
    c4c_link,
    down_hash,
    linked_step,
    mailbox_link,
    moved,
    temporarily_failed,
    up_hash,
)
from backend.text import N_

COMMIT_EVERY = 50
WRITE_TOGETHER = 100
"""C4C's changes written into the mailbox in one go, where the mail system takes several."""
CARRY_VERSIONS = frozenset(
    {StepKind.UPDATE_UP, StepKind.UPDATE_DOWN, StepKind.CONFLICT, StepKind.TOUCH, StepKind.SETTLED}
)
"""Steps that bring a side's current version, to be remembered once the item's outcome is known."""
NOTHING_TO_SEND = frozenset({None, StepKind.TOUCH, StepKind.SETTLED})
"""What a retry may find when the fields of both sides agree."""


def mark_synced(item: SyncItem, content_hash: str, now: datetime) -> None:
    """Record that both sides of ``item`` now hold the values fingerprinted by ``content_hash``
    (:func:`synced_values`)."""
    for name, value in synced_values(content_hash, now).items():
        setattr(item, name, value)


KEPT_MAILBOX = N_(
    "Changed in the mailbox and in SAP since the last sync; kept the mailbox version (%(policy)s)"
)
KEPT_SAP = N_(
    "Changed in the mailbox and in SAP since the last sync; kept the SAP version (%(policy)s)"
)
"""What a conflict's issue says, by the side the tenant's policy kept."""
EDITED_MEANWHILE = N_(
    "Edited in the mailbox while SAP's change was being written; it is tried again next time"
)
GONE_MAILBOX = N_("Deleted in the mailbox; the copy is removed if it is still missing next time")
GONE_SAP = N_("Deleted in SAP; the copy is removed if it is still missing next time")
"""What an item deleted on one side says until the next run decides."""


@dataclass(frozen=True)
class Down:
    """C4C's version of an item, ready to be written over the mailbox's at ``change_key``."""

    item: SyncItem
    entity: dict[str, Any]
    record: ItemRecord
    change_key: str


class TypeWriter:
    """Writes for one item type of one run."""

    def __init__(self, ctx: RunContext, mapping: TypeMapping, settings: ItemTypeSettings) -> None:
        self.ctx = ctx
        self.mapping = mapping
        self.settings = settings
        self._uncommitted = 0
        self._held = False
        self._carried: dict[SyncItem, tuple[ItemRecord | None, dict[str, Any] | None]] = {}
        self._ahead: ChangesAhead | None = None
        """The changes going up, sent ahead (while the plan is applied)."""
        self._bases = MailboxBases(ctx.provider, mapping.item_type, [])
        """The mailbox items the plan reads, read together (while the plan is applied)."""
        self._alone: set[SyncItem] = set()
        """The plan's items with one step: their writes into the mailbox may go together."""
        self._downs: list[Down] = []
        """C4C's changes ready to be written into the mailbox together."""
        self._again: set[SyncItem] = set()
        """Items whose write of C4C's change met an edit made meanwhile, and went again."""

    # -- bookkeeping ---------------------------------------------------------------------------

    def _ref(self, item: SyncItem) -> issues.ItemRef:
        return issues.ItemRef(
            self.mapping.item_type, item.mailbox_item_id, item.c4c_object_id, item.title
        )

    def _commit(self) -> None:
        """Store what was written, every ``COMMIT_EVERY`` items (and at the end of the plan),
        or once for a chunk written together (:meth:`one_commit`).

        Losing the last uncommitted items to a crash costs nothing but a repeat: creates are
        found again by their ``ExternalID``, and updates are written again (same values).
        """
        self._uncommitted += 1
        if self._uncommitted >= COMMIT_EVERY and not self._held:
            self.ctx.session.commit()
            self._uncommitted = 0

    @contextmanager
    def one_commit(self) -> Iterator[None]:
        """The outcomes of one chunk written together (a C4C ``$batch``) are stored in one
        commit when it is done, however many items it holds."""
        self._held = True
        try:
            yield
        finally:
            self._held = False
        if self._uncommitted:
            self.ctx.session.commit()
            self._uncommitted = 0

    def _synced(self, item: SyncItem, content_hash: str) -> None:
        mark_synced(item, content_hash, self.ctx.now)
        self.stored_synced(item)

    def stored_synced(self, item: SyncItem) -> None:
        """``item`` is synced (its row says so, :func:`mark_synced`): forget the versions
        carried for it and resolve its issues."""
        self._carried.pop(item, None)
        ref = self._ref(item)
        if self.ctx.may_have_issues(ref):
            self.ctx.run.issues_resolved += issues.resolve(
                self.ctx.session, self.ctx.mailbox, ref, how=Resolution.AUTO, now=utcnow()
            )
        self._commit()

    def _issue(
        self,
        item: SyncItem,
        found: Classification,
        source: Source,
        direction: Direction,
        operation: Operation,
        informational: bool = False,
    ) -> None:
        issue = issues.record(
            self.ctx.session,
            self.ctx.mailbox,
            self._ref(item),
            found,
            source=source,
            now=utcnow(),
            direction=direction,
            operation=operation,
            informational=informational,
        )
        self.ctx.issue_opened(self._ref(item))
        if issue.occurrences == 1:
            self.ctx.run.issues_opened += 1

    def _fail(
        self,
        item: SyncItem,
        found: Classification,
        source: Source,
        direction: Direction,
        operation: Operation,
    ) -> None:
        if found.ends_run:
            self.ctx.session.commit()
            raise SyncError(found)
        passing = found.code is IssueCode.TEMPORARY
        # A move to another account is in no field compared with the agreed version: it stays
        # pending until a write carries it across (:func:`linked_step`). C4C's whichever write
        # or read failed on the way; the mailbox's after a passing failure going up (a refused
        # one waits for a change: its markers coming back must not send it again).
        self.saw(item, moves=() if passing and direction is Direction.UP else (MAILBOX,))
        item.state = SyncItemState.FAILED
        self.ctx.run.failed += 1
        if passing:
            item.temporary_failures += 1
            if item.temporary_failures < self.ctx.settings.temporary_failures_before_issue:
                self._commit()
                return
        else:
            # Refused as it is: it waits for a change or a person's Retry, not for the next run
            # (a passing failure before it no longer counts).
            item.temporary_failures = 0
        self._issue(item, found, source, direction, operation)
        self._commit()

    # -- the steps -------------------------------------------------------------------------------

    def apply(self, steps: list[Step]) -> None:
        self._bases = self._read_together(steps)
        retried = [self._retry(step) for step in steps if step.kind is StepKind.RETRY]
        steps = [
            *(step for step in retried if step is not None),
            *(step for step in steps if step.kind is not StepKind.RETRY),
        ]
        ups = [step for step in steps if step.kind is StepKind.CREATE_UP]
        downs = [step for step in steps if step.kind is StepKind.CREATE_DOWN]
        state = self.ctx.mailbox.item_state(self.mapping.item_type)
        if ups or downs or state.creating is not None:  # a quiet run leaves the row as it is
            state.creating, state.created = (len(ups) + len(downs) or None), 0
        self.create_up(ups)
        if ups:
            state.created = len(ups)
        copies.create_all(self, downs)
        self._prefetch_links(steps)
        with self._changes_ahead(steps) as ahead:
            self._ahead = ahead
            try:
                self._steps(steps)
            except SyncError:
                for change, etag in ahead.landed():
                    self._update_answered(change.step.item, change.record, change.sent, etag)
                self.ctx.session.commit()
                raise
            finally:
                self._ahead = None
        if state.creating is not None:
            state.creating, state.created = None, 0
        self.ctx.session.commit()

    def _read_together(self, steps: list[Step]) -> MailboxBases:
        """The mailbox items the plan's retries and C4C's changes will read, to be read
        together (an item with other steps in the plan is read alone, when its turn comes)."""
        steps_of = Counter(step.item for step in steps)
        self._alone = {item for item, count in steps_of.items() if count == 1 and item}
        retries = [step for step in steps if step.kind is StepKind.RETRY]
        downs = [step for step in steps if step.kind is StepKind.UPDATE_DOWN]
        ids = [
            step.item.mailbox_item_id
            for step in (*retries, *downs)
            if step.item in self._alone and step.item.mailbox_item_id
        ]
        return MailboxBases(self.ctx.provider, self.mapping.item_type, ids)

    def _steps(self, steps: list[Step]) -> None:
        for step in steps:
            if step.kind in CARRY_VERSIONS:
                self.carry(step.item, step.record, step.entity)
            handler = {
                StepKind.UPDATE_UP: self._update_up_step,
                StepKind.UPDATE_DOWN: self._update_down_step,
                StepKind.CONFLICT: self._conflict_step,
                StepKind.TOUCH: lambda s: (self.saw(s.item), self._commit()),
                StepKind.SETTLED: self._settled,
                StepKind.GONE: lambda s: self.gone(s.item, s.side),
                StepKind.RECHECK: lambda s: self.recheck(s.item, s.side),
                StepKind.DESELECTED: lambda s: self.deselected(s.item),
                StepKind.ADOPT: lambda s: copies.adopt(self, s),
                StepKind.LEFT: lambda s: deletes.left(self, s.item),
                StepKind.BACK: lambda s: deletes.came_back(self, s.item),
            }.get(step.kind)
            if handler is not None:
                handler(step)
        self._write_downs()

    def _changes_ahead(self, steps: list[Step]) -> ChangesAhead:
        """The mailbox's changes going up, sent ahead (:mod:`backend.sync.changes_ahead`); each
        step takes its answer in turn (:meth:`_update_up_step`). Their values are made here, in
        the run's thread; a change whose values could not be made carries the error.

        An item with other steps in the plan (a mail system that reports an item twice) is not
        sent ahead: its change goes in its turn, with the ETag the steps before it brought back."""
        changes: list[Change] = []
        versions = self._c4c_versions(
            [
                step.item
                for step in steps
                if step.kind is StepKind.UPDATE_UP and step.item and not step.entity
            ]
        )
        for step in steps:
            item, record = step.item, step.record
            if (
                step.kind is not StepKind.UPDATE_UP
                or record is None
                or item not in self._alone
                or item.c4c_object_id is None
                or self._news_held(step, record) is not None  # goes over it in its turn
            ):
                continue
            values: dict[str, Any] | Exception
            try:
                entity = step.entity or versions.get(item.c4c_object_id)
                values = self._values_up(item, record, entity)
            except Exception as error:
                values = error
            changes.append(Change(step, record, values, item.c4c_object_id, item.c4c_etag))
        return ChangesAhead(
            self.ctx.c4c, self.mapping.entity_set, changes, self.ctx.settings.c4c_writes_in_flight
        )

    def _prefetch_links(self, steps: list[Step]) -> None:
        """The links of the mailbox's changes about to go up, looked up together (forty values to
        a query, the queries of each entity set in one ``$batch``) rather than one request per
        address as each update asks."""
        records = [
            step.record
            for step in steps
            if step.kind in (StepKind.UPDATE_UP, StepKind.CONFLICT) and step.record is not None
        ]
        if len(records) > 1:  # one record's links are asked for as it goes up
            creates.prefetch_links(self, records)

    def progressed(self, count: int) -> None:
        """``count`` more of the run's creates are done (committed with the next commit)."""
        self.ctx.mailbox.item_state(self.mapping.item_type).created += count

    def carry(self, item: SyncItem, record: ItemRecord | None, entity: dict | None) -> None:
        """What each side sent for ``item`` this run, remembered once its outcome is known.

        Only a settled outcome (synced, refused, nothing to write) makes a version old news;
        a write cut short (the run gave up on a service, the worker died) leaves the pair as it
        was, so the next run sends it again.
        """
        self._carried[item] = (record, entity)

    def saw(self, item: SyncItem, *, moves: tuple[str, ...] = (MAILBOX, C4C)) -> None:
        """Remember the versions carried for ``item``: they are no news next run. ``moves``:
        the sides whose account they name is no news either (a move not yet carried across
        stays news)."""
        record, entity = self._carried.pop(item, (None, None))
        if record is not None:
            item.mailbox_hash = up_hash(self.mapping, record)
            item.mailbox_change_key = record.change_key
            if MAILBOX in moves:
                item.mailbox_link = mailbox_link(self.mapping, record)
        if entity is not None and etag_of(entity) != item.c4c_etag:
            item.c4c_hash = down_hash(self.mapping, entity)
            item.c4c_etag = etag_of(entity)
            if C4C in moves:
                item.c4c_link = c4c_link(self.mapping, entity)

    def links_seen(self, item: SyncItem, record: ItemRecord, values: dict[str, Any]) -> None:
        """Remember the account each side names now that they were written (moves are news):
        C4C's stays the one remembered when ``values`` left its account to C4C."""
        seen = self.link_values(record, values)
        if self.mapping.account_link and "AccountID" not in values:
            del seen["c4c_link"]
        for name, value in seen.items():
            setattr(item, name, value)

    def link_values(self, record: ItemRecord, values: dict[str, Any]) -> dict[str, Any]:
        """The columns :meth:`links_seen` sets."""
        named = mailbox_link(self.mapping, record)
        return {
            "mailbox_link": named,
            "agreed_mailbox_link": named,
            "c4c_link": c4c_link(self.mapping, values),
        }

    def _settled(self, step: Step) -> None:
        """Both sides hold the same values again: in sync, with nothing to write."""
        self.saw(step.item)
        self._synced(step.item, step.item.mailbox_hash or step.item.c4c_hash or "")

    def _retry(self, retry: Step) -> Step | None:
        """The step that retries an item's failed write, with the mailbox item read again (and
        C4C's version at the pair's ETag, when the plan has it)."""
        item, entity = retry.item, retry.entity
        assert item is not None
        record = self._fetch(item)
        if record is None:
            return None
        if item.c4c_object_id is None:
            return Step(StepKind.CREATE_UP, item, record)
        up, down = (
            allows_up(self.settings.direction),
            allows_down(self.settings.direction, self.mapping),
        )
        kind = linked_step(self.mapping, item, record, entity, up, down, again=True)
        nothing_to_send = up and kind in NOTHING_TO_SEND
        if nothing_to_send and entity is not None and self._moves(item, record, entity):
            # A move refused as it was leaves no trace in the pair's fingerprints: a retry
            # (a person's, or after a passing failure) still finds C4C holding another account.
            kind = StepKind.UPDATE_UP
        return Step(kind, item, record, entity) if kind is not None else None

    def _update_up_step(self, step: Step) -> None:
        if self._ahead is not None and step in self._ahead:
            change, answer = self._ahead.answer(step)
            self._update_answered(step.item, change.record, change.sent, answer)
            return
        item = step.item
        record = step.record or self._fetch(item)
        if record is None:
            return
        news = self._news_held(step, record)
        if news is None:
            self.update_up(item, record, step.entity)
        elif self._moves(item, record, news):
            self.update_up(item, record, news, etag=etag_of(news))
        else:
            self._agreed(item, record, news, etag_of(news))  # nothing either side lacks

    def _news_held(self, step: Step, record: ItemRecord) -> dict[str, Any] | None:
        """C4C's version the plan brought for ``step`` where it is news (another ETag than the
        pair's) that changed nothing the mailbox's version ``record`` does not hold already
        (fields alike, the account agreed): the mailbox's version goes over it, losing nothing
        of SAP's (a move still to go up, :func:`linked_step`)."""
        item, entity = step.item, step.entity
        if entity is None or etag_of(entity) in (None, item.c4c_etag):
            return None
        if moved(item.c4c_link, c4c_link(self.mapping, entity)):
            return None
        return entity if down_hash(self.mapping, entity) == up_hash(self.mapping, record) else None

    def _update_down_step(self, step: Step) -> None:
        item = step.item
        entity = step.entity or self._c4c_copy(item, Operation.READ)
        if entity is None:
            return
        if self._move_pending_here(item):
            # The plan had no mailbox version to hold SAP's change against (the mailbox sent
            # nothing this run): a move still to go up, to another account than SAP holds now,
            # meets it as a conflict, not overwritten.
            record = self._fetch(item)
            if record is None:
                return
            named = mailbox_link(self.mapping, record)
            if moved(agreed_link(item), named) and self._moves(item, record, entity):
                self.conflict(item, record, entity)
                return
            self.update_down(item, entity, record)
            return
        self.update_down(item, entity, together=item in self._alone)

    def _move_pending_here(self, item: SyncItem) -> bool:
        """Whether the mailbox may hold a move of ``item`` to another account not yet in C4C
        (one refused is seen as read; one that failed for a moment is not), where the
        mailbox's changes go up."""
        return (
            self.mapping.account_link
            and allows_up(self.settings.direction)
            and (item.state is SyncItemState.FAILED or moved(agreed_link(item), item.mailbox_link))
        )

    def _conflict_step(self, step: Step) -> None:
        record = step.record or self._fetch(step.item)
        entity = step.entity or (record and self._c4c_copy(step.item, Operation.READ))
        if record is not None and entity is not None:
            self.conflict(step.item, record, entity)

    def _fetch(self, item: SyncItem) -> ItemRecord | None:
        """The mailbox item as it is now; ``None`` when it could not be read (a failure is
        recorded for the item, or the run ends)."""
        try:
            return self._base(item)
        except Exception as error:
            found = self.ctx.classify_mailbox(error)
            if found.code is IssueCode.NOT_FOUND:
                self.gone(item, MAILBOX)
                return None
            self._fail(item, found, self.ctx.mailbox_source, Direction.UP, Operation.READ)
            return None

    def _base(self, item: SyncItem) -> ItemRecord:
        """The mailbox's version of ``item``: as read together with others, or read now."""
        found = self._bases.take(item.mailbox_item_id)
        if found is not None:
            return found
        return self.ctx.provider.get(self.mapping.item_type, item.mailbox_item_id)

    def create_up(self, steps: list[Step]) -> None:
        creates.create_all(self, steps)

    def update_up(
        self,
        item: SyncItem,
        record: ItemRecord,
        entity: dict[str, Any] | None,
        *,
        etag: str | None = None,
        attempt: int = 0,
    ) -> None:
        """Write the mailbox's version of ``item`` to C4C, over C4C's version ``entity`` (or,
        when ``None``, the one the item was synced at, as the tenant's feed keeps it)."""
        values: dict[str, Any] = {}
        outcome: str | Exception | None
        if entity is None:
            entity = self._c4c_versions([item]).get(item.c4c_object_id or "")
        try:
            values = self._values_up(item, record, entity)
            outcome = self.ctx.c4c.update(
                self.mapping.entity_set, item.c4c_object_id, values, etag or item.c4c_etag
            )
        except Exception as error:
            outcome = error
        self._update_answered(item, record, values, outcome, attempt)

    def _update_answered(
        self,
        item: SyncItem,
        record: ItemRecord,
        values: dict[str, Any],
        outcome: str | Exception | None,
        attempt: int = 0,
    ) -> None:
        """Store what C4C answered to the mailbox's version of ``item`` (sent as ``values``):
        its new ETag, or why the change did not land."""
        item.title = record.title or item.title
        if isinstance(outcome, Exception):
            self._update_up_failed(item, record, self.ctx.classify_c4c(outcome), attempt)
            return
        item.changed_here = item.from_sap
        self.ctx.run.updated += 1
        self._agreed(item, record, values, outcome)

    def _agreed(
        self, item: SyncItem, record: ItemRecord, values: dict[str, Any], etag: str | None
    ) -> None:
        """Both sides hold the mailbox's version ``record`` of ``item`` now, C4C as ``values``
        at ``etag`` (the one known when C4C sent none)."""
        item.c4c_etag = etag or item.c4c_etag
        item.mailbox_change_key = record.change_key
        self.links_seen(item, record, values)
        self._synced(item, up_hash(self.mapping, record))

    def _values_up(
        self, item: SyncItem, record: ItemRecord, entity: dict[str, Any] | None
    ) -> dict[str, Any]:
        """What C4C is sent for the mailbox's version ``record`` of ``item`` (its links looked
        up), over C4C's version ``entity`` when known: less the ``coarse`` values the mailbox
        did not change, which C4C keeps (:meth:`TypeMapping.values_up`), and the account as
        its company names it (:func:`as_named`)."""
        links = self.ctx.linker.links(self.mapping.hints(record))
        return as_named(self.mapping, item, record, self.mapping.values_up(record, links, entity))

    def _c4c_versions(self, items: list[SyncItem]) -> dict[str, dict[str, Any]]:
        """C4C's version of each of ``items`` as last synced (at its ETag), by ``ObjectID``,
        for a type with ``coarse`` properties other than links (tasks; :func:`feed.versions`).
        One that cannot be had goes up whole; a change C4C made since meets a 412, whose
        answer is read and sent over."""
        if not any(source for _name, source in self.mapping.coarse):
            return {}  # links alone go up by what the mailbox names, whatever C4C holds
        at = {
            item.c4c_object_id: item.c4c_etag
            for item in items
            if item.c4c_object_id and item.c4c_etag
        }
        return feed.versions(self.ctx.session, self.ctx.tenant.id, self.ctx.c4c, self.mapping, at)

    def _update_up_failed(
        self, item: SyncItem, record: ItemRecord, found: Classification, attempt: int
    ) -> None:
        if found.code is IssueCode.CONFLICT and attempt == 0:
            fresh = self._c4c_copy(item, Operation.UPDATE)
            if fresh is None:
                return
            held = down_hash(self.mapping, fresh)
            sap_moved = allows_down(self.settings.direction, self.mapping) and moved(
                item.c4c_link, c4c_link(self.mapping, fresh)
            )  # where C4C's changes come down, as the planner sees them
            if held == up_hash(self.mapping, record) and not self._moves(item, record, fresh):
                self._agreed(item, record, fresh, etag_of(fresh))  # an earlier answer was lost
            elif held == item.c4c_hash and not sap_moved:
                self.update_up(item, record, fresh, etag=etag_of(fresh), attempt=1)
            else:
                self.conflict(item, record, fresh)
            return
        if found.code is IssueCode.NOT_FOUND:
            self.gone(item, C4C)
            return
        if found.code is IssueCode.FORBIDDEN:
            self._forbidden(item, found, Operation.UPDATE)
            return
        self._fail(item, found, Source.C4C, Direction.UP, Operation.UPDATE)

    def _moves(self, item: SyncItem, record: ItemRecord, entity: dict[str, Any]) -> bool:
        """Whether the mailbox's version ``record`` of ``item`` moves C4C's ``entity`` to
        another account (a move is in no fingerprint)."""
        try:
            values = self._values_up(item, record, entity)
        except SyncError:
            raise  # the run ends
        except Exception:
            return True  # not known: sent again, the write meets what failed here and says so
        return "AccountID" in values and (
            c4c_link(self.mapping, values) != c4c_link(self.mapping, entity)
        )

    def _forbidden(self, item: SyncItem, found: Classification, operation: Operation) -> None:
        policy = ForbiddenPolicy(
            self.ctx.tenant.config.forbidden_policy.get(str(operation), ForbiddenPolicy.RETRY)
        )
        if policy is ForbiddenPolicy.ROLL_BACK and operation is Operation.UPDATE:
            fresh = self._c4c_copy(item, operation)
            if fresh is None:
                return
            self._issue(item, found, Source.C4C, Direction.UP, operation, informational=True)
            self.update_down(item, fresh)
            return
        if policy is ForbiddenPolicy.IGNORE:
            self.saw(item)
            self._issue(item, found, Source.C4C, Direction.UP, operation, informational=True)
            issues.resolve(
                self.ctx.session, self.ctx.mailbox, self._ref(item), how=Resolution.IGNORED,
                now=utcnow(), codes=[IssueCode.FORBIDDEN],
            )  # fmt: skip
            self._commit()
            return
        self._fail(item, found, Source.C4C, Direction.UP, operation)

    def _c4c_copy(self, item: SyncItem, operation: Operation) -> dict[str, Any] | None:
        """C4C's current copy of ``item``; ``None`` when it could not be read (a failure is
        recorded for the item, or the run ends)."""
        try:
            return self.ctx.c4c.get(self.mapping.entity_set, item.c4c_object_id)
        except Exception as error:
            found = self.ctx.classify_c4c(error)
            if found.code is IssueCode.NOT_FOUND:
                self.gone(item, C4C)
            else:
                self._fail(item, found, Source.C4C, Direction.UP, operation)
            return None

    def update_down(
        self,
        item: SyncItem,
        entity: dict[str, Any],
        base: ItemRecord | None = None,
        together: bool = False,
    ) -> None:
        """Write C4C's version of ``item`` into the mailbox (over its version ``base``, when
        just read); ``together``, with the next ones where the mail system takes several
        (:meth:`_write_downs`)."""
        kind = self.mapping.item_type
        held = together and kind in self.ctx.provider.writes_together
        try:
            base = base or self._base(item)
            record = self.mapping.to_record(entity, base)  # type: ignore[misc]
            if self.mapping.unlinked and self._taken_out_of_its_account(item, base, entity):
                record = self.mapping.unlinked(record)
            down = Down(item, entity, record, base.change_key or "")
        except Exception as error:
            self._down_failed(item, entity, error)
            return
        if not held:
            self._write_down(down)
            return
        self._downs.append(down)
        if len(self._downs) >= WRITE_TOGETHER:
            self._write_downs()

    def _write_downs(self) -> None:
        """The changes held for writing together, in as few requests as the mail system takes.
        What landed is stored first: a failure among them may end the run."""
        downs, self._downs = self._downs, []
        if not downs:
            return
        answers: list[ItemRef | Exception] | None = None
        if len(downs) > 1:  # one write is one request either way: the plain one
            try:
                answers = self.ctx.provider.update_many(
                    self.mapping.item_type, [(down.record, down.change_key) for down in downs]
                )
            except Exception:  # each write goes alone, in turn, and meets its own outcome
                answers = None
        if answers is None:
            for down in downs:
                self._write_down(down)
            return
        for down, answer in zip(downs, answers, strict=True):
            if not isinstance(answer, Exception):
                self._written_down(down, answer)
        for down, answer in zip(downs, answers, strict=True):
            if isinstance(answer, Exception):
                self._down_failed(down.item, down.entity, answer)

    def _write_down(self, down: Down) -> None:
        try:
            written = self.ctx.provider.update(self.mapping.item_type, down.record, down.change_key)
        except Exception as error:
            self._down_failed(down.item, down.entity, error)
            return
        self._written_down(down, written)

    def _written_down(self, down: Down, written: ItemRef) -> None:
        item = down.item
        item.mailbox_change_key = written.change_key
        item.c4c_etag = etag_of(down.entity)
        item.title = down.record.title or item.title
        self.links_seen(item, down.record, down.entity)
        self.ctx.run.updated += 1
        self._synced(item, down_hash(self.mapping, down.entity))

    def _down_failed(self, item: SyncItem, entity: dict[str, Any], error: Exception) -> None:
        found = self.ctx.classify_mailbox(error)
        if found.code is IssueCode.NOT_FOUND:
            self.gone(item, MAILBOX)
        elif found.code is IssueCode.CONFLICT:
            self._changed_meanwhile(item, entity)
        else:
            self._fail(item, found, self.ctx.mailbox_source, Direction.DOWN, Operation.UPDATE)

    def _changed_meanwhile(self, item: SyncItem, entity: dict[str, Any]) -> None:
        """The mailbox item changed between its read and the write of C4C's version over it
        (its change key went stale): read it again, and take the step both versions call for
        now. C4C's version goes over the new one where the user changed nothing that syncs;
        where both sides changed what syncs, the tenant's policy decides. Without this, C4C's
        change was lost: the next run reads the mailbox's edit, and C4C's feed has moved on.

        Changed once more meanwhile, it failed for a passing reason: the next run tries it
        again (a retry compares both sides with the version they agreed)."""
        if item in self._again:
            found = ours(IssueCode.TEMPORARY, EDITED_MEANWHILE)
            self._fail(item, found, self.ctx.mailbox_source, Direction.DOWN, Operation.UPDATE)
            return
        self._again.add(item)
        record = self._fetch(item)
        if record is None:
            return
        up, down = (
            allows_up(self.settings.direction),
            allows_down(self.settings.direction, self.mapping),
        )
        # As the plan compared them: a move refused as it was is no news.
        again = temporarily_failed(item)
        kind = linked_step(self.mapping, item, record, entity, up, down, again=again)
        if kind is StepKind.UPDATE_DOWN:
            self.update_down(item, entity, record)
        elif kind is not None:
            self._steps([Step(kind, item, record, entity)])

    def _taken_out_of_its_account(
        self, item: SyncItem, held: ItemRecord, entity: dict[str, Any]
    ) -> bool:
        """Whether C4C's version ``entity`` of ``item`` names no account where the pair last
        knew one, while the mailbox's version ``held`` names one C4C knows (the one it left, or
        one the mailbox moved it to, over which C4C's version is written): its company goes
        too, or its next edit would link it again. A company that names no account C4C knows
        (typed in the mailbox) stays."""
        if entity.get("AccountID") or not moved(item.c4c_link, c4c_link(self.mapping, entity)):
            return False
        try:
            return self.ctx.linker.names_an_account(self.mapping.hints(held).account_name)
        except SyncError:
            raise
        except Exception as error:  # C4C's failure, told as such
            raise SyncError(self.ctx.classify_c4c(error)) from error

    def conflict(self, item: SyncItem, record: ItemRecord, entity: dict[str, Any]) -> None:
        """Both sides changed: apply the tenant's policy and log an informational issue. The
        policy chooses between two sides whose changes both go across: where C4C's do not
        come into the mailbox (the tenant's direction, or a type that cannot), the mailbox's
        version goes up whatever the policy."""
        policy = self.settings.conflict_policy
        winner = kept_side(self.settings, self.mapping, record, entity)
        found = ours(
            IssueCode.CONFLICT,
            KEPT_MAILBOX if winner is Winner.MAILBOX else KEPT_SAP,
            {"policy": str(policy)},
            backend_code=str(policy),
        )
        self._issue(item, found, Source.ENGINE, Direction.BOTH, Operation.UPDATE, True)
        if winner is Winner.MAILBOX:
            self.update_up(item, record, entity, etag=etag_of(entity), attempt=1)
        else:
            self.update_down(item, entity)
        issues.resolve(
            self.ctx.session, self.ctx.mailbox, self._ref(item), how=Resolution.AUTO,
            now=utcnow(), codes=[IssueCode.CONFLICT],
        )  # fmt: skip
        self._commit()

    def gone(self, item: SyncItem, side: str | None) -> None:
        """One side of the pair disappeared: unlink now, decide about the copy next run. A
        mailbox item SAP refused to create is simply forgotten, with its issues: nothing in SAP
        is left to delete (one whose create may have landed is looked after like any other)."""
        if side == MAILBOX and item.c4c_object_id is None and item.state is SyncItemState.FAILED:
            deletes.unlink(self, item)
            return
        item.missing_side = side
        item.missed_runs = 1
        found = ours(IssueCode.NOT_FOUND, GONE_MAILBOX if side == MAILBOX else GONE_SAP)
        source = self.ctx.mailbox_source if side == MAILBOX else Source.C4C
        self._issue(item, found, source, Direction.BOTH, Operation.DELETE, informational=True)
        self._commit()

    def recheck(self, item: SyncItem, side: str | None) -> None:
        deletes.recheck(self, item, side)

    def deselected(self, item: SyncItem) -> None:
        deletes.unlink(self, item, clear_markers=True)

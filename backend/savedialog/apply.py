"""Saving the Save dialog: check, write the mailbox item, push it to C4C, answer with the status.

Order and guarantees:

1. The values are checked with C4C's rules; if one is wrong, nothing is written anywhere.
2. The mailbox item gets the values (so the mailbox is complete too), under the mailbox's sync
   lock so no run writes the same item meanwhile.
3. C4C gets the item at once. On success the item's issues resolve (``USER_FIX``), its pairing
   records the fingerprint of what both sides now hold (the next run sees nothing to push), and
   the markers are reconciled away. On a rejection the issue is recorded again with C4C's new
   message and fields. When C4C cannot be reached the mailbox write stays: the next run sends it.

Every submit, whatever its outcome, writes one audit event (field names, never values).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from backend.extensions import Resources
from backend.mailbox.base import ItemRecord
from backend.models import Issue, SyncItem, User
from backend.models.audit import record_audit
from backend.models.issue import Resolution, Source
from backend.models.sync_item import SyncItemState
from backend.models.types import Direction, IssueCode
from backend.savedialog import errors, offered, push, sides
from backend.savedialog.errors import DialogErrorCode, SaveDialogError, say
from backend.savedialog.form import RELATED, RelatedLink, SaveForm, SaveResult
from backend.savedialog.item import ItemContext, fallback_form, open_item
from backend.savedialog.related import Picked, pick
from backend.savedialog.validate import Checked, validate, with_input
from backend.savedialog.viewer import authorise
from backend.storage.db import utcnow
from backend.sync import issues, markers
from backend.sync.errors import SyncError
from backend.sync.mapping import Links
from backend.sync.planner import LINK_FIELDS, c4c_link, mailbox_link, up_hash
from backend.sync.writer import mark_synced

log = logging.getLogger(__name__)

ACTION = "savedialog.submit"
SYNCED, UNAVAILABLE = "SYNCED", "UNAVAILABLE"


def submit(
    session: Session,
    resources: Resources,
    issue: Issue,
    values: Mapping[str, str],
    actor: User,
    *,
    related_id: str | None = None,
    language: str = "en",
) -> SaveResult:
    """Save the dialog of ``issue``: check, write the mailbox item, push to C4C, answer.

    Args:
        session: the database session (committed: the writes to both sides are recorded).
        resources: the app's resources (settings, cipher, Redis for the mailbox lock).
        issue: the issue being fixed.
        values: the typed text per property name; a field not submitted keeps its value.
        actor: who saves (the mailbox's owner or a key user of the tenant).
        related_id: the ``ObjectID`` of the account (or contact) picked for the item.
        language: the language of the labels in the returned form.

    Returns:
        ``ok`` with status ``SYNCED``; else the form with the typed values and the new errors,
        and the issue code now open or ``UNAVAILABLE``.

    Raises:
        SaveDialogError: the actor may not fix this issue (another user's, or one their tenant
            keeps private), no form fixes it, or the item left the mailbox.
    """
    typed = {str(name): "" if value is None else str(value) for name, value in values.items()}
    attempt = _Submit(session, resources, issue, typed, related_id, language)
    try:
        authorise(session, issue, actor)
        result = attempt.run()
    except SaveDialogError as error:
        attempt.audit(actor, str(error.code))
        session.commit()
        raise
    except Exception:
        session.rollback()
        attempt.audit(actor, "ERROR")
        session.commit()
        raise
    attempt.audit(actor, attempt.outcome)
    session.commit()
    return result


class _Submit:
    """One submit; remembers what the audit event records."""

    def __init__(
        self,
        session: Session,
        resources: Resources,
        issue: Issue,
        typed: dict[str, str],
        related_id: str | None,
        language: str,
    ) -> None:
        self.session = session
        self.resources = resources
        self.issue = issue
        self.typed = typed
        self.related_id = related_id
        self.language = language
        self.outcome = "STARTED"
        self.ctx: ItemContext | None = None
        self.checked: Checked | None = None
        self.picked: Picked | None = None
        self.mailbox_written = False

    def audit(self, actor: User, outcome: str) -> None:
        details: dict[str, Any] = {
            "issue_id": self.issue.id,
            "item_type": str(self.issue.item_type) if self.issue.item_type else None,
            "fields": list(self.checked.touched) if self.checked else [],
            "related_changed": self.picked is not None,
            "mailbox_written": self.mailbox_written,
            "outcome": outcome,
        }
        record_audit(
            self.session, tenant_id=actor.tenant_id, actor=actor, action=ACTION,
            target_type="issue", target_id=str(self.issue.id), details=details,
        )  # fmt: skip

    def run(self) -> SaveResult:
        try:
            self.ctx = open_item(self.session, self.resources, self.issue, self.language)
            return self._check_then_save(self.ctx)
        except SaveDialogError as error:
            if error.code is not DialogErrorCode.UNAVAILABLE:
                raise
            self.outcome = UNAVAILABLE
            return SaveResult(False, UNAVAILABLE, self._kept(error.message))

    def _check_then_save(self, ctx: ItemContext) -> SaveResult:
        flagged, message = list(self.issue.fields or []), self.issue.backend_message
        fields = ctx.fields(flagged, message)
        self.checked = checked = validate(fields, self.typed)
        related_error = None
        kind = RELATED.get(ctx.mapping.item_type, ("", ""))[0]
        if self.related_id and kind:
            redis, linked = self.resources.redis, ctx.link[0]
            if not offered.may_link(redis, self.issue.id, self.related_id, linked):
                related_error = say(errors.RELATED_NOT_OFFERED)
            else:
                self.picked = sides.on_c4c(lambda: pick(ctx.c4c, kind, self.related_id or ""))
            if self.picked is None and not related_error:
                related_error = say(errors.RELATED_GONE[kind])
        links = self.picked.links if self.picked else ctx.links
        if ctx.mapping.needs_link and not (links.account_id or links.contact_id):
            related_error = related_error or say(errors.RELATED_REQUIRED)
        if not checked.ok or related_error:
            self.outcome = "INVALID"
            fields = with_input(fields, checked.texts, checked.errors, keep_untouched=True)
            related = self._related(flagged, message, related_error)
            shown = issues.message_of(self.issue)
            form = ctx.form(fields, related, shown, [say(errors.FIX_FIELDS)])
            return SaveResult(False, self.issue.code.value, form)
        with sides.mailbox_lock(self.resources, ctx.mailbox.id):
            return self._save(ctx, checked, links)

    def _save(self, ctx: ItemContext, checked: Checked, links: Links) -> SaveResult:
        described = self.picked.described if self.picked else None
        try:
            base, record = push.write_mailbox(ctx, checked.changed, described)
        except push.WriteFailed as failure:
            return self._mailbox_refused(failure)
        self.mailbox_written = record is not base
        item = push.pairing_row(ctx, record)
        try:
            object_id, etag = push.push(ctx, item, record, links, checked.changed)
        except push.WriteFailed as failure:
            return self._c4c_refused(failure, item, record)
        now = utcnow()
        item.c4c_object_id, item.c4c_etag = object_id, etag
        item.mailbox_change_key = record.change_key
        item.mailbox_link = item.agreed_mailbox_link = mailbox_link(ctx.mapping, record)
        item.c4c_link = c4c_link(ctx.mapping, {"AccountID": links.account_id})
        mark_synced(item, up_hash(ctx.mapping, record), now)
        ref = issues.ItemRef(ctx.mapping.item_type, record.id, object_id, record.title)
        issues.resolve(self.session, ctx.mailbox, ref, how=Resolution.USER_FIX, now=now)
        self.session.commit()
        notes = []
        try:
            markers.reconcile(
                self.session, ctx.mailbox, ctx.provider, ctx.classify_mailbox, record.id
            )
        except SyncError as error:
            log.warning("markers not reconciled after a save: %s", error.classification.message)
            notes.append(say(errors.MARKERS_LATER))
        self.outcome = SYNCED
        ctx.record = record
        link = (self.picked.object_id, self.picked.display) if self.picked else None
        form = ctx.form(ctx.fields([], None), ctx.related([], None, link), None, notes)
        return SaveResult(True, SYNCED, form)

    # -- failures --------------------------------------------------------------------------

    def _related(
        self, flagged: list[str], message: str | None, error: str | None
    ) -> RelatedLink | None:
        assert self.ctx is not None
        link = (self.picked.object_id, self.picked.display) if self.picked else None
        related = self.ctx.related(flagged, message, link)
        return replace(related, error=error) if related and error else related

    def _kept(self, message: str) -> SaveForm:
        """The form with everything typed kept and ``message`` on top."""
        if self.ctx is None:
            return fallback_form(self.issue, self.typed, message)
        flagged, issue_message = list(self.issue.fields or []), self.issue.backend_message
        texts = self.checked.texts if self.checked else self.typed
        fields = with_input(self.ctx.fields(flagged, issue_message), texts, {}, keep_untouched=True)
        related = self._related(flagged, issue_message, None)
        return self.ctx.form(fields, related, issues.message_of(self.issue), [message])

    def _mailbox_refused(self, failure: push.WriteFailed) -> SaveResult:
        found = failure.found
        if found.is_mailbox_level or found.code in (IssueCode.TEMPORARY, IssueCode.NOT_FOUND):
            raise sides.mailbox_failure(found)
        self.outcome = "MAILBOX_REFUSED"
        if found.code is IssueCode.CONFLICT:
            text = say(errors.MAILBOX_CHANGED)
        else:
            text = say(errors.MAILBOX_REFUSED, message=found.message.rstrip("."))
        return SaveResult(False, self.issue.code.value, self._kept(text))

    def _c4c_refused(
        self, failure: push.WriteFailed, item: SyncItem, record: ItemRecord
    ) -> SaveResult:
        ctx, found, checked = self.ctx, failure.found, self.checked
        assert ctx is not None and checked is not None
        if found.is_mailbox_level:
            raise sides.unavailable(errors.C4C_SIGN_IN)
        if found.code is IssueCode.TEMPORARY:
            later = errors.C4C_UNAVAILABLE_AFTER_MAILBOX if self.mailbox_written else None
            raise sides.unavailable(later or errors.C4C_UNAVAILABLE)
        if found.code in (IssueCode.CONFLICT, IssueCode.NOT_FOUND):
            self.outcome = f"C4C_{found.code}"
            text = say(
                errors.C4C_CHANGED if found.code is IssueCode.CONFLICT else errors.C4C_DELETED
            )
            return SaveResult(False, self.issue.code.value, self._kept(text))
        self.outcome = "REJECTED"
        ref = issues.ItemRef(ctx.mapping.item_type, record.id, item.c4c_object_id, record.title)
        issues.record(
            self.session, ctx.mailbox, ref, found, source=Source.C4C, now=utcnow(),
            direction=Direction.UP, operation=failure.operation,
        )  # fmt: skip
        item.state = SyncItemState.FAILED
        item.mailbox_hash = up_hash(ctx.mapping, record)  # refused as it is: no resend by itself
        self.session.commit()
        flagged, messages = list(found.fields), failure.messages
        fields = ctx.fields(flagged, found.message)
        field_errors = {
            f.name: messages.get(f.name) or f.error or ""
            for f in fields
            if f.error or f.name in messages
        }
        fields = with_input(fields, checked.texts, field_errors, keep_untouched=False)
        related_error = found.message if LINK_FIELDS & set(flagged) else None
        related = self._related(flagged, found.message, related_error)
        shown = any(f.error for f in fields) or related_error
        notes = [] if shown else [say(errors.C4C_REJECTED, message=found.message)]
        return SaveResult(False, found.code.value, ctx.form(fields, related, found.message, notes))

"""A Save dialog opened or saved again after its issue was resolved (Back, a second tab, an old
card): say plainly that it is already fixed, by whom and when, and what the item holds now.

The caller keeps what the person typed on screen; :class:`SaveDialogError` carries the saved
values (``saved``) so a view can show next to them what was typed and not saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.i18n import local_time
from backend.models import AuditEvent, Issue, User
from backend.models.issue import Resolution
from backend.savedialog.errors import DialogErrorCode, SaveDialogError
from backend.savedialog.form import FormField, RelatedLink

SUBMIT_ACTION = "savedialog.submit"
RELATED_CHANGED = "related"


@dataclass(frozen=True)
class SavedField:
    """One value the item holds now, as the form shows it."""

    name: str
    label: str
    value: str


def _who_saved(session: Session, issue: Issue) -> tuple[str | None, list[str]]:
    """The name of whoever saved the form that fixed ``issue``, and the fields they changed
    (``related`` when they picked the account or contact)."""
    event = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.tenant_id == issue.tenant_id,
            AuditEvent.action == SUBMIT_ACTION,
            AuditEvent.target_id == str(issue.id),
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    ).first()
    if event is None or event.details.get("outcome") != "SYNCED":
        return None, []
    actor = session.get(User, event.actor_user_id) if event.actor_user_id else None
    changed = list(event.details.get("fields") or [])
    if event.details.get("related_changed"):
        changed.append(RELATED_CHANGED)
    return (actor.name if actor else event.actor), changed


def _how(session: Session, issue: Issue) -> tuple[str, list[str]]:
    """Who or what resolved ``issue`` and when, in the reader's language and time zone."""
    when = local_time(issue.resolved_at, "dd MMM y, HH:mm z") if issue.resolved_at else None
    if issue.resolution is Resolution.USER_FIX:
        name, changed = _who_saved(session, issue)
        if when is None:
            return _("%(name)s saved it earlier.", name=name or _("Someone")), changed
        return _("%(name)s saved it on %(when)s.", name=name or _("Someone"), when=when), changed
    if issue.resolution is Resolution.AUTO:
        if when is None:
            return _("A later sync found the item in order earlier."), []
        return _("A later sync found the item in order on %(when)s.", when=when), []
    if when is None:
        return _("A key user resolved it earlier."), []
    return _("A key user resolved it on %(when)s.", when=when), []


def refusal(
    session: Session,
    issue: Issue,
    fields: Sequence[FormField] | None,
    related: RelatedLink | None = None,
) -> SaveDialogError:
    """The answer to opening, searching or saving the form of a resolved ``issue``.

    Args:
        session: the database session (the audit log says who saved).
        issue: the resolved issue.
        fields: the form's fields as the item holds them now, or ``None`` when the item could
            not be read.
        related: the account (or contact) the item is linked to now, if it has one.

    Returns:
        A ``ALREADY_FIXED`` error whose message says who fixed it, when, and the values saved;
        its ``saved`` attribute lists every editable value the item holds now.
    """
    how, changed = _how(session, issue)
    editable = [f for f in fields or () if not f.read_only]
    saved = tuple(SavedField(f.name, f.label, f.value) for f in editable)
    named = [f for f in saved if f.name in changed and f.value]
    if RELATED_CHANGED in changed and related is not None and related.display:
        named.append(SavedField(RELATED_CHANGED, related.label, related.display))
    values = "; ".join(_("%(label)s: “%(value)s”", label=f.label, value=f.value) for f in named)
    message = _("This issue is already fixed: %(how)s", how=how)
    if values:
        message += " " + _("Saved: %(values)s.", values=values)
    message += " " + _("Nothing more to do here.")
    error = SaveDialogError(message, DialogErrorCode.ALREADY_FIXED)
    error.saved = saved
    return error

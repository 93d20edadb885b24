"""Bulk actions of the admin users table: one action applied to each selected mailbox.

Each mailbox goes through :mod:`backend.actions.mailbox` (checked and audited there); a
mailbox the action does not apply to is refused with the reason, and the others still change.
The outcome reads as one sentence: ``3 paused; 1 refused: ben@contoso.test: ...``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext, ngettext
from sqlalchemy.orm import Session

from backend.actions import mailbox as mailbox_actions
from backend.actions.mailbox import ActionRefused
from backend.auth.revocation import revoke_credentials
from backend.extensions import Resources
from backend.models import Mailbox, User
from backend.text import N_


def _no_question(count: int) -> str:
    return ""


@dataclass(frozen=True)
class BulkAction:
    """One action of the menu; its words are marked here and translated where shown."""

    name: str
    label: str
    done: str
    """What the summary says of the mailboxes it changed, after their number: ``3 paused``."""
    hint: str
    """What the action does, shown when it is chosen."""
    warning: str = ""
    """For actions that cannot simply be undone: what happens to each mailbox, asked to
    confirm first (empty: no confirmation)."""
    ask: str = ""
    """The page script's question, ``{mailboxes}`` standing for ``3 mailboxes`` (the script
    words the count in the page's language)."""
    asking: Callable[[int], str] = _no_question
    """The confirmation page's question for a number of mailboxes, in the reader's language."""

    def question(self, count: int) -> str:
        """The confirmation's question: the action and how many mailboxes."""
        return self.asking(count)


ACTIONS = {
    action.name: action
    for action in (
        BulkAction(
            "force", N_("Force sync"), N_("queued for a sync"),
            N_("Sync now (at most once a minute)."),
        ),
        BulkAction("pause", N_("Pause"), N_("paused"), N_("Stop syncing until resumed.")),
        BulkAction("resume", N_("Resume"), N_("resumed"), N_("Sync paused mailboxes again.")),
        BulkAction("enable", N_("Enable"), N_("enabled"), N_("Let disabled mailboxes sync again.")),
        BulkAction(
            "relaunch", N_("Relaunch failed"), N_("relaunched"),
            N_("Retry mailboxes whose sync failed now."),
        ),
        BulkAction(
            "approve",
            N_("Approve held mass change"),
            N_("approved"),
            N_("Let a held mass change be written on the next run."),
            N_("The next sync writes every held update and deletion, in the mailbox and in SAP. "
               "This cannot be undone."),
            N_("Approve the held mass change of {mailboxes}?"),
            lambda count: ngettext("Approve the held mass change of %(num)d mailbox?",
                                   "Approve the held mass change of %(num)d mailboxes?", count),
        ),
        BulkAction(
            "reset",
            N_("Reset mailbox"),
            N_("reset"),
            N_("Forget all progress: the next sync reads everything again."),
            N_("Sync progress is forgotten: the next sync reads every item of the mailbox and of "
               "SAP again, which takes longer. Items already paired stay paired."),
            N_("Reset {mailboxes}?"),
            lambda count: ngettext("Reset %(num)d mailbox?", "Reset %(num)d mailboxes?", count),
        ),
        BulkAction(
            "revoke",
            N_("Revoke access"),
            N_("revoked"),
            N_("Revoke the token at the provider and forget it; the user must re-activate."),
            N_("Access is revoked at the provider and the stored sign-in deleted. Nothing syncs "
               "until each user re-activates; their add-in sign-ins end now."),
            N_("Revoke access for {mailboxes}?"),
            lambda count: ngettext("Revoke access for %(num)d mailbox?",
                                   "Revoke access for %(num)d mailboxes?", count),
        ),
    )
}  # fmt: skip


@dataclass
class BulkOutcome:
    action: BulkAction
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    not_revoked: list[tuple[str, str]] = field(default_factory=list)
    """Mailboxes whose token was forgotten here but which the provider did not confirm."""

    @property
    def summary(self) -> str:
        """The outcome in one sentence, in the reader's language (a refusal's reason as the
        layer that refused says it)."""
        parts = [f"{len(self.done)} {gettext(self.action.done)}"]
        if self.refused:
            reasons = "; ".join(f"{address}: {reason}" for address, reason in self.refused)
            parts.append(gettext("%(num)d refused: %(reasons)s", num=len(self.refused),
                                 reasons=reasons))  # fmt: skip
        if self.not_revoked:
            reasons = "; ".join(f"{address}: {reason}" for address, reason in self.not_revoked)
            parts.append(gettext("deleted here but not revoked at the provider: %(reasons)s",
                                 reasons=reasons))  # fmt: skip
        return "; ".join(parts) + "."

    @property
    def category(self) -> str:
        """The flash category: success, error (nothing changed) or info (some refused)."""
        if not self.refused and not self.not_revoked:
            return "success"
        return "error" if not self.done else "info"


def apply_bulk(
    session: Session, action: BulkAction, mailboxes: list[Mailbox], actor: User, found: Resources
) -> BulkOutcome:
    """Apply ``action`` to each mailbox; the caller commits (force commits each mailbox itself,
    before it queues the run, so the worker finds the change).

    Args:
        session: holds the mailboxes; audit events are added to it.
        action: one of :data:`ACTIONS`.
        mailboxes: mailboxes of the actor's tenant (the caller checked).
        actor: the key user acting.
        found: the app's resources (Redis for force, the cipher for revoke).

    Returns:
        Which mailboxes changed, which were refused and why.
    """
    outcome = BulkOutcome(action)
    for mailbox in sorted(mailboxes, key=lambda box: box.address):
        try:
            _apply(session, action.name, mailbox, actor, found, outcome)
        except ActionRefused as refused:
            outcome.refused.append((mailbox.address, _sentence(str(refused))))
        else:
            outcome.done.append(mailbox.address)
    return outcome


def _apply(
    session: Session,
    name: str,
    mailbox: Mailbox,
    actor: User,
    found: Resources,
    outcome: BulkOutcome,
) -> None:
    match name:
        case "force":
            mailbox_actions.force(session, found.redis, mailbox, actor, found.settings)
        case "pause":
            mailbox_actions.pause(session, mailbox, actor)
        case "resume":
            mailbox_actions.resume(session, mailbox, actor)
        case "enable":
            mailbox_actions.enable(session, mailbox, actor)
        case "relaunch":
            mailbox_actions.relaunch(session, mailbox, actor)
        case "approve":
            mailbox_actions.approve(session, mailbox, actor)
        case "reset":
            mailbox_actions.reset(session, mailbox, actor)
        case "revoke":
            revoked = mailbox_actions.revoke(
                session, mailbox, actor, found.cipher, revoke_credentials
            )
            if revoked.provider_error:
                outcome.not_revoked.append((mailbox.address, revoked.provider_error))
        case _:
            raise ValueError(f"unknown bulk action {name!r}")


def _sentence(reason: str) -> str:
    return reason.rstrip(".")

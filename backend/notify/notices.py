"""The words of each notification e-mail, written for the person who has to act, in the
language of the moment (:func:`backend.notify.deliver.deliver_in_their_languages` calls them in
each recipient's). What comes from elsewhere (an error's reason, a folder's name) is as it is."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from backend.models import Mailbox


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str
    html: str | None = None
    """An HTML part, besides the plain text (the digest)."""


def _notice(subject: str, *paragraphs: str) -> Notice:
    """A notice whose body is ``paragraphs``, a blank line between them."""
    return Notice(subject, "\n\n".join(paragraphs) + "\n")


def failing(mailbox: Mailbox, failures: int, reason: str, dashboard: str) -> Notice:
    address = mailbox.address
    return _notice(
        ngettext(
            "Sync of %(address)s has failed once",
            "Sync of %(address)s has failed %(num)d times in a row",
            failures,
            address=address,
        ),
        ngettext(
            "The last attempt to sync the mailbox %(address)s with SAP Cloud for Customer failed.",
            "The last %(num)d attempts to sync the mailbox %(address)s with SAP Cloud for "
            "Customer failed.",
            failures,
            address=address,
        ),
        _("Last error: %(reason)s", reason=reason),
        _(
            "We keep trying. If the error persists, open the Synchronization Dashboard "
            "(%(dashboard)s) to see what is wrong, or ask your key user to check the mailbox "
            "in the Admin panel.",
            dashboard=dashboard,
        ),
    )


def reminder(mailbox: Mailbox, failures: int, reason: str, dashboard: str) -> Notice:
    notice = failing(mailbox, failures, reason, dashboard)
    return Notice(_("Reminder: %(subject)s", subject=notice.subject), notice.body)


def auth_failed(mailbox: Mailbox, reason: str, dashboard: str) -> Notice:
    return _notice(
        _("Sync of %(address)s stopped: please re-activate", address=mailbox.address),
        _(
            "The sync of %(address)s can no longer sign in to the mailbox or to SAP "
            "(%(reason)s). Sync is stopped until access is granted again; nothing is lost "
            "meanwhile.",
            address=mailbox.address,
            reason=reason,
        ),
        _(
            "To re-activate: open the Synchronization Dashboard (%(dashboard)s), choose "
            "Re-activate and sign in again.",
            dashboard=dashboard,
        ),
    )


def all_clear(mailbox: Mailbox) -> Notice:
    return _notice(
        _("Sync of %(address)s works again", address=mailbox.address),
        _(
            "The mailbox %(address)s synced successfully again. Nothing more to do.",
            address=mailbox.address,
        ),
    )


def mailbox_disabled(mailbox: Mailbox, reason: str, admin: str) -> Notice:
    return _notice(
        _("The mail system disabled %(address)s: its sync stopped", address=mailbox.address),
        _(
            "The mail system no longer lets the sync into %(address)s (%(reason)s). That "
            "happens when someone leaves the company or their licence or mailbox is removed. "
            "Nothing syncs for it meanwhile; nothing is lost.",
            address=mailbox.address,
            reason=reason,
        ),
        _(
            "If they left, remove them in the Admin panel (%(admin)s). If the account is "
            "back, choose Enable there and the sync resumes.",
            admin=admin,
        ),
    )


def provider_outage(tenant_name: str, failing_count: int, total: int) -> Notice:
    values = {"tenant": tenant_name, "failing": failing_count, "total": total}
    return _notice(
        _("%(tenant)s: sign-in failing for %(failing)s of %(total)s mailboxes", **values),
        _(
            "Within the last hour, sign-in failed for %(failing)s of the %(total)s mailboxes "
            "of %(tenant)s. This looks like an outage of the mail or identity provider rather "
            "than changed passwords, so we did not stop these mailboxes: we keep retrying. If "
            "it continues, check the provider's status and the integration's credentials.",
            **values,
        ),
    )


def mass_change_held(mailbox: Mailbox, destructive: int, synced: int) -> Notice:
    return _notice(
        _("Approval needed: large change to %(address)s held", address=mailbox.address),
        _(
            "The next sync of %(address)s would delete or overwrite %(destructive)s of its "
            "%(synced)s synced items. That is more than your company's limit, so nothing was "
            "written. If the change is expected, approve it (operators: `flask sync approve "
            "--mailbox %(address)s`); otherwise find out why first.",
            address=mailbox.address,
            destructive=destructive,
            synced=synced,
        ),
    )


def sap_refused(tenant_name: str, connections: str) -> Notice:
    return _notice(
        _("%(tenant)s: SAP refuses the integration user, syncing is paused", tenant=tenant_name),
        _(
            "SAP Cloud for Customer refused the user name or password of %(tenant)s's "
            "integration user, so no mailbox can sync with SAP. Syncing is paused for everyone "
            "until the connection works again; nothing is lost meanwhile.",
            tenant=tenant_name,
        ),
        _(
            "To fix it: open Connections (%(connections)s), enter the integration user's "
            "current password and choose Save and test. Syncing resumes as soon as the test "
            "gets through.",
            connections=connections,
        ),
    )


def folder_changed(mailbox: Mailbox, name: str, renamed_to: str | None, dashboard: str) -> Notice:
    values = {"name": name, "address": mailbox.address, "dashboard": dashboard}
    if renamed_to is not None:
        return _notice(
            _(
                'Your folder "%(name)s" is now "%(renamed)s": sync follows it',
                name=name,
                renamed=renamed_to,
            ),
            _(
                'You renamed the folder "%(name)s" of %(address)s to "%(renamed)s". Its items '
                "go on syncing with SAP Cloud for Customer under the new name, and what SAP "
                "adds for you lands there. Nothing for you to do. Your sync status: "
                "%(dashboard)s",
                renamed=renamed_to,
                **values,
            ),
        )
    return _notice(
        _('Your folder "%(name)s" was missing and has been put back', name=name),
        _(
            'The folder "%(name)s" of %(address)s, where SAP Cloud for Customer\'s items are '
            "kept, was deleted or moved away, so we made it again. Items that were in it are "
            "treated as removed from the mailbox, as your company's settings say. To sync an "
            'item again, move it back into "%(name)s". Your sync status: %(dashboard)s',
            **values,
        ),
    )

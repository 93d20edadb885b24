"""The words of each notification e-mail, written for the person who has to act."""

from __future__ import annotations

from dataclasses import dataclass

from backend.models import Mailbox


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def failing(mailbox: Mailbox, failures: int, reason: str, dashboard: str) -> Notice:
    attempts = "attempt" if failures == 1 else f"{failures} attempts"
    times = "once" if failures == 1 else f"{failures} times in a row"
    return Notice(
        f"Sync of {mailbox.address} has failed {times}",
        f"The last {attempts} to sync the mailbox {mailbox.address} with SAP Cloud for "
        f"Customer failed.\n\nLast error: {reason}\n\nWe keep trying. If the error "
        f"persists, open the Synchronization Dashboard ({dashboard}) to see what is wrong, "
        "or ask your key user to check the mailbox in the Admin panel.\n",
    )


def reminder(mailbox: Mailbox, failures: int, reason: str, dashboard: str) -> Notice:
    notice = failing(mailbox, failures, reason, dashboard)
    return Notice(f"Reminder: {notice.subject}", notice.body)


def auth_failed(mailbox: Mailbox, reason: str, dashboard: str) -> Notice:
    return Notice(
        f"Sync of {mailbox.address} stopped: please re-activate",
        f"The sync of {mailbox.address} can no longer sign in to the mailbox or to SAP "
        f"({reason}). Sync is stopped until access is granted again; nothing is lost "
        "meanwhile.\n\n"
        f"To re-activate: open the Synchronization Dashboard ({dashboard}), choose "
        "Re-activate and sign in again.\n",
    )


def all_clear(mailbox: Mailbox) -> Notice:
    return Notice(
        f"Sync of {mailbox.address} works again",
        f"The mailbox {mailbox.address} synced successfully again. Nothing more to do.\n",
    )


def mailbox_disabled(mailbox: Mailbox, reason: str, admin: str) -> Notice:
    return Notice(
        f"The mail system disabled {mailbox.address}: its sync stopped",
        f"The mail system no longer lets the sync into {mailbox.address} ({reason}). That "
        "happens when someone leaves the company or their licence or mailbox is removed. "
        "Nothing syncs for it meanwhile; nothing is lost.\n\n"
        f"If they left, remove them in the Admin panel ({admin}). If the account is back, "
        "choose Enable there and the sync resumes.\n",
    )


def provider_outage(tenant_name: str, failing_count: int, total: int) -> Notice:
    return Notice(
        f"{tenant_name}: sign-in failing for {failing_count} of {total} mailboxes",
        f"Within the last hour, sign-in failed for {failing_count} of the {total} mailboxes of "
        f"{tenant_name}. This looks like an outage of the mail or identity provider rather "
        "than changed passwords, so we did not stop these mailboxes: we keep retrying. If it "
        "continues, check the provider's status and the integration's credentials.\n",
    )


def mass_change_held(mailbox: Mailbox, destructive: int, synced: int) -> Notice:
    return Notice(
        f"Approval needed: large change to {mailbox.address} held",
        f"The next sync of {mailbox.address} would delete or overwrite {destructive} of its "
        f"{synced} synced items. That is more than your company's limit, so nothing was "
        "written. If the change is expected, approve it (operators: "
        f"`flask sync approve --mailbox {mailbox.address}`); otherwise find out why first.\n",
    )


def sap_refused(tenant_name: str, connections: str) -> Notice:
    return Notice(
        f"{tenant_name}: SAP refuses the integration user, syncing is paused",
        f"SAP Cloud for Customer refused the user name or password of {tenant_name}'s "
        "integration user, so no mailbox can sync with SAP. Syncing is paused for everyone "
        "until the connection works again; nothing is lost meanwhile.\n\n"
        f"To fix it: open Connections ({connections}), enter the integration user's current "
        "password and choose Save and test. Syncing resumes as soon as the test gets through.\n",
    )


def folder_changed(mailbox: Mailbox, name: str, renamed_to: str | None, dashboard: str) -> Notice:
    if renamed_to is not None:
        return Notice(
            f'Your folder "{name}" is now "{renamed_to}": sync follows it',
            f'You renamed the folder "{name}" of {mailbox.address} to '
            f'"{renamed_to}". Its items go on syncing with SAP Cloud for Customer under '
            "the new name, and what SAP adds for you lands there. Nothing for you to do. "
            f"Your sync status: {dashboard}\n",
        )
    return Notice(
        f'Your folder "{name}" was missing and has been put back',
        f'The folder "{name}" of {mailbox.address}, where SAP Cloud for Customer\'s '
        "items are kept, was deleted or moved away, so we made it again. Items that were in it "
        "are treated as removed from the mailbox, as your company's settings say. To sync an "
        f'item again, move it back into "{name}". Your sync status: {dashboard}\n',
    )

"""What we tell a sales person to do about an issue, and the few words on its marker.

One recommended action (title + text) per taxonomy code, with the missing or invalid fields
named in words a person knows ("last name", not ``LastName``). A few mail-system refusals need
words of their own, looked up by their backend code.

Actions speak the language of the moment (``gettext``): English in the workers, which store it
with the issue, the reader's on a page (``backend.presenters.action_of``). Markers are always
English: they are names of categories and labels in the mailbox, which must not change.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _

from backend.models.issue import Operation
from backend.models.types import IssueCode
from backend.text import N_

FIELD_WORDS = {
    "LastName": N_("last name"),
    "FirstName": N_("first name"),
    "Name": N_("name"),
    "Subject": N_("subject"),
    "Email": N_("e-mail address"),
    "AccountID": N_("account"),
    "AccountPartyID": N_("account"),
    "CountryCode": N_("country"),
    "Phone": N_("phone number"),
    "Mobile": N_("mobile number"),
    "JobTitle": N_("job title"),
    "StartDateTime": N_("start time"),
    "EndDateTime": N_("end time"),
    "DueDateTime": N_("due date"),
}


@dataclass(frozen=True)
class Action:
    title: str
    text: str


def field_words(fields: tuple[str, ...] | list[str]) -> str:
    """``("LastName", "Email")`` → ``"last name and e-mail address"``."""
    words = [_(FIELD_WORDS[name]) if name in FIELD_WORDS else name for name in fields]
    if not words:
        return _("required fields")
    if len(words) == 1:
        return words[0]
    return _("%(first)s and %(last)s", first=", ".join(words[:-1]), last=words[-1])


BY_BACKEND_CODE = {
    "WouldNotifyAttendees": (
        Action(
            N_("Make the change in Outlook"),
            N_(
                "This meeting changed in SAP, and you organise it in Outlook. Exchange Online "
                "would send every attendee a message if we changed or cancelled it for you, so we "
                "left it as it is: make the change in Outlook, where you choose whom to tell, or "
                "undo it in SAP."
            ),
        ),
        "Change it in Outlook",
    ),
    "MassChangeHeld": (
        Action(
            N_("Ask a key user to approve"),
            N_(
                "This sync would delete or overwrite many of your synced items at once, so it "
                "wrote nothing. A key user checks the change and approves it in the Admin panel, "
                "or it is undone in SAP; your mailbox syncs again after that."
            ),
        ),
        "Held for approval",
    ),
    "DuplicateInMailbox": (
        Action(
            N_("Merge the duplicate in your mailbox"),
            N_(
                "Another item in your mailbox is already synced with the same SAP record (the "
                "same e-mail address, or for an account the same name), so this one was not "
                "created in SAP a second time. Merge the two in your mailbox, or give this one "
                "an address of its own; the issue goes at the next sync."
            ),
        ),
        "Duplicate in mailbox",
    ),
    "NoEmployee": (
        Action(
            N_("Ask your key user to check your SAP employee"),
            N_(
                "No employee in SAP Cloud for Customer has your e-mail address, so what the sync "
                "creates in SAP cannot be yours. Your key user gives your employee record this "
                "address in SAP; the next connection test matches it and this issue goes."
            ),
        ),
        "No SAP employee",
    ),
}
"""Refusals whose taxonomy code alone would say the wrong thing: the action and marker words."""


def recommended_action(
    code: IssueCode,
    fields: tuple[str, ...] | list[str] = (),
    operation: Operation | None = None,
    backend_code: str | None = None,
) -> Action:
    """The action to show next to an issue with ``code``, in the language of the moment."""
    if backend_code in BY_BACKEND_CODE:
        return _translated(BY_BACKEND_CODE[backend_code][0])
    if code is IssueCode.NEEDS_INPUT:
        what = field_words(fields)
        return Action(
            _("Fill in the %(what)s", what=what),
            _(
                "SAP Cloud for Customer needs the %(what)s for this item. Open it with Fix, "
                "fill in what is missing and save: it syncs at once.",
                what=what,
            ),
        )
    if code is IssueCode.FORBIDDEN:
        if operation is Operation.DELETE:
            return Action(
                _("SAP does not allow you to delete this item"),
                _(
                    "Your role in SAP Cloud for Customer does not allow you to delete this "
                    "item. Undo your change in the mailbox, or ask your key user to make it in "
                    "SAP."
                ),
            )
        return Action(
            _("SAP does not allow you to change this item"),
            _(
                "Your role in SAP Cloud for Customer does not allow you to change this item. "
                "Undo your change in the mailbox, or ask your key user to make it in SAP."
            ),
        )
    return _translated(_ACTIONS[code])


def _translated(action: Action) -> Action:
    return Action(_(action.title), _(action.text))


_ACTIONS = {
    IssueCode.TEMPORARY: Action(
        N_("Nothing to do: we keep trying"),
        N_(
            "The other side did not answer for a while. We retry on our own and clear this as "
            "soon as it works; if it stays for a day, tell your key user."
        ),
    ),
    IssueCode.CONFLICT: Action(
        N_("Check the item"),
        N_(
            "The item was changed both in your mailbox and in SAP since the last sync. We kept the "
            "version your company's rule prefers; check that nothing you need was lost."
        ),
    ),
    IssueCode.NOT_FOUND: Action(
        N_("Nothing to do unless it was a mistake"),
        N_(
            "The linked item was deleted on the other side, so we stopped syncing it. If it was "
            "deleted by mistake, restore it or create it again."
        ),
    ),
    IssueCode.CURSOR_INVALID: Action(
        N_("Nothing to do"),
        N_("We lost our place in the mailbox and are reading the folder again from the start."),
    ),
    IssueCode.AUTH: Action(
        N_("Re-activate sync"),
        N_(
            "We can no longer sign in to your mailbox or to SAP (password changed, or access was "
            "withdrawn). Open the Synchronization Dashboard and re-activate sync."
        ),
    ),
    IssueCode.ACCOUNT_DISABLED: Action(
        N_("Ask your key user"),
        N_(
            "The mailbox cannot be reached: it may have been moved, disabled or lost its licence. "
            "Your key user can check the account and re-activate sync."
        ),
    ),
    IssueCode.UNKNOWN: Action(
        N_("Retry, then ask for help"),
        N_(
            "Something unexpected went wrong. Use Retry; if the issue comes back, use "
            '"Help me resolve" so support gets the error codes.'
        ),
    ),
}


def marker_detail(
    code: IssueCode, fields: tuple[str, ...] | list[str] = (), backend_code: str | None = None
) -> str:
    """The few words after "Sync Error: " on the item's second category."""
    if backend_code in BY_BACKEND_CODE:
        return BY_BACKEND_CODE[backend_code][1]
    if code is IssueCode.NEEDS_INPUT:
        with force_locale("en"):
            return f"{field_words(fields).capitalize()} missing"
    return {
        IssueCode.FORBIDDEN: "Not allowed in SAP",
        IssueCode.CONFLICT: "Changed on both sides",
        IssueCode.NOT_FOUND: "Deleted on the other side",
        IssueCode.TEMPORARY: "Will retry",
        IssueCode.UNKNOWN: "Unexpected error",
    }.get(code, "Sync failed")

"""What we tell a sales person to do about an issue, and the few words on its marker.

One recommended action (title + text) per taxonomy code, with the missing or invalid fields
named in words a person knows ("last name", not ``LastName``). A few mail-system refusals need
words of their own, looked up by their backend code.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.models.issue import Operation
from backend.models.types import IssueCode

FIELD_WORDS = {
    "LastName": "last name",
    "FirstName": "first name",
    "Name": "name",
    "Subject": "subject",
    "Email": "e-mail address",
    "AccountID": "account",
    "AccountPartyID": "account",
    "CountryCode": "country",
    "Phone": "phone number",
    "Mobile": "mobile number",
    "JobTitle": "job title",
    "StartDateTime": "start time",
    "EndDateTime": "end time",
    "DueDateTime": "due date",
}


@dataclass(frozen=True)
class Action:
    title: str
    text: str


def field_words(fields: tuple[str, ...] | list[str]) -> str:
    """``("LastName", "Email")`` → ``"last name and e-mail address"``."""
    words = [FIELD_WORDS.get(name, name) for name in fields]
    if not words:
        return "a required field"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


BY_BACKEND_CODE = {
    "WouldNotifyAttendees": (
        Action(
            "Make the change in Outlook",
            "This meeting changed in SAP, and you organise it in Outlook. Exchange Online would "
            "send every attendee a message if we changed or cancelled it for you, so we left it "
            "as it is: make the change in Outlook, where you choose whom to tell, or undo it in "
            "SAP.",
        ),
        "Change it in Outlook",
    ),
    "NoEmployee": (
        Action(
            "Ask your key user to check your SAP employee",
            "No employee in SAP Cloud for Customer has your e-mail address, so what the sync "
            "creates in SAP cannot be yours. Your key user gives your employee record this "
            "address in SAP; the next connection test matches it and this issue goes.",
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
    """The action to show next to an issue with ``code``."""
    if backend_code in BY_BACKEND_CODE:
        return BY_BACKEND_CODE[backend_code][0]
    if code is IssueCode.NEEDS_INPUT:
        what = field_words(fields)
        return Action(
            f"Fill in the {what}",
            f"SAP Cloud for Customer needs the {what} for this item. Open it with Fix, "
            "fill in what is missing and save: it syncs at once.",
        )
    if code is IssueCode.FORBIDDEN:
        verb = "delete" if operation is Operation.DELETE else "change"
        return Action(
            f"SAP does not allow you to {verb} this item",
            f"Your role in SAP Cloud for Customer does not allow you to {verb} this item. "
            "Undo your change in the mailbox, or ask your key user to make it in SAP.",
        )
    return _ACTIONS[code]


_ACTIONS = {
    IssueCode.TEMPORARY: Action(
        "Nothing to do: we keep trying",
        "The other side did not answer for a while. We retry on our own and clear this as "
        "soon as it works; if it stays for a day, tell your key user.",
    ),
    IssueCode.CONFLICT: Action(
        "Check the item",
        "The item was changed both in your mailbox and in SAP since the last sync. We kept the "
        "version your company's rule prefers; check that nothing you need was lost.",
    ),
    IssueCode.NOT_FOUND: Action(
        "Nothing to do unless it was a mistake",
        "The linked item was deleted on the other side, so we stopped syncing it. If it was "
        "deleted by mistake, restore it or create it again.",
    ),
    IssueCode.CURSOR_INVALID: Action(
        "Nothing to do",
        "We lost our place in the mailbox and are reading the folder again from the start.",
    ),
    IssueCode.AUTH: Action(
        "Re-activate sync",
        "We can no longer sign in to your mailbox or to SAP (password changed, or access was "
        "withdrawn). Open the Synchronization Dashboard and re-activate sync.",
    ),
    IssueCode.ACCOUNT_DISABLED: Action(
        "Ask your key user",
        "The mailbox cannot be reached: it may have been moved, disabled or lost its licence. "
        "Your key user can check the account and re-activate sync.",
    ),
    IssueCode.UNKNOWN: Action(
        "Retry, then ask for help",
        "Something unexpected went wrong. Use Retry; if the issue comes back, use "
        '"Help me resolve" so support gets the error codes.',
    ),
}


def marker_detail(
    code: IssueCode, fields: tuple[str, ...] | list[str] = (), backend_code: str | None = None
) -> str:
    """The few words after "Sync Error: " on the item's second category."""
    if backend_code in BY_BACKEND_CODE:
        return BY_BACKEND_CODE[backend_code][1]
    if code is IssueCode.NEEDS_INPUT:
        return f"{field_words(fields).capitalize()} missing"
    return {
        IssueCode.FORBIDDEN: "Not allowed in SAP",
        IssueCode.CONFLICT: "Changed on both sides",
        IssueCode.NOT_FOUND: "Deleted on the other side",
        IssueCode.TEMPORARY: "Will retry",
        IssueCode.UNKNOWN: "Unexpected error",
    }.get(code, "Sync failed")

"""Why the Save dialog cannot do what was asked, in words a sales person can act on."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import gettext

from backend.text import N_


class DialogErrorCode(StrEnum):
    NOT_FIXABLE = "NOT_FIXABLE"
    """The issue is not one a form can fix (mailbox-level, resolved, informational...)."""
    NOT_ALLOWED = "NOT_ALLOWED"
    """The person may not fix this issue (another user's, another tenant's)."""
    GONE = "GONE"
    """The item is no longer in the mailbox."""
    UNAVAILABLE = "UNAVAILABLE"
    """The mailbox or SAP cannot be reached now; trying again later helps."""
    ALREADY_FIXED = "ALREADY_FIXED"
    """The issue was resolved meanwhile (saved in another tab, Back to an old form...)."""


class SaveDialogError(Exception):
    """The Save dialog cannot open, search or save; ``str(error)`` is fit to show.

    Args:
        message: what happened and what to do.
        code: the kind of failure, for views that react differently (e.g. a retry button).
    """

    def __init__(self, message: str, code: DialogErrorCode = DialogErrorCode.NOT_FIXABLE) -> None:
        message = gettext(message)  # one of the messages below, in the reader's language
        super().__init__(message)
        self.message = message
        self.code = code
        self.saved: tuple = ()
        """For ``ALREADY_FIXED``: the values the item holds now (``fixed.SavedField``)."""


NOT_FIXABLE = N_(
    "This issue cannot be fixed in a form: it is resolved, only informational, or about the "
    "whole mailbox. Follow the recommended action shown with it."
)
NOT_ALLOWED = N_("You can only fix your own items. Ask the owner of this mailbox or a key user.")
HIDDEN = N_(
    "Your company keeps the items of other users private, so only the owner of this mailbox "
    "can open and fix this one."
)
GONE = N_(
    "This item is no longer in your mailbox, so there is nothing to save. If you deleted it by "
    "mistake, restore it from Deleted Items; the issue clears with the next sync."
)
MAILBOX_UNAVAILABLE = N_(
    "We cannot reach your mailbox right now. Nothing you typed is lost: try again in a few "
    "minutes; if this stays, re-activate sync on the Synchronization Dashboard."
)
MAILBOX_SIGN_IN = N_(
    "We can no longer sign in to your mailbox. Re-activate sync on the Synchronization "
    "Dashboard, then save again; nothing you typed is lost."
)
C4C_UNAVAILABLE = N_(
    "SAP Cloud for Customer is not reachable right now. Nothing you typed is lost: try again "
    "in a few minutes."
)
C4C_SIGN_IN = N_(
    "SAP Cloud for Customer refused our sign-in, so nothing can be saved there now. Tell your "
    "key user; nothing you typed is lost."
)
C4C_UNAVAILABLE_AFTER_MAILBOX = N_(
    "SAP Cloud for Customer is not reachable right now. Your changes are saved in your "
    "mailbox and are sent to SAP with the next sync; you can also save again in a few minutes."
)
SYNC_RUNNING = N_(
    "Your mailbox is being synchronised right now. Nothing you typed is lost: save again in a "
    "minute."
)
MAILBOX_CHANGED = N_(
    "The item was changed in your mailbox while you were saving. Check the values and save again."
)
MAILBOX_REFUSED = N_(
    "Your mailbox refused the change: %(message)s. Check the values and save again."
)
C4C_REJECTED = N_("SAP Cloud for Customer did not accept the item: %(message)s")
C4C_CHANGED = N_(
    "The item was changed in SAP Cloud for Customer while you were saving. Save again."
)
C4C_DELETED = N_(
    "This item was deleted in SAP Cloud for Customer; the next sync takes care of it. Nothing "
    "you typed is lost."
)
RELATED_REQUIRED = N_("Pick the account or contact this item belongs to.")
RELATED_GONE = {
    "account": N_("The account you picked no longer exists in SAP. Search again and pick another."),
    "account_or_contact": N_(
        "The account or contact you picked no longer exists in SAP. Search again and pick another."
    ),
}
"""By the kind of record the form links to."""
RELATED_NOT_OFFERED = N_("Search for the account or contact again and pick it from the list.")
FIX_FIELDS = N_("Some values need your attention; nothing was saved yet.")
MARKERS_LATER = N_(
    "Saved. The sync markers on the item in your mailbox are removed with the next sync."
)


def say(text: str, **values: str) -> str:
    """``text`` (one of the messages above) in the reader's language, its values filled in."""
    return gettext(text, **values)

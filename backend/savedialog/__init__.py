"""The Save dialog: one server-side definition of the form that fixes an item's sync issue.

The dashboard page, the Outlook task pane and the Gmail card all call this API and render its
:class:`SaveForm` their own way:

- :func:`can_fix` tells whether an issue gets a Fix button;
- :func:`open_form` builds the form from the tenant's C4C metadata, pre-filled from the mailbox
  item, the issue's fields highlighted with C4C's message;
- :func:`search_related` finds the account (or contact) to link the item to;
- :func:`submit` checks the values, writes them to the mailbox item, pushes the item to C4C at
  once and answers with the new status (audit-logged);
- :func:`with_values` shows a form again with what was typed so far (e.g. during a search).

Inside: ``form`` and ``validate`` decide (pure), ``changes`` applies values through the item
type's mapping (pure), ``item``, ``related``, ``push`` and ``apply`` do the I/O.
"""

from backend.savedialog.apply import submit
from backend.savedialog.errors import DialogErrorCode, SaveDialogError
from backend.savedialog.form import FormField, RelatedLink, SaveForm, SaveResult, can_fix
from backend.savedialog.item import fallback_form, open_form, search_related
from backend.savedialog.related import RelatedCandidate
from backend.savedialog.validate import with_values

__all__ = [
    "DialogErrorCode",
    "FormField",
    "RelatedCandidate",
    "RelatedLink",
    "SaveDialogError",
    "SaveForm",
    "SaveResult",
    "can_fix",
    "fallback_form",
    "open_form",
    "search_related",
    "submit",
    "with_values",
]

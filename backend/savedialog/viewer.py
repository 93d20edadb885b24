"""Who may open, search and save the Save dialog of an issue.

The owner of the item, or a key user of the same tenant, unless the tenant hides other users'
titles: the dialog shows the item's title and every value, so then only its owner may open it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.models import Issue, Tenant, User
from backend.savedialog import errors
from backend.savedialog.errors import DialogErrorCode, SaveDialogError


def authorise(session: Session, issue: Issue, viewer: User) -> None:
    """Let ``viewer`` at the dialog of ``issue``, or refuse.

    Raises:
        SaveDialogError: ``NOT_ALLOWED`` for another tenant's issue, another user's for a plain
            user, and another user's for a key user of a tenant that hides their items.
    """
    own = issue.user_id == viewer.id
    if viewer.tenant_id != issue.tenant_id or (not own and not viewer.is_key_user):
        raise SaveDialogError(errors.NOT_ALLOWED, DialogErrorCode.NOT_ALLOWED)
    tenant = session.get(Tenant, issue.tenant_id)
    if not own and tenant is not None and tenant.config.hide_other_users_titles:
        raise SaveDialogError(errors.HIDDEN, DialogErrorCode.NOT_ALLOWED)

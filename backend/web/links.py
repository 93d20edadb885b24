"""``/open/sap/<type>/<ObjectID>``: "Open in SAP" from the dashboard and the add-ins.

C4C's web client opens an object by its business ID (``ContactID``, ``AccountID``, an
activity's ``ID``) in its deep link form, while we keep its ``ObjectID``: this view asks C4C for
the business ID and redirects to the deep link. Only objects the signed-in person's issues or
synced items name are looked up (a key user: any of the tenant's); anything else answers 404, as
every other id of another tenant or user does.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, redirect, render_template
from flask_login import current_user
from sqlalchemy import exists, or_, select
from werkzeug.wrappers import Response

from backend import presenters
from backend.extensions import db_session, resources
from backend.models import Issue, Mailbox, SyncItem
from backend.models.types import IssueCode, ItemType
from backend.savedialog import sides
from backend.sync import connect
from backend.sync.mapping.registry import MAPPINGS
from backend.text import N_
from backend.web.access import my_tenant, signed_in

log = logging.getLogger(__name__)

links = Blueprint("links", __name__, url_prefix="/open")


def _visible(item_type: ItemType, object_id: str) -> bool:
    """Whether the signed-in person may open this object: one of their items (any of the
    tenant's for a key user)."""
    mailboxes = select(Mailbox.id).where(Mailbox.tenant_id == current_user.tenant_id)
    if not current_user.is_key_user:
        mailboxes = mailboxes.where(Mailbox.user_id == current_user.id)
    synced = exists().where(
        SyncItem.mailbox_id.in_(mailboxes),
        SyncItem.item_type == item_type,
        SyncItem.c4c_object_id == object_id,
    )
    named = exists().where(
        Issue.mailbox_id.in_(mailboxes),
        Issue.item_type == item_type,
        Issue.c4c_object_id == object_id,
    )
    return bool(db_session().scalar(select(or_(synced, named))))


GONE = (N_("Not in SAP any more"), N_("This item no longer exists in SAP Cloud for Customer."))
UNREACHABLE = (
    N_("SAP cannot be reached"),
    N_("SAP Cloud for Customer cannot be reached right now. Try again in a few minutes."),
)


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", title=title, message=message), status


@links.get("/sap/<item_type>/<object_id>")
@signed_in
def open_in_sap(item_type: str, object_id: str) -> Response | tuple[str, int]:
    found = next((t for t in presenters.C4C_THING_TYPES if t.value.lower() == item_type), None)
    if found is None or len(object_id) > 70 or not _visible(found, object_id):
        abort(404)
    tenant = my_tenant()
    client = sides.c4c_client(tenant, resources())
    try:
        row = client.get(MAPPINGS[found].entity_set, object_id)
    except Exception as error:
        classified = connect.classify_c4c(error)
        if classified.code is IssueCode.NOT_FOUND:
            return _page(404, *GONE)
        log.warning("C4C lookup for a deep link failed: %s", classified.message)
        return _page(503, *UNREACHABLE)
    internal_id = row.get(presenters.C4C_THING_TYPES[found][1])
    if not internal_id:
        return _page(404, *GONE)
    return redirect(presenters.c4c_deep_link(tenant, found, str(internal_id)))

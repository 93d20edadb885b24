"""The item behind an issue with both sides open: what opening, searching and saving start from.

:func:`open_item` reads the mailbox item through its provider, the C4C definition of its entity
from the metadata cache, its ``SyncItem`` pairing and, when C4C has it already, C4C's copy
(whose links win over the ones the engine would guess, so a link picked earlier is kept). A
move to another account that one side made and the engine has not got across yet is the one
the dialog shows and saves, as a run would carry it: the mailbox's goes to C4C; SAP's comes
into the mailbox where the tenant's policy and the type's direction let it win.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.crm.c4c import C4CClient
from backend.crm.metadata import EntityDefinition
from backend.extensions import Resources
from backend.mailbox.base import ItemRecord, MailboxProvider
from backend.models import Issue, Mailbox, SyncItem, Tenant, User
from backend.models.types import IssueCode
from backend.savedialog import errors, fixed, offered, sides
from backend.savedialog.changes import updated_record, writable
from backend.savedialog.errors import DialogErrorCode, SaveDialogError
from backend.savedialog.form import (
    RELATED,
    FormField,
    RelatedLink,
    SaveForm,
    build_fields,
    can_fix,
    related_link,
)
from backend.savedialog.related import RelatedCandidate, describe, search
from backend.savedialog.viewer import authorise
from backend.sync import connect, issues
from backend.sync.conflicts import Winner, kept_side
from backend.sync.errors import Classification
from backend.sync.linker import Linker
from backend.sync.mapping import Links, TypeMapping
from backend.sync.mapping.registry import MAPPINGS
from backend.sync.planner import as_named, c4c_link, moved


@dataclass
class ItemContext:
    """One issue's item, read from both sides.

    Attributes:
        link: the linked object's ``(ObjectID, name)``.
    """

    session: Session
    issue: Issue
    tenant: Tenant
    mailbox: Mailbox
    mapping: TypeMapping
    definition: EntityDefinition
    c4c: C4CClient
    provider: MailboxProvider
    record: ItemRecord
    item: SyncItem | None
    linked: dict[str, Any] | None
    links: Links
    link: tuple[str | None, str | None]
    carried: dict[str, Any] | None = None
    """What describes the account SAP moved the item to since the pair last agreed, which the
    engine has not written into the mailbox yet: a save writes it there (``{}``: SAP took the
    item out of the account its company names, which goes)."""

    def carried_down(self, record: ItemRecord) -> ItemRecord:
        """``record`` with SAP's move (:attr:`carried`) written in, as the engine writes it."""
        if self.carried is None:
            return record
        if not self.carried:
            assert self.mapping.unlinked is not None
            return self.mapping.unlinked(record)
        return updated_record(self.mapping, record, {}, {}, self.carried)

    def classify_mailbox(self, error: BaseException) -> Classification:
        return connect.classify_mailbox_error(self.mailbox, error)

    def current(self, record: ItemRecord | None = None) -> dict[str, Any]:
        """The item's C4C values (of ``record``, the item as read unless given): the
        mailbox's for mapped properties, C4C's for the others and for those the mailbox holds
        less finely and did not change (a task *Immediate* in SAP shows *Immediate*, not the
        *Urgent* its *High* would go up as)."""
        mapped = self.mapping.values_up(record or self.record, self.links, self.linked)
        return {**(self.linked or {}), **mapped}

    def fields(self, flagged: Sequence[str], message: str | None) -> tuple[FormField, ...]:
        return build_fields(
            self.definition,
            self.mapping,
            self.current(),
            flagged,
            message,
            writable=writable(self.mapping),
            linked=bool(self.item and self.item.c4c_object_id),
        )

    def related(
        self,
        flagged: Sequence[str],
        message: str | None,
        link: tuple[str | None, str | None] | None = None,
    ) -> RelatedLink | None:
        object_id, display = link or self.link
        return related_link(
            self.mapping.item_type, self.mapping, object_id, display, flagged, message
        )

    def form(
        self,
        fields: tuple[FormField, ...],
        related: RelatedLink | None,
        message: str | None,
        form_errors: Sequence[str] = (),
    ) -> SaveForm:
        return SaveForm(
            issue_id=self.issue.id,
            item_type=self.mapping.item_type,
            entity_set=self.mapping.entity_set,
            title=self.record.title or self.issue.title or "",
            message=message,
            fields=fields,
            related=related,
            errors=tuple(form_errors),
        )


def _parts(
    session: Session, issue: Issue, *, resolved: bool = False
) -> tuple[Tenant, Mailbox, TypeMapping]:
    fixable = can_fix(issue, resolved_too=resolved)
    if not fixable or issue.item_type is None or not issue.mailbox_item_id:
        raise SaveDialogError(errors.NOT_FIXABLE)
    tenant = session.get(Tenant, issue.tenant_id)
    mailbox = session.get(Mailbox, issue.mailbox_id)
    if tenant is None or mailbox is None:
        raise SaveDialogError(errors.NOT_FIXABLE)
    return tenant, mailbox, MAPPINGS[issue.item_type]


def _linked(
    client: C4CClient, mapping: TypeMapping, item: SyncItem | None
) -> dict[str, Any] | None:
    if item is None or not item.c4c_object_id:
        return None
    try:
        return client.get(mapping.entity_set, item.c4c_object_id)
    except Exception as error:
        found = connect.classify_c4c(error)
        if found.code is IssueCode.NOT_FOUND:
            return None
        raise sides.c4c_failure(found) from error


def _guessed_links(client: C4CClient, mapping: TypeMapping, record: ItemRecord) -> Links:
    """The links the engine would give the item (its company, its addresses)."""
    linker, hints = Linker(client), mapping.hints(record)
    linker.prefetch([hints])
    return linker.links(hints)


def _links_of(linked: dict[str, Any]) -> Links:
    return Links(linked.get("AccountID") or None, linked.get("PrimaryContactID") or None)


def _moved_in_sap(mapping: TypeMapping, item: SyncItem | None, linked: dict[str, Any]) -> bool:
    """Whether SAP moved the item C4C holds as ``linked`` to another account since the pair
    last agreed (a move the engine carries down, whatever the mailbox names)."""
    return bool(mapping.account_link and item and moved(item.c4c_link, c4c_link(mapping, linked)))


def _sap_wins(
    tenant: Tenant, mapping: TypeMapping, record: ItemRecord, linked: dict[str, Any]
) -> bool:
    """Whether SAP's version wins over the mailbox's, which the dialog fixes (SAP's move meets
    it as a conflict in a run): as the tenant's policy and the type's direction settle it."""
    settings = tenant.config.item_types[mapping.item_type]
    return kept_side(settings, mapping, record, linked) is Winner.C4C


def _links_sent(
    client: C4CClient,
    mapping: TypeMapping,
    item: SyncItem,
    record: ItemRecord,
    linked: dict[str, Any],
) -> Links:
    """The links of an item C4C has: C4C's, but the account the mailbox's company names where
    that moves it (a move the engine has not got across yet, refused with the change the
    dialog fixes), as the engine sends it: a company SAP knows no account of moves nothing,
    one cleared takes it out (:func:`~backend.sync.planner.as_named`)."""
    links = _links_of(linked)
    if not mapping.account_link:
        return links
    guessed = _guessed_links(client, mapping, record)
    values = as_named(mapping, item, record, mapping.values_up(record, guessed, linked))
    if "AccountID" not in values:
        return links
    return replace(links, account_id=values["AccountID"] or None)


def _account_down(
    client: C4CClient,
    mapping: TypeMapping,
    record: ItemRecord,
    linked: dict[str, Any],
) -> dict[str, Any] | None:
    """What the mailbox is to hold of the account SAP moved the item to (:attr:`ItemContext.
    carried`): its name, or ``{}`` where SAP took the item out of any account, and the company
    names one C4C knows (``TypeWriter.update_down``); ``None`` where the mailbox keeps its
    company (one that names no account C4C knows)."""
    if name := linked.get("AccountFormattedName"):
        return {"AccountFormattedName": name}
    return {} if Linker(client).names_an_account(mapping.hints(record).account_name) else None


def refuse_if_fixed(session: Session, resources: Resources, issue: Issue, language: str) -> None:
    """Raise ``ALREADY_FIXED``, with the values the item holds now, for an issue a form could
    fix that was resolved meanwhile."""
    if issue.resolved_at is None or not can_fix(issue, resolved_too=True):
        return
    try:
        ctx = _read(session, resources, issue, language, resolved=True)
    except SaveDialogError:
        raise fixed.refusal(session, issue, None) from None
    raise fixed.refusal(session, issue, ctx.fields([], None), ctx.related([], None))


def open_item(session: Session, resources: Resources, issue: Issue, language: str) -> ItemContext:
    """Read the item of ``issue`` from both sides.

    Raises:
        SaveDialogError: ``ALREADY_FIXED`` for an issue resolved meanwhile, ``NOT_FIXABLE`` for
            an issue no form fixes, ``GONE`` when the item left the mailbox, ``UNAVAILABLE`` when
            the mailbox or C4C cannot be reached.
    """
    refuse_if_fixed(session, resources, issue, language)
    return _read(session, resources, issue, language)


def _read(
    session: Session, resources: Resources, issue: Issue, language: str, *, resolved: bool = False
) -> ItemContext:
    tenant, mailbox, mapping = _parts(session, issue, resolved=resolved)
    client = sides.c4c_client(tenant, resources)
    definition = sides.definition(tenant, client, mapping.entity_set, language)
    provider = sides.mailbox_provider(tenant, mailbox, resources)
    mapping = mapping.held_by(provider.as_kept)  # C4C's version as this mailbox keeps it
    record = sides.read_record(provider, mailbox, mapping.item_type, issue.mailbox_item_id or "")
    item = session.scalars(
        select(SyncItem).where(
            SyncItem.mailbox_id == mailbox.id,
            SyncItem.item_type == mapping.item_type,
            SyncItem.mailbox_item_id == record.id,
        )
    ).first()
    linked, carried = _linked(client, mapping, item), None
    if linked is None:
        links = sides.on_c4c(lambda: _guessed_links(client, mapping, record))
    elif _moved_in_sap(mapping, item, linked) and _sap_wins(tenant, mapping, record, linked):
        links = _links_of(linked)
        carried = sides.on_c4c(lambda: _account_down(client, mapping, record, linked))
    else:
        assert item is not None  # C4C's copy is the pair's
        links = sides.on_c4c(lambda: _links_sent(client, mapping, item, record, linked))
    kind = RELATED.get(mapping.item_type, ("", ""))[0]
    link = sides.on_c4c(lambda: describe(client, links, kind)) if kind else (None, None)
    return ItemContext(
        session, issue, tenant, mailbox, mapping, definition, client, provider, record, item,
        linked, links, link, carried,
    )  # fmt: skip


def open_form(
    session: Session, resources: Resources, issue: Issue, *, viewer: User, language: str = "en"
) -> SaveForm:
    """The Save dialog for ``issue``: pre-filled from the item, the issue's fields highlighted.

    Args:
        session: the database session.
        resources: the app's resources (settings, cipher).
        issue: an issue :func:`~backend.savedialog.form.can_fix` accepts.
        viewer: who opens it (see :func:`~backend.savedialog.viewer.authorise`).
        language: the language of the labels (``en``, ``de``...).

    Returns:
        The form.

    Raises:
        SaveDialogError: the viewer may not see this item, the issue is not fixable in a form,
            the item is gone, or the mailbox or C4C cannot be reached (``code`` tells which).
    """
    authorise(session, issue, viewer)
    ctx = open_item(session, resources, issue, language)
    flagged = list(issue.fields or [])
    return ctx.form(
        ctx.fields(flagged, issue.backend_message),
        ctx.related(flagged, issue.backend_message),
        issues.message_of(issue),
    )


def search_related(
    session: Session,
    resources: Resources,
    issue: Issue,
    query: str,
    *,
    viewer: User,
    limit: int = 10,
) -> list[RelatedCandidate]:
    """C4C accounts (and, for e-mails and appointments, contacts) the item could link to.

    Args:
        session: the database session.
        resources: the app's resources.
        issue: the issue whose item is being fixed.
        query: the start of a name (or, for contacts, an exact e-mail address).
        viewer: who searches (see :func:`~backend.savedialog.viewer.authorise`).
        limit: the most candidates to return.

    Returns:
        Candidates, accounts first; none for a query shorter than two characters or for item
        types without a related object.

    Raises:
        SaveDialogError: ``NOT_ALLOWED`` for a viewer who may not see the item,
            ``ALREADY_FIXED`` for an issue resolved meanwhile, ``NOT_FIXABLE`` for an issue no
            form fixes, ``UNAVAILABLE`` when C4C cannot be reached.
    """
    authorise(session, issue, viewer)
    refuse_if_fixed(session, resources, issue, "en")
    tenant, _mailbox, mapping = _parts(session, issue)
    if mapping.item_type not in RELATED:
        return []
    client = sides.c4c_client(tenant, resources)
    kind = RELATED[mapping.item_type][0]
    found = sides.on_c4c(lambda: search(client, kind, query, limit))
    offered.remember(resources.redis, issue.id, [candidate.object_id for candidate in found])
    return found


def fallback_form(issue: Issue, values: Mapping[str, str], message: str) -> SaveForm:
    """A form made of the submitted values alone, when the item could not even be read.

    Labels are the property names; what the person typed comes back unchanged.
    """
    if issue.item_type is None:
        raise SaveDialogError(errors.NOT_FIXABLE, DialogErrorCode.NOT_FIXABLE)
    mapping = MAPPINGS[issue.item_type]
    fields = tuple(
        FormField(str(name), str(name), "text", False, None, (), str(value), None)
        for name, value in values.items()
    )
    return SaveForm(
        issue_id=issue.id,
        item_type=issue.item_type,
        entity_set=mapping.entity_set,
        title=issue.title or "",
        message=issues.message_of(issue),
        fields=fields,
        related=None,
        errors=(message,),
    )

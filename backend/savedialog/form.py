"""The Save dialog's form: what it shows, built from C4C metadata, the item and its issue (pure).

One definition serves the dashboard page, the Outlook task pane and the Gmail card: each renders
a :class:`SaveForm` its own way. Fields are the properties the item type's mapping writes that
the mailbox item carries, every property C4C requires, and the properties the issue names;
labels, lengths, types and code lists come from the tenant's ``$metadata``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from backend.crm.metadata import EntityDefinition
from backend.i18n import reader_zone
from backend.models import Issue
from backend.models.issue import Source
from backend.models.types import Direction, IssueCode, ItemType
from backend.savedialog import errors
from backend.savedialog.values import field_kind, format_value
from backend.sync.mapping import TypeMapping
from backend.sync.planner import LINK_FIELDS
from backend.text import N_

FIXABLE = frozenset({IssueCode.NEEDS_INPUT, IssueCode.UNKNOWN})
RELATED: dict[ItemType, tuple[str, str]] = {
    ItemType.CONTACT: ("account", N_("Account")),
    ItemType.EMAIL: ("account_or_contact", N_("Account or contact")),
    ItemType.APPOINTMENT: ("account_or_contact", N_("Account or contact")),
}
"""Item types whose C4C object links to an account (or contact), the link's kind and label
(English: the form translates it)."""


@dataclass(frozen=True)
class FormField:
    """One input of the form.

    Attributes:
        name: the OData property name, e.g. ``LastName``.
        label: ``sap:label``.
        kind: ``text``, ``email``, ``number``, ``date``, ``datetime``, ``boolean`` or ``code``.
        required: C4C refuses the item without it.
        max_length: the most characters C4C keeps.
        options: ``(code, description)`` pairs of a code field.
        value: pre-filled from the mailbox item, or what the person typed.
        error: the message to show next to the field (C4C's text where it has one).
        read_only: shown for context but not saved (the mailbox copy of the item cannot be
            changed, e.g. a received e-mail).
        edm_type: the EDM type (``Edm.String``...), for parsing numbers.
    """

    name: str
    label: str
    kind: str
    required: bool
    max_length: int | None
    options: tuple[tuple[str, str], ...]
    value: str
    error: str | None
    read_only: bool = False
    edm_type: str = "Edm.String"


@dataclass(frozen=True)
class RelatedLink:
    """The account (or account or contact) the item is linked to in C4C.

    Attributes:
        kind: ``account`` (contacts) or ``account_or_contact`` (e-mails, appointments).
        label: what to call it.
        object_id: the linked object's C4C ``ObjectID``, if any.
        display: its name.
        required: the item cannot sync without a link (e-mails).
        error: why the link needs attention, if it does.
    """

    kind: str
    label: str
    object_id: str | None
    display: str | None
    required: bool = False
    error: str | None = None


@dataclass(frozen=True)
class SaveForm:
    """Everything a client needs to render the dialog."""

    issue_id: int
    item_type: ItemType
    entity_set: str
    title: str
    message: str | None
    fields: tuple[FormField, ...]
    related: RelatedLink | None
    errors: tuple[str, ...]

    def field(self, name: str) -> FormField | None:
        """The field called ``name``, if the form has one."""
        return next((item for item in self.fields if item.name == name), None)


@dataclass(frozen=True)
class SaveResult:
    """The answer to a submit.

    Attributes:
        ok: the item is in C4C now.
        status: ``SYNCED``; else the issue code now open (``NEEDS_INPUT``...) or
            ``UNAVAILABLE`` when the mailbox or C4C could not be reached.
        form: the form as it stands: on failure the submitted values and the new errors.
    """

    ok: bool
    status: str
    form: SaveForm


def can_fix(issue: Issue, *, resolved_too: bool = False) -> bool:
    """Whether a Fix button makes sense: an open, item-level issue a form can resolve.

    Args:
        issue: the issue.
        resolved_too: whether a form could fix it had it not been resolved (a form opened
            before it was resolved then says it is already fixed).

    Returns:
        True for open, non-informational ``NEEDS_INPUT`` issues of a mailbox item on its way to
        C4C, and for ``UNKNOWN`` ones that C4C raised; False for mailbox-level, resolved,
        informational, ``FORBIDDEN``, temporary and download issues.
    """
    if (issue.resolved_at is not None and not resolved_too) or issue.informational:
        return False
    if issue.item_type is None or not issue.mailbox_item_id:
        return False
    if issue.direction not in (Direction.UP, None) or issue.code not in FIXABLE:
        return False
    return issue.code is IssueCode.NEEDS_INPUT or issue.source is Source.C4C


def _blank(value: Any) -> bool:
    return value is None or value == ""


def field_names(
    definition: EntityDefinition,
    mapping: TypeMapping,
    current: Mapping[str, Any],
    flagged: Sequence[str],
) -> list[str]:
    """Which properties the form shows, in the mapping's order, then the others C4C wants.

    Args:
        definition: the entity's properties from ``$metadata``.
        mapping: the item type's mapping.
        current: the item's C4C values.
        flagged: the properties the issue names.

    Returns:
        The mapped properties the item carries, every required property and every flagged
        one; links (handled by :class:`RelatedLink`) and server-computed properties left out.
    """
    required = set(definition.required)
    carried = [
        name
        for name in mapping.fields
        if not _blank(current.get(name)) or name in required or name in flagged
    ]
    names = []
    for name in dict.fromkeys([*carried, *definition.required, *flagged]):
        found = definition.fields.get(name)
        if name in LINK_FIELDS or found is None or not (found.creatable or found.updatable):
            continue
        names.append(name)
    return names


def issue_error(name: str, label: str, flagged: Sequence[str], message: str | None) -> str | None:
    """The issue's message for a field it names (C4C's own text when it is about that field)."""
    if name not in flagged:
        return None
    named = [field for field in flagged if field not in LINK_FIELDS]
    if message and (len(named) == 1 or f"'{name}'" in message):
        return message
    return f"SAP Cloud for Customer reports a problem with {label}: check it."


def build_fields(
    definition: EntityDefinition,
    mapping: TypeMapping,
    current: Mapping[str, Any],
    flagged: Sequence[str],
    message: str | None,
    *,
    writable: bool,
    linked: bool,
) -> tuple[FormField, ...]:
    """The form's fields, pre-filled from ``current`` and highlighted where the issue says.

    Args:
        definition: the entity's properties from ``$metadata`` (labels, lengths, codes).
        mapping: the item type's mapping.
        current: the item's C4C values (``to_c4c`` of the mailbox item; C4C's copy for
            properties the mapping does not write).
        flagged: the properties the issue names as missing or invalid.
        message: the issue's text.
        writable: whether the mailbox copy of the item can be changed.
        linked: whether C4C has the item already (then update rules apply).

    Returns:
        The fields.
    """
    fields = []
    for name in field_names(definition, mapping, current, flagged):
        found = definition.fields[name]
        kind = field_kind(found)
        wanted = found.required or name in flagged
        fields.append(
            FormField(
                name=name,
                label=found.label,
                kind=kind,
                required=found.required,
                max_length=found.max_length,
                options=found.codes,
                value=format_value(current.get(name), kind, reader_zone()),
                error=issue_error(name, found.label, flagged, message),
                read_only=(not writable and not wanted)
                or not (found.updatable if linked else found.creatable),
                edm_type=found.type,
            )
        )
    return tuple(fields)


def related_link(
    item_type: ItemType,
    mapping: TypeMapping,
    object_id: str | None,
    display: str | None,
    flagged: Sequence[str],
    message: str | None,
) -> RelatedLink | None:
    """The related-object part of the form, for the types that link to an account or contact.

    Args:
        item_type: the item's type.
        mapping: its mapping (whether a link is required).
        object_id: the linked object's ``ObjectID``, if any.
        display: its name.
        flagged: the properties the issue names (a link property highlights the link).
        message: the issue's text.

    Returns:
        The link, or ``None`` for types without one.
    """
    if item_type not in RELATED:
        return None
    kind, label = RELATED[item_type][0], gettext(RELATED[item_type][1])
    error = None
    if LINK_FIELDS & set(flagged):
        error = message or errors.say(errors.RELATED_REQUIRED)
    return RelatedLink(kind, label, object_id, display, required=mapping.needs_link, error=error)

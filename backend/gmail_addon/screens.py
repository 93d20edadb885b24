"""What the Gmail add-on shows, as cards: home, the open message, an issue, the Save dialog,
re-activation. Pure: views gather the data and hand each button an :class:`Action`.

Times read in the user's time zone (from the event object, :class:`UserTime`); dates and
times in the Save dialog are Google's date-time pickers; an issue's subtitle is what to do,
never an internal code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from html import escape

from babel.dates import format_date, format_time
from flask_babel import get_locale
from flask_babel import gettext as _

from backend import presenters, savedialog
from backend.addin import item_status as addin
from backend.gmail_addon.cards import (
    Action,
    Button,
    Buttons,
    Card,
    Choice,
    Choices,
    DateTimePicker,
    Labelled,
    OpenLink,
    Paragraph,
    Section,
    TextField,
)
from backend.i18n import reader_zone
from backend.models import Issue, Mailbox
from backend.models.mailbox import HealthStatus
from backend.models.types import ITEM_TYPE_LABELS, ItemType
from backend.savedialog import FormField, RelatedCandidate, SaveForm
from backend.savedialog.values import parse_date, parse_datetime

ActionFor = Callable[..., Action]
"""``action_for(name, **state)``: a button's callback to the handler ``name`` with that state."""

RELATED_QUERY, RELATED_CHOICE = "related_query", "related_id"
"""Form input names of the account search and the picked account (not C4C property names)."""


@dataclass(frozen=True)
class UserTime:
    """The user's time zone, as Gmail's event object gives it (``timeZone``)."""

    zone: tzinfo = UTC
    offset_minutes: int | None = None

    def text(self, moment: datetime) -> str:
        """``moment`` as the user reads it, in their language: ``Dec 11, 2026, 10:00 AM CET``
        (``11.12.2026, 10:00 CET`` in German)."""
        zoned = moment.astimezone(self.zone)
        locale = get_locale()
        day = format_date(zoned, "medium", locale=locale)
        return f"{day}, {format_time(zoned, 'short', tzinfo=self.zone, locale=locale)} " + (
            zoned.strftime("%Z")
        )


def _title(text: str | None) -> str:
    """An item's title for formatted text (escaped)."""
    return escape(text or _("(no title)"))


def _plain_title(text: str | None) -> str:
    """An item's title for plain text (card headers)."""
    return text or _("(no title)")


def _red(text: str) -> str:
    return f'<font color="#d93025">{escape(text)}</font>'


def _mailbox_section(mailbox: Mailbox, time: UserTime) -> Section:
    pill = presenters.mailbox_pill(mailbox)
    moment = mailbox.last_synced_at
    synced = time.text(moment) if moment else _("not yet")
    return Section((Labelled(_("Mailbox"), f"{escape(mailbox.address)}: {escape(_(pill.label))}",
                             escape(_("Last sync %(when)s", when=synced))),))  # fmt: skip


def reactivation(mailbox: Mailbox, url: str) -> Card:
    """Sync is stopped until the user grants access again (consent or password)."""
    why = presenters.status_reason_of(mailbox) or _(
        "Your mailbox no longer accepts the sync's sign-in."
    )
    widgets = (
        Paragraph(f"{escape(why)} {escape(_('Nothing is synced until you re-activate it.'))}"),
        Buttons((Button(_("Re-activate"), OpenLink(url), main=True),)),
    )
    return Card(_("Sync is stopped"), (Section(widgets),), subtitle=mailbox.address,
                name="reactivation")  # fmt: skip


def home(
    mailbox: Mailbox,
    issues: Sequence[Issue],
    total: int,
    action_for: ActionFor,
    dashboard: str,
    time: UserTime,
    warnings: Sequence[presenters.WarningView] = (),
) -> Card:
    """The user's sync status, what will break it if nobody acts (``warnings``) and open
    issues (``total`` of them, the first ``issues`` shown)."""
    rows: list[Labelled | Buttons | Paragraph] = []
    for issue in issues:
        kind = _(ITEM_TYPE_LABELS[issue.item_type]) if issue.item_type else _("Mailbox")
        advice = presenters.action_of(issue).title
        rows.append(Labelled(kind, _title(issue.title), escape(advice)))
        rows.append(Buttons((Button(_("Open"), action_for("issue", issue=issue.id)),)))
    if not rows:
        rows.append(Paragraph(_("Everything is in sync: no item of your mailbox has an issue.")))
    more = Buttons((Button(_("Open the dashboard"), OpenLink(dashboard)),))
    warned: list[Labelled | Buttons] = []
    for warning in warnings:
        warned.append(Labelled(_("Warning"), _red(warning.title), escape(warning.detail)))
        warned.append(Buttons((Button(warning.link_label, OpenLink(warning.link_url)),)))
    sections = (
        _mailbox_section(mailbox, time),
        *(
            (Section(tuple(warned), header=_("Warnings (%(count)s)", count=len(warnings))),)
            if warned
            else ()
        ),
        Section((*rows, more), header=_("Open issues (%(count)s)", count=total)),
    )
    return Card("SAP Sync", sections, name="home")


def message(found: addin.ItemStatus, action_for: ActionFor) -> Card:
    """The open message: its sync state, its issue, the label explained, Track in SAP."""
    state = found.state
    if state is addin.ItemState.ISSUE:
        issue = next(issue for issue in found.issues if not issue.informational)
        return issue_card(issue, action_for)
    if state is addin.ItemState.SYNCED:
        text = escape(_("This e-mail is in SAP Cloud for Customer."))
    elif state is addin.ItemState.PENDING:
        text = escape(_("This e-mail is waiting for the next sync (within a few minutes)."))
    else:
        track = f"<b>{escape(_('Track in SAP'))}</b>"
        text = _('This e-mail is not tracked in SAP. %(track)s gives it the label "SAP E-Mails" '
                 "and syncs it now.", track=track)  # fmt: skip
    widgets: list[Paragraph | Buttons] = [Paragraph(text)]
    if state is addin.ItemState.NOT_TRACKED:
        widgets.append(Buttons((Button(_("Track in SAP"), action_for("track"), main=True),)))
    return Card("SAP Sync", (Section(tuple(widgets)),), subtitle=_("This e-mail"),
                name="message")  # fmt: skip


def issue_card(issue: Issue, action_for: ActionFor) -> Card:
    """One issue: what is wrong, what to do, the label explained, Fix and Retry."""
    buttons = []
    if savedialog.can_fix(issue):
        buttons.append(Button(_("Fix"), action_for("form", issue=issue.id), main=True))
    if issue.item_type is not None and issue.mailbox_item_id:
        buttons.append(Button(_("Retry"), action_for("retry", issue=issue.id)))
    explained = [Paragraph(_label_explained())] if issue.item_type is ItemType.EMAIL else []
    wrong = presenters.message_of(issue) or _("SAP Sync could not sync this item.")
    action = presenters.action_of(issue)
    what = Section((
        Labelled(_("What is wrong"), escape(wrong)),
        Labelled(_("What to do"), f"<b>{escape(action.title)}.</b> {escape(action.text)}"),
        *explained,
        *([Buttons(tuple(buttons))] if buttons else []),
    ))  # fmt: skip
    return Card(_plain_title(issue.title), (what,), subtitle=action.title, name="issue")


def _label_explained() -> str:
    label = f"<b>{escape('SAP E-Mails/Sync Error')}</b>"
    return _(
        "The red label %(label)s marks e-mails that could not be saved in SAP. It goes away by "
        "itself once the problem is fixed.",
        label=label,
    )


def form(
    found: SaveForm,
    action_for: ActionFor,
    time: UserTime,
    candidates: Sequence[RelatedCandidate] = (),
    query: str = "",
) -> Card:
    """The Save dialog: one input per field (missing ones marked), the account to link, Save."""
    notes = (*found.errors, *([found.message] if found.message else []))
    inputs: list[TextField | Labelled | Paragraph | Choices | DateTimePicker] = [
        Paragraph(_red(text)) for text in notes
    ]
    for field in found.fields:
        inputs.extend(_input(field, time))
    sections = [Section(tuple(inputs), header=_("Fill in what SAP needs"))]
    related = found.related
    if related is not None:
        current = escape(related.display or _("none yet"))
        rows: list[Labelled | TextField | Choices | Buttons] = [
            Labelled(escape(related.label), current, escape(related.error or "") or None),
            TextField(RELATED_QUERY, _("Search by name"), query),
            Buttons((Button(_("Search"), action_for("search", issue=found.issue_id)),)),
        ]
        if candidates:
            rows.append(Choices(RELATED_CHOICE, _("Link to"), tuple(
                Choice(f"{c.name} ({c.detail})" if c.detail else c.name, c.object_id)
                for c in candidates
            ), radio=True))  # fmt: skip
        sections.append(Section(tuple(rows), header=escape(related.label)))
    linked = {"related": related.object_id} if related is not None and related.object_id else {}
    save = Button(_("Save and sync"), action_for("save", issue=found.issue_id, **linked),
                  main=True)  # fmt: skip
    sections.append(Section((Buttons((save,)),)))
    return Card(_("Fix: %(title)s", title=_plain_title(found.title)), tuple(sections),
                name="form")  # fmt: skip


def _moment(field: FormField) -> datetime | None:
    """The field's date (midnight UTC) or date and time, if it holds one."""
    try:
        if field.kind == "date":
            return parse_date(field.value)
        return parse_datetime(field.value, reader_zone())  # as the form wrote it: Gmail's zone
    except ValueError:
        return None


def _input(
    field: FormField, time: UserTime
) -> list[TextField | Labelled | Paragraph | Choices | DateTimePicker]:
    """The widgets of one field: read-only values as text, dates and times as pickers."""
    label = f"{field.label} *" if field.required and not field.read_only else field.label
    dated = field.kind in ("date", "datetime")
    moment = _moment(field) if dated and field.value else None
    if field.read_only:
        shown = field.value
        if moment is not None:
            shown = (format_date(moment, "medium", locale=get_locale()) if field.kind == "date"
                     else time.text(moment))  # fmt: skip
        return [Labelled(escape(label), escape(shown) or "-")]
    if field.kind in ("code", "boolean"):
        return [_dropdown(field, label)]
    if dated:
        kind = "DATE_ONLY" if field.kind == "date" else "DATE_AND_TIME"
        value = int(moment.timestamp() * 1000) if moment is not None else None
        picker = DateTimePicker(field.name, label, kind, value, time.offset_minutes)
        return [picker, *([Paragraph(_red(field.error))] if field.error else [])]
    return [TextField(field.name, label, field.value, field.error)]


def _dropdown(field: FormField, label: str) -> Choices:
    """A code list (or yes/no) to pick from, with an empty choice while nothing is picked or
    when the field may stay empty."""
    boolean = field.kind == "boolean"
    options = (("true", _("Yes")), ("false", _("No"))) if boolean else field.options
    current = field.value.lower() if boolean else field.value
    choices = [Choice(text, code, code == current) for code, text in options]
    if not field.required or not current:
        choices.insert(0, Choice(_("(none)") if not field.required else _("Choose…"), "",
                                 not current))  # fmt: skip
    return Choices(field.name, label, tuple(choices))


def saved(title: str | None, action_for: ActionFor) -> Card:
    """After a save that synced: done, and the way home."""
    done = _("%(title)s is saved in SAP and in your mailbox. The red label is gone.",
             title=_title(title))  # fmt: skip
    widgets = (Paragraph(done), Buttons((Button(_("Back to my issues"), action_for("home")),)))
    return Card(_("In sync"), (Section(widgets),), name="saved")


def elsewhere(mailbox: Mailbox) -> Card:
    """The user's synced mailbox is not this Gmail: nothing here is synced."""
    system = presenters.provider_label(mailbox.provider)
    text = _("Your synced mailbox is %(address)s on %(system)s: messages in this Gmail are not "
             "synced. Use the SAP Sync add-in of that mail system.",
             address=escape(mailbox.address), system=escape(system))  # fmt: skip
    return Card("SAP Sync", (Section((Paragraph(text),)),), name="elsewhere")


def stopped_mailbox(mailbox: Mailbox) -> bool:
    return mailbox.status in (HealthStatus.FAILED_AUTH, HealthStatus.DISABLED)

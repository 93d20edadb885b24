"""How the web pages name and colour things: status pills, item type labels, item links.

Pure functions of rows, shared by the dashboard and the admin panel, tested table-driven.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from babel import Locale
from flask import has_app_context, url_for
from flask_babel import format_number, gettext

from backend.i18n import local_time, reader_locale
from backend.mailbox.ews.provider import owa_url_of
from backend.mailbox.gmail import provider as gmail
from backend.mailbox.graph.provider import outlook_web_link
from backend.mailbox.outlook import owa_link
from backend.models import Issue, Mailbox, Run, ServiceHealth, SyncWarning, Tenant, User
from backend.models.issue import Operation, Source
from backend.models.mailbox import HealthStatus, Provider, Stage
from backend.models.types import ITEM_TYPE_LABELS, IssueCode, ItemType
from backend.models.warning import WarningKind
from backend.settings import Settings
from backend.storage.db import MAX_ID
from backend.sync import issues
from backend.sync import warnings as sync_warnings
from backend.sync.errors import in_words
from backend.sync.recommendations import Action, recommended_action
from backend.text import N_

C4C_THING_TYPES = {
    ItemType.CONTACT: ("COD_CONTACT_TT", "ContactID"),
    ItemType.ACCOUNT: ("COD_ACCOUNT_TT", "AccountID"),
    ItemType.TASK: ("COD_TASK", "ID"),
    ItemType.EMAIL: ("COD_EMAIL", "ID"),
    ItemType.APPOINTMENT: ("COD_APPOINTMENT", "ID"),
}
"""C4C's thing type per item type, which its UI opens through ``OnExtInspect``, and the
property holding the business ID that deep link names (``ContactID``, not the ``ObjectID``)."""

SOURCE_LABELS = {
    Source.C4C: "SAP Cloud for Customer",
    Source.EXCHANGE: "Exchange",
    Source.GRAPH: "Exchange Online",
    Source.GMAIL: "Gmail",
    Source.ENGINE: "SAP Sync",
}
"""Where an issue came from, in the words of the pages."""


@dataclass(frozen=True)
class Pill:
    label: str
    tone: str
    """``ok``, ``busy``, ``warn``, ``error`` or ``muted``: a CSS class suffix."""
    note: str | None = None
    """A line beside the pill: what is wrong, since when, the last success."""


def moment(when: datetime | None) -> str:
    """A time as the pages' notes say it, in the reader's language and time zone
    (``04 Dec 14:20 UTC``, ``04 Dez. 15:20 MEZ``)."""
    if when is None:
        return gettext("never")
    return local_time(when, "dd MMM HH:mm z")


WAITING_FOR_SAP = N_(
    "Your mailbox is fine; the sync waits for SAP Cloud for Customer, which does not answer."
)


def awaits_connection(mailbox: Mailbox) -> bool:
    """A new mailbox its user has not connected yet: nothing runs before they do."""
    return (
        mailbox.status is HealthStatus.NOT_SYNCED
        and mailbox.next_sync_at is None
        and mailbox.credentials_encrypted is None
        and mailbox.last_synced_at is None
    )


def _count(number: int) -> str:
    """``1,250`` (``1.250`` in German): a count as the reader writes it."""
    return format_number(number) if has_app_context() else f"{number:,}"


def import_progress(mailbox: Mailbox) -> dict[ItemType, str]:
    """During a mailbox's first import, where each item type stands: imported, being imported
    now, or waiting for its turn (empty once the mailbox has synced)."""
    if mailbox.last_synced_at is not None or awaits_connection(mailbox):
        return {}
    progress = {}
    for state in mailbox.item_states:
        if state.last_synced_at is not None:
            progress[state.item_type] = gettext("Imported")
        elif state.stage is Stage.ONGOING and state.creating:
            done, of = _count(min(state.created, state.creating)), _count(state.creating)
            progress[state.item_type] = gettext("Importing now: %(done)s of %(of)s", done=done,
                                                of=of)  # fmt: skip
        elif state.stage is Stage.ONGOING:
            progress[state.item_type] = gettext("Importing now")
        else:
            progress[state.item_type] = gettext("Waiting")
    return progress


def mailbox_pill(mailbox: Mailbox) -> Pill:
    """The mailbox connection's state in the words of the dashboard.

    A run that failed because C4C did not answer does not blame the mailbox: it is waiting
    for SAP. Any other failure says why, since when, and when the last good sync was.
    """
    if awaits_connection(mailbox):
        return Pill(
            N_("Not connected yet"), "warn", gettext("Nothing syncs until its user connects it.")
        )
    match mailbox.status:
        case HealthStatus.PAUSED:
            return Pill(N_("Paused"), "muted")
        case HealthStatus.FAILED_AUTH:
            return Pill(N_("Needs re-activation"), "error")
        case HealthStatus.FAILED_UNKNOWN if mailbox.failing_source is Source.C4C:
            note = gettext("%(waiting)s Last good sync %(when)s.", waiting=gettext(WAITING_FOR_SAP),
                           when=moment(mailbox.last_synced_at))  # fmt: skip
            return Pill(N_("Waiting for SAP"), "warn", note)
        case HealthStatus.FAILED_UNKNOWN | HealthStatus.DISABLED:
            return Pill(N_("Sync failed"), "error", _failing_note(mailbox))
        case HealthStatus.NOT_SYNCED:
            return Pill(N_("Importing"), "busy")
    if any(state.stage is Stage.ONGOING for state in mailbox.item_states) and not (
        mailbox.last_synced_at
    ):
        return Pill(N_("Importing"), "busy")
    return Pill(N_("Synced"), "ok")


def _failing_note(mailbox: Mailbox) -> str | None:
    if mailbox.failing_since is None and not mailbox.status_reason:
        return None
    reason = (status_reason_of(mailbox) or gettext("The sync fails")).rstrip(".")
    return gettext(
        "%(reason)s. Failing since %(since)s; last good sync %(good)s.", reason=reason,
        since=moment(mailbox.failing_since), good=moment(mailbox.last_synced_at),
    )  # fmt: skip


def service_pill(health: ServiceHealth | None, name: str) -> Pill:
    """A shared service (``name``: how people know it) as the runs saw it: not reachable (why,
    since when, its last answer), or connected (and when it last answered)."""
    if health is not None and health.failing_since is not None:
        problem = (health.problem or gettext("%(name)s does not answer", name=name)).rstrip(".")
        note = gettext(
            "%(problem)s. Since %(since)s; last answered %(good)s.", problem=problem,
            since=moment(health.failing_since), good=moment(health.last_ok_at),
        )  # fmt: skip
        return Pill(N_("Not reachable"), "error", note)
    if health is not None and health.last_ok_at is not None:
        return Pill(N_("Connected"), "ok",
                    gettext("Last answered %(when)s.", when=moment(health.last_ok_at)))  # fmt: skip
    return Pill(N_("Connected"), "ok")


def c4c_pill(health: ServiceHealth | None) -> Pill:
    """SAP's side, as the dashboard shows it."""
    return service_pill(health, "SAP Cloud for Customer")


def provider_label(provider: Provider) -> str:
    return {
        Provider.EXCHANGE: "Exchange",
        Provider.GRAPH: "Exchange Online",
        Provider.GMAIL: "Gmail",
    }[provider]


_PATH_SAFE = "!$&'()*+,:;=@"
"""What a filled-in part leaves unquoted: what werkzeug leaves in a path's part (the URL
standard's path-segment string) but ``/``, so a value (an id C4C sent) adds no segment to the
path (``../``)."""


def url_maker(endpoint: str, part: str, **values: Any) -> Callable[[object], str]:
    """``url_for(endpoint, **values)`` with any value of ``part``, a part of the rule's path,
    built once: werkzeug builds each URL through its rule, and a page of fifty issues links each
    of them. Where the probe's digits are not in the path exactly once (``part`` is a query
    argument, or the host holds them), each URL is built in full."""
    # The largest row id: every rule's converters take it (a row id, or a string), and no
    # URL holds its digits by chance.
    probe = url_for(endpoint, **{part: MAX_ID}, **values)
    marker = str(MAX_ID)
    head, found, tail = probe.partition(marker)
    if not found or marker in tail or marker not in urlsplit(probe).path:
        return lambda value: url_for(endpoint, **{part: value}, **values)
    return lambda value: f"{head}{quote(str(value), safe=_PATH_SAFE)}{tail}"


def c4c_item_links(tenant: Tenant) -> Callable[[ItemType | None, str | None], str | None]:
    """Our links that open objects of ``tenant`` in the C4C web client, for those in C4C.

    C4C's deep link names the object by its business ID (``ContactID``...), which only C4C
    knows: the link points at :mod:`backend.web.links`, which asks C4C for it and redirects.
    ``tenant`` is the objects' tenant (links are for its users only). Each type's URL is built
    once, for the many links of a page.
    """
    makers: dict[ItemType, Callable[[object], str]] = {}

    def link(item_type: ItemType | None, object_id: str | None) -> str | None:
        if not object_id or item_type is None or item_type not in C4C_THING_TYPES:
            return None
        maker = makers.get(item_type)
        if maker is None:
            maker = makers[item_type] = url_maker(
                "links.open_in_sap", "object_id", item_type=item_type.value.lower(), _external=True
            )
        return maker(object_id)

    return link


def c4c_item_link(tenant: Tenant, item_type: ItemType | None, object_id: str | None) -> str | None:
    """The link of :func:`c4c_item_links` for one object."""
    return c4c_item_links(tenant)(item_type, object_id)


def c4c_deep_link(tenant: Tenant, item_type: ItemType, internal_id: str) -> str:
    """C4C's own deep link that opens one object in its web client (``OnExtInspect`` of the
    generic thing type, with the object's business ID and thing type)."""
    parts = urlsplit(tenant.c4c_base_url)
    query = urlencode(
        {
            "bo_ns": "http://sap.com/thingTypes",
            "bo": "COD_GENERIC",
            "node": "Root",
            "operation": "OnExtInspect",
            "param.InternalID": internal_id,
            "param.Type": C4C_THING_TYPES[item_type][0],
            "sapbyd-agent": "TAB",
        }
    )
    return f"{parts.scheme}://{parts.netloc}/sap/public/byd/runtime?{query}"


def source_label(source: Source | str) -> str:
    """``C4C`` → "SAP Cloud for Customer", and so on."""
    return SOURCE_LABELS.get(Source(source), str(source))


def action_of(issue: Issue) -> Action:
    """The issue's recommended action in the reader's language (the stored one is English)."""
    fields = tuple(issue.fields or ())
    return _action(reader_locale(), issue.code, fields, issue.operation, issue.backend_code)


@functools.lru_cache(maxsize=512)
def _action(
    locale: Locale | None,
    code: IssueCode,
    fields: tuple[str, ...],
    operation: Operation | None,
    backend_code: str | None,
) -> Action:
    """Actions by language and what they depend on: a page of fifty issues has a few kinds."""
    return recommended_action(code, fields, operation, backend_code)


def run_error_of(run: Run) -> str | None:
    """Why ``run`` failed, in the reader's language (the product's own words; a backend's as it
    said them)."""
    return in_words(run.error_words, run.error_message)


def status_reason_of(mailbox: Mailbox) -> str | None:
    """Why ``mailbox`` stopped or fails, in the reader's language, as :func:`run_error_of`."""
    return in_words(mailbox.status_words, mailbox.status_reason)


def message_of(issue: Issue) -> str | None:
    """The issue's message in the reader's language (the product's own words; a backend's as
    it said them)."""
    return issues.message_of(issue)


def types_read_in_full(run: Run) -> str:
    """ "E-Mails, Contacts": the types ``run`` read in full (empty when none)."""
    return ", ".join(
        gettext(ITEM_TYPE_LABELS[ItemType(t)]) if t in ItemType.__members__ else t
        for t in run.types_read_in_full
    )


def mailbox_item_link(
    tenant: Tenant,
    mailbox: Mailbox,
    item_type: ItemType | None,
    item_id: str | None,
    settings: Settings,
) -> str | None:
    """A link that opens the item in the mail system's web client: Outlook on the web of the
    tenant's Exchange server, Outlook on the web of Exchange Online (``OUTLOOK_WEB_URL``), or
    Google's web apps (at ``GOOGLE_API_BASE`` when that names an emulator)."""
    if not item_id or item_type is None:
        return None
    if mailbox.provider is Provider.EXCHANGE and tenant.mail_endpoint:
        return owa_link(owa_url_of(tenant.mail_endpoint), item_type, item_id)
    if mailbox.provider is Provider.GRAPH:
        return outlook_web_link(item_type, item_id, settings.outlook_web_url.rstrip("/") + "/")
    if mailbox.provider is Provider.GMAIL:
        return gmail.web_link(mailbox.address, item_type, item_id, settings.google_api_base)
    return None


def help_mailto(issue: Issue, user: User, support_email: str) -> str:
    """A mail to support with what they need to help: codes, ids and times of the issue."""
    subject = f"Sync issue {issue.code} ({issue.backend_code or 'no backend code'})"
    lines = [
        "Hello support,",
        "",
        "I need help with this synchronization issue:",
        f"- Item: {issue.title or '(no title)'} ({issue.item_type or 'mailbox'})",
        f"- Code: {issue.code}, source {issue.source}, backend code {issue.backend_code or '-'}",
        f"- HTTP status: {issue.http_status or '-'}",
        f"- Message: {issue.backend_message or '-'}",
        f"- Issue id: {issue.id}, C4C id: {issue.c4c_object_id or '-'}",
        f"- First seen: {issue.first_seen_at:%Y-%m-%d %H:%M} UTC, occurrences: {issue.occurrences}",
        f"- Mailbox: {user.email}",
    ]
    body = "\r\n".join(lines)
    return f"mailto:{support_email}?subject={_percent(subject)}&body={_percent(body)}"


_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PERCENT = [chr(b) if chr(b) in _UNRESERVED else f"%{b:02X}" for b in range(256)]
"""Each byte as a URL writes it with nothing reserved: itself when unreserved (RFC 3986), else
``%XX``, as ``quote(..., safe="")``."""


def _percent(text: str) -> str:
    """``quote(text, safe="")`` in one pass in C: the support mail of every issue shown on the
    Issues tab is some six hundred characters, which ``quote`` looks at one by one in Python."""
    return text.encode().decode("latin-1").translate(_PERCENT)


def title_hidden(issue: Issue, viewer_id: int, hide_other_users_titles: bool) -> bool:
    """The tenant's privacy setting: a key user sees other users' issues without their titles
    (API, admin page and CSV alike)."""
    return hide_other_users_titles and issue.user_id != viewer_id


def issue_document(
    issue: Issue,
    *,
    mailbox_address: str,
    owner: dict[str, Any] | None,
    hidden: bool,
    base: str,
) -> dict[str, Any]:
    """An issue as the issues API (``docs/openapi.yaml``) and ``flask issues list --json`` give
    it; ``hidden`` leaves out what the tenant hides of other users' items, ``base`` is the public
    address its links start with."""
    return {
        **issue_core(issue),
        "title": None if hidden else issue.title,
        "message": None if hidden else issue.backend_message,
        "source": issue.source,
        "direction": issue.direction,
        "operation": issue.operation,
        "backend_code": issue.backend_code,
        "http_status": issue.http_status,
        "resolved_at": utc_iso(issue.resolved_at),
        "resolution": issue.resolution,
        "mailbox": {"id": issue.mailbox_id, "address": mailbox_address},
        "user": owner,
        "c4c_object_id": issue.c4c_object_id,
        "mailbox_item_id": issue.mailbox_item_id,
        "links": {
            "self": f"{base}/api/v1/issues/{issue.id}",
            "dashboard": f"{base}/issues#issue-{issue.id}",
        },
    }


def utc_iso(moment: datetime | None) -> str | None:
    """A time as the JSON APIs and ``<time datetime>`` attributes give it: ISO 8601 in UTC,
    ending in ``Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def issue_core(issue: Issue) -> dict[str, Any]:
    """What both JSON APIs say about an issue; each adds its own fields."""
    return {
        "id": issue.id,
        "type": issue.item_type,
        "code": issue.code,
        "title": issue.title,
        "message": issue.backend_message,
        "fields": list(issue.fields or []),
        "recommended_action": {"title": issue.action_title, "text": issue.action_text},
        "informational": issue.informational,
        "occurrences": issue.occurrences,
        "first_seen": utc_iso(issue.first_seen_at),
        "last_seen": utc_iso(issue.last_seen_at),
    }


@dataclass(frozen=True)
class WarningView:
    """An open warning as the pages, the task pane and the Gmail add-on show it."""

    id: int
    kind: str
    title: str
    detail: str
    action: str
    link_label: str
    link_url: str
    ends_at: datetime | None
    company_wide: bool


def warning_views(
    found: list[SyncWarning], base_url: str, *, admin: bool = False
) -> list[WarningView]:
    """The warnings as shown; in the Admin panel (``admin``), a mailbox's links to its runs and
    details there rather than to its user's own pages."""
    now = datetime.now(UTC)
    views = []
    for warning in found:
        words = sync_warnings.describe(warning, now, base_url)
        link = words.link
        if admin and warning.mailbox_id is not None and warning.kind in TO_ITS_USER:
            link = (gettext("Runs and details"), f"{base_url}/admin/mailboxes/{warning.mailbox_id}")
        views.append(WarningView(warning.id, warning.kind.value, words.title, words.detail,
                                 words.action, *link, warning.ends_at,
                                 warning.mailbox_id is None))  # fmt: skip
    return views


TO_ITS_USER = (WarningKind.GOOGLE_CONSENT_ENDS, WarningKind.FAILURES_RISING)
"""Warnings whose link leads to the mailbox's user's own pages."""


def warning_json(view: WarningView) -> dict[str, Any]:
    return {
        "kind": view.kind,
        "title": view.title,
        "detail": view.detail,
        "action": view.action,
        "link": {"label": view.link_label, "url": view.link_url},
        "ends_at": utc_iso(view.ends_at),
    }

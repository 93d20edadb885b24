"""How pages name and colour states, and the links they build (pure, table-driven)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

from backend import presenters
from backend.models import Issue, Mailbox, MailboxItemState, ServiceHealth, Tenant, User
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus, Provider, Stage
from backend.models.types import IssueCode, ItemType, MailSystem
from backend.settings import Settings

NOW = datetime(2026, 11, 28, 12, 0)
SINCE = datetime(2026, 11, 28, 12, 40, tzinfo=UTC)


def _mailbox(status: HealthStatus, stage: Stage = Stage.PENDING, synced: bool = False) -> Mailbox:
    mailbox = Mailbox(provider=Provider.EXCHANGE, address="anna@contoso.test", status=status)
    mailbox.last_synced_at = NOW if synced else None
    mailbox.next_sync_at = NOW  # connected: the scheduler knows when it runs
    mailbox.item_states = [MailboxItemState(item_type=ItemType.CONTACT, stage=stage)]
    return mailbox


@pytest.mark.parametrize(
    ("status", "stage", "synced", "label", "tone"),
    [
        (HealthStatus.ACTIVE, Stage.PENDING, True, "Synced", "ok"),
        (HealthStatus.ACTIVE, Stage.ONGOING, True, "Synced", "ok"),
        (HealthStatus.ACTIVE, Stage.ONGOING, False, "Importing", "busy"),
        (HealthStatus.NOT_SYNCED, Stage.PENDING, False, "Importing", "busy"),
        (HealthStatus.PAUSED, Stage.PENDING, True, "Paused", "muted"),
        (HealthStatus.FAILED_AUTH, Stage.PENDING, True, "Needs re-activation", "error"),
        (HealthStatus.FAILED_UNKNOWN, Stage.PENDING, True, "Sync failed", "error"),
        (HealthStatus.DISABLED, Stage.PENDING, True, "Sync failed", "error"),
    ],
)
def test_mailbox_pill(status, stage, synced, label, tone) -> None:
    pill = presenters.mailbox_pill(_mailbox(status, stage, synced))
    assert (pill.label, pill.tone) == (label, tone)


def test_a_mailbox_its_user_has_not_connected_yet_says_so() -> None:
    mailbox = _mailbox(HealthStatus.NOT_SYNCED)
    mailbox.next_sync_at = None
    assert presenters.awaits_connection(mailbox)
    assert presenters.mailbox_pill(mailbox).label == "Not connected yet"
    mailbox.credentials_encrypted = "stored"
    assert not presenters.awaits_connection(mailbox)


def test_a_run_failed_by_c4c_does_not_blame_the_mailbox() -> None:
    mailbox = _mailbox(HealthStatus.FAILED_UNKNOWN, synced=True)
    mailbox.failing_source, mailbox.failing_since = Source.C4C, SINCE
    mailbox.status_reason = "SAP Cloud for Customer did not answer within 30 s"
    pill = presenters.mailbox_pill(mailbox)
    assert (pill.label, pill.tone) == ("Waiting for SAP", "warn")
    assert "Last good sync 28 Nov 12:00 UTC" in (pill.note or "")


def test_a_failing_mailbox_says_why_since_when_and_its_last_good_sync() -> None:
    mailbox = _mailbox(HealthStatus.FAILED_UNKNOWN, synced=True)
    mailbox.failing_source, mailbox.failing_since = Source.EXCHANGE, SINCE
    mailbox.status_reason = "The Exchange server did not answer within 30 s"
    assert presenters.mailbox_pill(mailbox) == presenters.Pill(
        "Sync failed",
        "error",
        "The Exchange server did not answer within 30 s. Failing since 28 Nov 12:40 UTC; "
        "last good sync 28 Nov 12:00 UTC.",
    )


@pytest.mark.parametrize(
    ("health", "pill"),
    [
        (None, presenters.Pill("Connected", "ok")),
        (
            ServiceHealth(last_ok_at=SINCE),
            presenters.Pill("Connected", "ok", "Last answered 28 Nov 12:40 UTC."),
        ),
        (
            ServiceHealth(
                failing_since=SINCE,
                last_ok_at=NOW.replace(tzinfo=UTC),
                problem="SAP Cloud for Customer did not answer within 30 s",
            ),
            presenters.Pill(
                "Not reachable",
                "error",
                "SAP Cloud for Customer did not answer within 30 s. Since 28 Nov 12:40 UTC; "
                "last answered 28 Nov 12:00 UTC.",
            ),
        ),
        (
            ServiceHealth(failing_since=SINCE),
            presenters.Pill(
                "Not reachable",
                "error",
                "SAP Cloud for Customer does not answer. Since 28 Nov 12:40 UTC; "
                "last answered never.",
            ),
        ),
    ],
    ids=["never reached", "answering", "not answering", "never answered"],
)
def test_c4c_pill_shows_what_the_runs_saw(health, pill) -> None:
    assert presenters.c4c_pill(health) == pill


TENANT = Tenant(
    c4c_base_url="https://my123.crm.ondemand.com/sap/c4c/odata/v1/c4codataapi/",
    mail_system=MailSystem.EXCHANGE_SERVER,
    mail_endpoint="https://mail.contoso.test/EWS/Exchange.asmx",
)


@pytest.mark.parametrize(
    ("item_type", "thing_type"),
    [
        (ItemType.CONTACT, "COD_CONTACT_TT"),
        (ItemType.ACCOUNT, "COD_ACCOUNT_TT"),
        (ItemType.TASK, "COD_TASK"),
        (ItemType.APPOINTMENT, "COD_APPOINTMENT"),
    ],
)
def test_c4c_deep_link_is_c4cs_own_form_with_the_business_id(item_type, thing_type) -> None:
    link = presenters.c4c_deep_link(TENANT, item_type, "1000123")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "my123.crm.ondemand.com")
    assert parts.path == "/sap/public/byd/runtime"
    assert parse_qs(parts.query) == {
        "bo_ns": ["http://sap.com/thingTypes"],
        "bo": ["COD_GENERIC"],
        "node": ["Root"],
        "operation": ["OnExtInspect"],
        "param.InternalID": ["1000123"],
        "param.Type": [thing_type],
        "sapbyd-agent": ["TAB"],
    }


def test_c4c_item_link_goes_through_our_lookup_of_the_business_id(app) -> None:
    with app.test_request_context():
        link = presenters.c4c_item_link(TENANT, ItemType.CONTACT, "00163E0ABC")
        assert presenters.c4c_item_link(TENANT, ItemType.CONTACT, None) is None
    assert urlsplit(link).path == "/open/sap/contact/00163E0ABC"


ODD_IDS = ["00163E0ABC", "a b", "ä ö", "x?y#z", "100%", "!$&'()*+,;=:@", "<b>\"'", "2147483647"]
"""Object ids a URL must quote, one that is the probe's own digits, and a plain one."""


def test_links_built_once_a_page_are_the_links_url_for_builds(app) -> None:
    """A page builds each kind of link once and fills in each row's id: the same URL, quoted
    the same way, as building it through the rule, for row ids and for any string."""
    from flask import url_for

    with app.test_request_context():
        links = presenters.c4c_item_links(TENANT)
        for object_id in ODD_IDS:
            for item_type in (ItemType.CONTACT, ItemType.TASK):
                expected = url_for("links.open_in_sap", item_type=item_type.value.lower(),
                                   object_id=object_id, _external=True)  # fmt: skip
                assert links(item_type, object_id) == expected
                assert presenters.c4c_item_link(TENANT, item_type, object_id) == expected
        assert links(ItemType.CONTACT, None) is None and links(None, "00163E0ABC") is None
        retry = presenters.url_maker("dashboard.retry", "issue_id")
        for issue_id in (1, 42, 2**31 - 1):
            assert retry(issue_id) == url_for("dashboard.retry", issue_id=issue_id)


def test_an_id_from_c4c_adds_no_segment_to_a_links_path(app) -> None:
    """An object id holding ``/`` (C4C's are hexadecimal; anyone who can write in C4C could
    send another) stays one segment: the link cannot lead elsewhere on the site by ``../``."""
    with app.test_request_context():
        link = presenters.c4c_item_link(TENANT, ItemType.CONTACT, "../../admin/users")
    assert urlsplit(link).path == "/open/sap/contact/..%2F..%2Fadmin%2Fusers"


def test_a_link_whose_digits_are_not_in_its_path_once_is_built_in_full(app) -> None:
    """Where the digits standing for the row are elsewhere in the URL too (the host), or the
    part is a query argument, nothing is filled in: each URL is built through its rule."""
    from flask import url_for

    with app.test_request_context(base_url="http://h2147483647.example/"):
        retry = presenters.url_maker("dashboard.retry", "issue_id", _external=True)
        assert retry(7) == url_for("dashboard.retry", issue_id=7, _external=True)
        assert retry(7) == "http://h2147483647.example/issues/7/retry"
    with app.test_request_context():
        after = presenters.url_maker("admin.issues", "after")
        assert after("a b&c=d") == url_for("admin.issues", after="a b&c=d")
        assert "c=d" not in after("a b&c=d"), "a value adds no argument"


@pytest.mark.parametrize(
    ("source", "label"),
    [(Source.C4C, "SAP Cloud for Customer"), (Source.GMAIL, "Gmail"), ("GRAPH", "Exchange Online")],
)
def test_issue_sources_read_as_words(source, label) -> None:
    assert presenters.source_label(source) == label


def test_times_are_iso_8601_in_utc_with_one_zone() -> None:
    moment = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert presenters.utc_iso(moment) == "2026-11-28T12:00:00Z"


SETTINGS = Settings()


def test_mailbox_link_opens_outlook_on_the_web_at_the_item() -> None:
    mailbox = _mailbox(HealthStatus.ACTIVE)
    link = presenters.mailbox_item_link(TENANT, mailbox, ItemType.EMAIL, "AAMk+/=", SETTINGS)
    assert link.startswith("https://mail.contoso.test/owa/?ItemID=AAMk%2B%2F%3D")
    assert link.endswith("viewmodel=ReadMessageItem")
    assert presenters.mailbox_item_link(TENANT, mailbox, ItemType.EMAIL, None, SETTINGS) is None


def test_help_mail_carries_the_codes_support_needs() -> None:
    issue = Issue(
        id=42, code=IssueCode.NEEDS_INPUT, source=Source.C4C, item_type=ItemType.CONTACT,
        title="Jane & Co?", backend_code="CX_MANDATORY", http_status=400,
        backend_message="Mandatory field LastName is not filled", c4c_object_id=None,
        first_seen_at=NOW, occurrences=3,
    )  # fmt: skip
    user = User(email="anna@contoso.test", name="Anna")
    link = presenters.help_mailto(issue, user, "help@contoso.test")
    address, _, query = link.partition("?")
    fields = {key: unquote(value) for key, value in (p.split("=", 1) for p in query.split("&"))}
    assert address == "mailto:help@contoso.test"
    assert "NEEDS_INPUT" in fields["subject"] and "CX_MANDATORY" in fields["subject"]
    assert "Jane & Co?" in fields["body"]
    assert "Issue id: 42" in fields["body"]
    assert "occurrences: 3" in fields["body"]


def test_the_support_mail_is_encoded_as_quote_encodes_it() -> None:
    """Each character as ``quote(..., safe="")`` writes it: ASCII, accents, other scripts,
    emoji, line ends and every reserved character."""
    samples = ["", "plain", "Jane & Co? #1 = 50%", "Müller/Søren, 日本 😀", "a\r\nb\tc+d~e_f.g-h",
               "".join(chr(n) for n in range(1, 0x250))]  # fmt: skip
    for text in samples:
        assert presenters._percent(text) == quote(text, safe="")


def test_a_gmail_mailbox_links_each_item_to_googles_web_app() -> None:
    mailbox = _mailbox(HealthStatus.ACTIVE)
    mailbox.provider, mailbox.address = Provider.GMAIL, "gina@contoso.test"
    links = {
        item_type: urlsplit(
            presenters.mailbox_item_link(TENANT, mailbox, item_type, "x1", SETTINGS)
        )
        for item_type in (ItemType.EMAIL, ItemType.CONTACT, ItemType.APPOINTMENT, ItemType.TASK)
    }
    assert {t: link.netloc for t, link in links.items()} == {
        ItemType.EMAIL: "mail.google.com",
        ItemType.CONTACT: "contacts.google.com",
        ItemType.APPOINTMENT: "calendar.google.com",
        ItemType.TASK: "tasks.google.com",
    }
    assert links[ItemType.EMAIL].path == "/mail/u/gina%40contoso.test/"


def test_an_exchange_online_mailbox_links_to_outlook_on_the_web_by_ews_id() -> None:
    mailbox = _mailbox(HealthStatus.ACTIVE)
    mailbox.provider = Provider.GRAPH
    link = urlsplit(
        presenters.mailbox_item_link(TENANT, mailbox, ItemType.APPOINTMENT, "AA-b_", SETTINGS)
    )
    assert (link.netloc, link.path) == ("outlook.office365.com", "/owa/")
    assert "ItemID=AA%2Fb%2B" in link.query and "viewmodel=CalendarItemDetails" in link.query


def test_with_emulators_every_mail_link_stays_on_this_machine() -> None:
    """The demo: Google's web apps and Outlook on the web of Exchange Online are emulated."""
    demo = Settings(google_api_base="http://127.0.0.1:8103",
                    outlook_web_url="http://127.0.0.1:8105/owa")  # fmt: skip
    gmail_box = _mailbox(HealthStatus.ACTIVE)
    gmail_box.provider, gmail_box.address = Provider.GMAIL, "gina@contoso.test"
    for item_type in (ItemType.EMAIL, ItemType.CONTACT, ItemType.APPOINTMENT, ItemType.TASK):
        link = urlsplit(presenters.mailbox_item_link(TENANT, gmail_box, item_type, "x1", demo))
        assert link.netloc == "127.0.0.1:8103"
    mail = urlsplit(presenters.mailbox_item_link(TENANT, gmail_box, ItemType.EMAIL, "x1", demo))
    assert (mail.path, mail.fragment) == ("/mail/u/gina%40contoso.test/", "all/x1")
    online = _mailbox(HealthStatus.ACTIVE)
    online.provider = Provider.GRAPH
    link = presenters.mailbox_item_link(TENANT, online, ItemType.EMAIL, "AA-b_", demo)
    assert link.startswith("http://127.0.0.1:8105/owa/?ItemID=AA%2Fb%2B&exvsurl=1")

"""What the product writes itself reads in its reader's language: warnings (kept as facts,
worded for each reader, mailed in each recipient's language), issues' messages the engine
writes, the sign-in edges; what SAP or a mail server said stays as they said it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale, get_locale, get_timezone
from sqlalchemy import select

from backend import i18n, presenters
from backend.models import Issue, Mailbox, SyncWarning, Tenant, User
from backend.models.issue import Source
from backend.models.run import Trigger
from backend.models.types import IssueCode, ItemType
from backend.models.user import Role
from backend.models.warning import WarningKind
from backend.savedialog import errors
from backend.savedialog.errors import DialogErrorCode, SaveDialogError
from backend.savedialog.form import FormField
from backend.savedialog.validate import validate
from backend.storage.db import utcnow
from backend.sync import issues, warnings
from backend.sync.creates import NO_LINK
from backend.sync.engine import Engine
from backend.sync.errors import Classification, ours
from backend.sync.runs import execute_run
from backend.tenants import people
from tests.support import factories
from tests.support.web import sign_in

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


def _page(client, path: str, headers: dict[str, str] | None = None) -> str:
    return client.get(path, headers=headers or {}).get_data(as_text=True)


def _company_warning(session, resources, tenant: Tenant) -> SyncWarning:
    tenant.c4c_username = "technical"
    tenant.config = tenant.config.model_copy(
        update={"c4c_password_expires_on": (utcnow() + timedelta(days=12)).date()}
    )
    session.commit()
    [warning] = warnings.check_tenant(session, resources.settings, tenant, utcnow(), notify=False)
    return warning


def test_a_warning_keeps_facts_and_each_reader_reads_them_in_their_language(
    client, session, resources, tenant, kim_box
) -> None:
    warning = _company_warning(session, resources, tenant)
    assert warning.facts == {"user": "technical"}
    assert warning.detail == "The password of SAP user technical ends.", "English for the audit"
    german = _page(client, "/", GERMAN)
    assert "Passwort des SAP-Integrationsbenutzers endet am " in german
    assert "Das Passwort des SAP-Benutzers technical endet." in german
    assert "Verbindungen öffnen" in german and "password ends" not in german
    english = _page(client, "/")
    assert "SAP integration user&#39;s password ends on " in english
    assert "The password of SAP user technical ends." in english


def test_a_warnings_end_is_in_the_readers_time_zone(
    client, session, resources, tenant, kim_box, kim
) -> None:
    warning = _company_warning(session, resources, tenant)
    warning.ends_at = datetime(2027, 3, 12, 23, 30, tzinfo=UTC)
    kim.language, kim.time_zone = "de", "Europe/Berlin"
    session.commit()
    assert "am 13 März 2027, 00:30 MEZ" in _page(client, "/"), "23:30 UTC is past midnight"


def test_a_warning_from_before_facts_were_kept_shows_its_own_words(
    client, session, resources, tenant, kim_box
) -> None:
    warning = _company_warning(session, resources, tenant)
    warning.facts, warning.detail = None, "The password of SAP user old-style ends."
    session.commit()
    assert "The password of SAP user old-style ends." in _page(client, "/", GERMAN)


def test_a_warning_is_mailed_in_each_recipients_language_once_per_step(
    app, session, resources, tenant, kim_box, kim, mail
) -> None:
    factories.mailbox(session, resources.cipher, tenant, "ben@contoso.test", Role.KEY_USER)
    ben = session.query(User).filter_by(email="ben@contoso.test").one()
    ben.language = "de"
    session.commit()
    _company_warning(session, resources, tenant)
    with app.app_context():  # as the periodic check's job runs
        warnings.check_tenant(session, resources.settings, tenant, utcnow())
        warnings.check_tenant(session, resources.settings, tenant, utcnow())
    by_recipient = {tuple(m.recipients): m for m in mail.messages}
    assert len(mail.messages) == 2 and set(by_recipient) == {
        ("kim@contoso.test",), ("ben@contoso.test",),
    }  # fmt: skip
    german = by_recipient[("ben@contoso.test",)]
    assert german.subject.startswith("Warnung: Passwort des SAP-Integrationsbenutzers endet am")
    assert "(in 12 Tagen)" in german.subject and "UTC" in german.subject
    assert "Verbindungen öffnen: http" in german.body
    english = by_recipient[("kim@contoso.test",)]
    assert english.subject.startswith("Warning: SAP integration user's password ends on")


def test_failures_rising_are_worded_from_their_numbers(app) -> None:
    facts = {"failed": 3, "runs": 5, "address": "anna@contoso.test"}
    with app.app_context(), force_locale("de"):
        worded = warnings.detail_of(WarningKind.FAILURES_RISING, facts)
        unseen = warnings.detail_of(
            WarningKind.ISSUES_UNSEEN, {"name": "Ben", "count": 1, "seen": "2026-11-02"}
        )
    assert worded == "3 der letzten 5 Läufe von anna@contoso.test sind fehlgeschlagen."
    assert unseen.startswith("Ben hat seit über einer Woche 1 offenes Problem")
    assert "seit 02 Nov. 2026 nicht geöffnet" in unseen


@pytest.fixture
def anna(app, client, session, resources, tenant) -> Mailbox:
    box = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    session.commit()
    sign_in(app, client, session.get(User, box.user_id))
    return box


def test_the_engines_own_message_is_in_the_readers_language(client, session, anna) -> None:
    issue = issues.record(session, anna, issues.ItemRef(ItemType.EMAIL, "M1", title="Offer"),
                          NO_LINK, source=Source.ENGINE, now=utcnow())  # fmt: skip
    session.commit()
    assert issue.backend_message == NO_LINK.message, "kept in English for the API and the log"
    german = _page(client, "/issues", GERMAN)
    assert "Kein Kontakt und kein Account in SAP passt zum Absender" in german
    assert "No contact or account in SAP matches" not in german
    assert "No contact or account in SAP matches" in _page(client, "/issues")


def test_a_message_with_numbers_is_worded_with_them(app, session, anna) -> None:
    held = ours(IssueCode.NEEDS_INPUT, HELD, {"changes": 31, "synced": 40})
    issue = issues.record(session, anna, issues.ItemRef(), held, source=Source.ENGINE,
                          now=utcnow())  # fmt: skip
    assert issue.backend_message.startswith("This run would delete or overwrite 31 of 40 synced")
    assert issue.message_words == {"id": HELD, "values": {"changes": 31, "synced": 40}}
    with app.test_request_context(headers=GERMAN):
        assert presenters.message_of(issue).startswith("Dieser Lauf würde 31 von 40 ")


HELD = (
    "This run would delete or overwrite %(changes)d of %(synced)d synced items. Nothing was "
    "written; a key user must approve before it goes ahead."
)


def test_what_sap_said_is_shown_as_it_said_it(app, session, anna) -> None:
    said = Classification(IssueCode.NEEDS_INPUT, "Pflichtfeld Nachname fehlt", fields=("LastName",))
    issue = issues.record(session, anna, issues.ItemRef(ItemType.CONTACT, "C1"), said,
                          source=Source.C4C, now=utcnow())  # fmt: skip
    assert issue.message_words is None
    session.flush()
    stored = session.execute(select(Issue.message_words.is_(None)).where(Issue.id == issue.id))
    assert stored.scalar_one(), "kept as SQL NULL, not as JSON's null"
    with app.test_request_context():
        assert presenters.message_of(issue) == "Pflichtfeld Nachname fehlt"


def test_broken_stored_words_fall_back_to_the_english_message(app, session, anna) -> None:
    issue = Issue(backend_message="The English words", message_words={"id": HELD, "values": {}})
    with app.test_request_context(headers=GERMAN):
        assert presenters.message_of(issue) == "The English words", "a placeholder had no value"


def test_the_sign_in_edges_speak_german(client, session, resources, tenant) -> None:
    _lea, link = factories.invited(session, resources, tenant, "lea@contoso.test", "Lea Bauer")
    welcome = _page(client, link, GERMAN)
    assert "Willkommen bei SAP Sync, Lea Bauer" in welcome
    assert "Arbeitskonto <strong>lea@contoso.test</strong>" in welcome, "the address, marked up"
    assert "Not a valid" not in welcome and "Sign in with" not in welcome
    forged = client.get("/invitation/forged-secret-0123456789", headers=GERMAN)
    assert "Dieser Einladungslink ist ungültig" in forged.get_data(as_text=True)


def test_an_address_in_a_sentence_is_escaped(client, session, resources, tenant) -> None:
    _eve, link = factories.invited(session, resources, tenant, "eve@contoso.test", "<b>x</b>")
    page = _page(client, link, GERMAN)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Europe/Berlin", "Europe/Berlin"), ("Mars/Olympus", "UTC"), ("../etc/passwd", "UTC"),
     (None, "UTC"), ("x" * 500, "UTC")],
)  # fmt: skip
def test_the_gmail_events_time_zone_is_followed_when_known(app, zone, expected) -> None:
    """Times on the Gmail add-on's cards (its warnings' ends) are in Gmail's time zone."""
    with app.test_request_context():
        i18n.follow_client("de", zone)
        assert str(get_timezone()) == expected and str(get_locale()) == "de"


def test_the_save_dialogs_own_words_are_in_the_readers_language(app) -> None:
    """What the dialog says itself (checks, refusals); the field's label is SAP's own, in the
    reader's language already."""
    surname = FormField("LastName", "Nachname", "text", True, 40, (), "", None)
    born = FormField("BirthDate", "Geburtsdatum", "date", False, None, (), "", None)
    with app.test_request_context(headers=GERMAN):
        checked = validate([surname, born], {"LastName": "", "BirthDate": "31.03."})
        gone = SaveDialogError(errors.GONE, DialogErrorCode.GONE)
    assert checked.errors == {
        "LastName": "Füllen Sie Nachname aus: SAP Cloud for Customer verlangt es.",
        "BirthDate": "Geben Sie Geburtsdatum als Datum ein, etwa 2025-03-31.",
    }
    assert str(gone).startswith("Dieses Element ist nicht mehr in Ihrem Postfach")
    with app.test_request_context():
        assert str(SaveDialogError(errors.GONE)).startswith("This item is no longer in your")


@pytest.mark.parametrize(
    ("headers", "said"),
    [({}, "Sign in to the add-in first."),
     ({"Authorization": "Bearer forged"}, "This is not an add-in token. Sign in again.")],
)  # fmt: skip
def test_the_add_in_api_answers_in_offices_language_and_its_header_in_english(
    client, headers, said
) -> None:
    answer = client.get("/addin/api/v1/me", headers={**headers, "Accept-Language": "de-DE"})
    assert answer.status_code == 401
    assert answer.json["message"].startswith(("Bitte melden Sie sich", "Dies ist kein Token"))
    challenge = answer.headers["WWW-Authenticate"]
    assert f'error_description="{said}"' in challenge and challenge.isascii()
    assert client.get("/addin/api/v1/me", headers=headers).json["message"] == said


def test_a_page_that_is_not_there_says_so_in_the_readers_language(client, anna) -> None:
    """The product's own error page (not the web server's bare one), in the reader's words."""
    german = client.get("/admin/nothing-here/", headers=GERMAN)
    assert german.status_code == 404
    page = german.get_data(as_text=True)
    assert '<html lang="de">' in page and "Seite nicht gefunden" in page
    english = client.get("/nothing-here")
    assert english.status_code == 404 and "Page not found" in english.get_data(as_text=True)
    wrong = client.delete("/issues", headers=GERMAN)
    assert wrong.status_code == 405 and "Hier nicht möglich" in wrong.get_data(as_text=True)
    api = client.get("/api/v1/nothing", headers=GERMAN)
    assert api.status_code == 404 and api.json["error"] == "not_found", "an API answers JSON"


def _broken(*_args: object) -> None:
    raise RuntimeError("a bug")


def test_a_failed_runs_own_words_are_in_the_readers_language(
    client, session, resources, anna
) -> None:
    """The product's words for a run that failed (here: an error no classifier knows) are kept
    as words, shown in the reader's language; the English stays for the log and the CLI."""
    run = execute_run(session, anna, _broken, trigger=Trigger.SCHEDULE, settings=resources.settings)
    assert run.error_message.startswith("The sync stopped on an unexpected error")
    german = _page(client, "/", GERMAN)
    assert "Die Synchronisierung wurde durch einen unerwarteten Fehler angehalten" in german
    assert "unexpected error" not in german
    assert "The sync stopped on an unexpected error" in _page(client, "/")


def test_a_mailbox_without_credentials_says_so_in_the_readers_language(
    client, session, resources, anna
) -> None:
    """The engine's own refusal (no stored sign-in) on the re-activation banner."""
    anna.credentials_encrypted = None
    session.commit()
    engine = Engine(resources.cipher, resources.settings)
    execute_run(session, anna, engine, trigger=Trigger.SCHEDULE, settings=resources.settings)
    assert anna.status_reason == "No credentials are stored for this mailbox"
    german = _page(client, "/", GERMAN)
    assert "Für dieses Postfach sind keine Zugangsdaten gespeichert" in german
    assert "No credentials are stored" not in german


def test_a_removed_users_mailbox_reads_why_in_the_key_users_language(
    client, session, resources, tenant, kim_box, kim
) -> None:
    ben = factories.mailbox(session, resources.cipher, tenant, "ben@contoso.test")
    session.commit()
    people.remove_person(session, tenant, session.get(User, ben.user_id), actor=kim,
                         cipher=resources.cipher)  # fmt: skip
    session.commit()
    page = _page(client, f"/admin/mailboxes/{ben.id}", GERMAN)
    assert "Der Benutzer wurde entfernt" in page and "The user was removed" not in page

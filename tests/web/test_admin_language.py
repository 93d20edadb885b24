"""The Admin panel speaks the key user's language: every page, its messages after an action and
the form's checks are German for a German reader, and English without a choice."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from backend.models import Issue, Mailbox, Run
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus
from backend.models.run import RunOutcome, Trigger
from backend.models.types import IssueCode, ItemType
from tests.support import factories
from tests.support.web import csrf_token

STARTED = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def anna(session, resources, tenant, kim) -> Mailbox:
    """Anna's mailbox, failing since a run in December, with an open issue."""
    box = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    box.status, box.failing_since = HealthStatus.FAILED_UNKNOWN, STARTED
    session.add(Run(mailbox_id=box.id, trigger=Trigger.SCHEDULE, started_at=STARTED,
                    finished_at=STARTED + timedelta(seconds=4), outcome=RunOutcome.SUCCEEDED,
                    items_read=7, created=2))  # fmt: skip
    session.add(Issue(tenant_id=tenant.id, user_id=box.user_id, mailbox_id=box.id,
                      item_type=ItemType.CONTACT, item_key="mbx:A1", title="Jane Roe",
                      code=IssueCode.NEEDS_INPUT, source=Source.C4C))  # fmt: skip
    session.commit()
    return box


@pytest.fixture
def german(client, kim):
    """Kim's browser asks for German."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de-DE,de;q=0.9,en;q=0.5"
    return client


def _page(client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, path
    return answer.get_data(as_text=True)


def _settings_form(client) -> dict[str, str]:
    """What the settings page posts as it is shown (ticked boxes send "on")."""
    page = _page(client, "/admin/settings")
    data = {"csrf_token": csrf_token(client, "/admin/settings")}
    for tag in re.findall(r"<input [^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if 'type="checkbox"' not in tag:
            data[name.group(1)] = re.search(r'value="([^"]*)"', tag).group(1)
        elif "checked" in tag:
            data[name.group(1)] = "on"
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        data[name] = re.search(r'<option value="([^"]*)" selected', body).group(1)
    data["extra_recipients"] = ""
    return data


PAGES = [
    ("/admin/", ['aria-current="page">Benutzer<', "Hat offene Probleme", "Aktion auswählen…",
                 'data-question="Den Zugriff für {mailboxes} widerrufen?"',
                 ">Personen hinzufügen<", ">Fehlschläge<"],
     ["Has open issues", "Choose an action…", "Revoke access for {mailboxes}?", ">Add people<"]),
    ("/admin/mailboxes/{anna}", ["Fehlgeschlagene Läufe in Folge", "Letzte erfolgreiche",
                                 "05 Dez. 2026, 09:30", "gelesen 7, angelegt 2", ">geplant<",
                                 "← Alle Benutzer"],
     ["Failed runs in a row", "05 Dec 2026, 09:30", "read 7, created 2", "All users"]),
    ("/admin/issues", ["Nur offene", "Alle Typen", "Als ignoriert lösen", "CSV exportieren",
                       "<td>Kontakte</td>"],
     ["Open only", "All types", "Resolve as ignored", "Export CSV", "<td>Contacts</td>"]),
    ("/admin/people/new", ["Eine Person hinzufügen", "CSV-Datei importieren",
                           "Hinzufügen und einladen", "Nur Adressen von contoso.test"],
     ["Add one person", "Import a CSV file", "Add and invite", "Addresses of"]),
    ("/admin/connections/", ["Verbindung testen", "Speichern und testen", "Integrationsbenutzer",
                             "Adresse der Exchange Web Services"],
     ["Test connection", "Save and test", "Integration user", "How the product signs in"]),
    ("/admin/settings", ["Einstellungen speichern", "Schutz vor Massenänderungen",
                         ">In beide Richtungen<", ">Montag<", "Anteil der Elemente (%)",
                         'aria-label="Kontakte synchronisieren"'],
     ["Save settings", "Mass-change guard", ">Both ways<", ">Monday<", "Share of items"]),
    ("/admin/audit", ["Audit-Protokoll", ">Wer<", "Kein Ereignis entspricht diesen Filtern."],
     ["Audit log", ">Who<", "No event matches"]),
    ("/admin/system", ["Dienste, von denen dieser Server abhängt", "Worker und Warteschlangen",
                       "Zuletzt nach fälligen Postfächern gesucht"],
     ["Services this server depends on", "Workers and queues", "last looked for</dt>"]),
    ("/admin/week/", ["Jede Woche an mich senden", "montags um 07:00 UTC",
                      "legen Sie in den Einstellungen fest"],
     ["Send me this every week", "Mondays at", "the day and hour are in Settings"]),
]  # fmt: skip


@pytest.mark.parametrize(("path", "german_words", "english_words"), PAGES)
def test_each_admin_page_speaks_german(german, anna, path, german_words, english_words) -> None:
    page = _page(german, path.format(anna=anna.id))
    assert '<html lang="de">' in page
    assert ">Verwaltung</h1>" in page and ">Einstellungen</a>" in page
    for words in german_words:
        assert words in page, words
    for words in english_words:
        assert words not in page, words


@pytest.mark.parametrize(("path", "german_words", "english_words"), PAGES)
def test_without_a_choice_each_admin_page_is_english(
    client, anna, path, german_words, english_words
):
    page = _page(client, path.format(anna=anna.id))
    assert '<html lang="en">' in page and ">Admin</h1>" in page
    for words in german_words:
        assert words not in page, words
    for words in english_words:
        assert words in page, words


def test_the_users_saved_choice_is_spoken_without_a_header(client, kim, session, anna) -> None:
    kim.language = "de"
    session.commit()
    page = _page(client, f"/admin/mailboxes/{anna.id}")
    assert "Fehlgeschlagene Läufe in Folge" in page and "05 Dez. 2026, 09:30" in page


def test_a_bulk_action_asks_and_answers_in_german(german, anna, session) -> None:
    token = csrf_token(german, "/admin/")
    asked = german.post("/admin/bulk", data={"csrf_token": token, "action": "reset",
                                             "mailbox_id": str(anna.id)})  # fmt: skip
    page = asked.get_data(as_text=True)
    assert 'id="confirm-title">1 Postfach zurücksetzen?<' in page
    assert "Der Synchronisierungsfortschritt wird vergessen" in page
    assert ">Postfach zurücksetzen</button>" in page and "Reset 1 mailbox?" not in page

    refused = german.post("/admin/bulk", data={"csrf_token": token, "action": "enable",
                                               "mailbox_id": str(anna.id)},
                          follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert ("0 aktiviert; 1 abgelehnt: anna@contoso.test: Nur deaktivierte Postfächer können "
            "aktiviert werden.") in refused  # fmt: skip
    paused = german.post("/admin/bulk", data={"csrf_token": token, "action": "pause",
                                              "mailbox_id": str(anna.id)},
                         follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "1 angehalten." in paused and "1 paused." not in paused


def test_a_flash_message_after_saving_is_german(german, kim) -> None:
    answer = german.post("/admin/settings", data=_settings_form(german), follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "Nichts geändert." in page and "Nothing changed." not in page
    data = _settings_form(german)
    data["mass_change_minimum"] = "40"
    saved = german.post("/admin/settings", data=data, follow_redirects=True)
    assert "Einstellungen gespeichert (1 geändert)." in saved.get_data(as_text=True)


def test_the_settings_checks_are_german(german, kim) -> None:
    data = _settings_form(german)
    data.update({"mass_change_percent": "150", "google_domains": "x/../y"})
    answer = german.post("/admin/settings", data=data)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Die Einstellungen wurden nicht gespeichert." in page
    assert "Korrigieren Sie die 2 unten markierten Felder" in page
    assert re.search(r'id="error-mass_change_percent">Geben Sie höchstens 100 ein\.<', page)
    assert re.search(r'id="error-google_domains">Keine Domain: x/../y\.<', page)
    assert "Enter at most" not in page and "Not a domain" not in page

    data = _settings_form(german)
    data.update({"trend_failures": "6", "trend_runs": "3"})
    page = german.post("/admin/settings", data=data).get_data(as_text=True)
    assert "Geben Sie mindestens 6 ein, so viele Fehlschläge ergeben einen Trend." in page
    assert "Korrigieren Sie das unten markierte Feld;" in page


def test_what_lower_layers_say_on_admin_pages_is_german(german, kim) -> None:
    token = csrf_token(german, "/admin/people/new")
    added = german.post("/admin/people/add", data={"csrf_token": token, "email": "no-at-sign",
                                                   "name": "X"})  # fmt: skip
    page = added.get_data(as_text=True)
    assert added.status_code == 422
    assert "Niemand wurde hinzugefügt." in page and "keine E-Mail-Adresse" in page
    assert "not an e-mail address" not in page

    tested = german.post("/admin/connections/", data={
        "csrf_token": token, "action": "test", "c4c_base_url": "ftp://nowhere",
        "c4c_username": "technical", "c4c_auth": "BASIC",
    })  # fmt: skip
    page = tested.get_data(as_text=True)
    assert tested.status_code == 422
    assert "Geben Sie die Adresse des OData-Dienstes ein, beginnend mit https://" in page
    assert "Enter the address" not in page

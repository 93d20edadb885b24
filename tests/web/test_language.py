"""Pages speak the user's language: their saved choice, else the browser's, else English; times
in their time zone; anything unknown or malformed is English, never an error or a message id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale, get_locale, gettext

from backend import i18n, presenters
from backend.models import Issue, Mailbox, User
from backend.models.issue import Source
from backend.models.mailbox import Stage
from backend.models.types import IssueCode, ItemType
from backend.storage.db import utcnow
from backend.sync import issues
from backend.sync.errors import Classification
from tests.support.web import csrf_token, sign_in


@pytest.fixture
def anna(app, client, session, box) -> User:
    user = session.get(User, box.user_id)
    sign_in(app, client, user)
    return user


def _page(client, path: str = "/", language: str | None = None) -> str:
    headers = {"Accept-Language": language} if language else {}
    return client.get(path, headers=headers).get_data(as_text=True)


def test_the_browsers_language_is_spoken_until_the_user_chooses(client, anna, session) -> None:
    assert '<html lang="en">' in _page(client)
    german = _page(client, language="de-DE,de;q=0.9,en;q=0.5")
    assert '<html lang="de">' in german
    assert ">Synchronisierung</h1>" in german and ">Jetzt synchronisieren<" in german
    assert ">Sync now<" not in german
    anna.language = "en"
    session.commit()
    assert '<html lang="en">' in _page(client, language="de-DE"), "the user's choice wins"


@pytest.mark.parametrize(
    "header", ["fr-FR", "xx", "x" * 300, "*", ";;;,,", "zz-ZZ;q=abc", "日本語"]
)
def test_an_unknown_or_malformed_language_is_english(client, anna, header) -> None:
    answer = client.get("/", headers={"Accept-Language": header})
    assert answer.status_code == 200
    assert '<html lang="en">' in answer.get_data(as_text=True)


def test_the_user_saves_a_language_and_a_time_zone(client, anna, session, box) -> None:
    token = csrf_token(client)
    answer = client.post(
        "/preferences", data={"csrf_token": token, "language": "de", "time_zone": "Europe/Berlin"}
    )
    assert answer.status_code == 302
    session.expire_all()
    assert (anna.language, anna.time_zone) == ("de", "Europe/Berlin")
    page = _page(client)
    assert '<html lang="de">' in page and "Gespeichert." in page
    assert '<option value="Europe/Berlin" selected>' in page
    client.post("/preferences", data={"csrf_token": token, "language": "", "time_zone": ""})
    session.expire_all()
    assert (anna.language, anna.time_zone) == (None, None), "back to the browser's, and UTC"


@pytest.mark.parametrize(
    "form",
    [{"language": "fr"}, {"language": "de-DE'"}, {"time_zone": "Mars/Olympus"},
     {"time_zone": "../../etc/passwd"}, {"language": "x" * 5000}, {"time_zone": "localtime"},
     {"time_zone": "Factory"}, {"time_zone": "UTC"}],
)  # fmt: skip
def test_a_language_or_time_zone_the_product_does_not_know_is_refused(
    client, anna, session, form
) -> None:
    answer = client.post("/preferences", data={"csrf_token": csrf_token(client), **form})
    assert answer.status_code == 400
    session.expire_all()
    assert (anna.language, anna.time_zone) == (None, None)


def test_preferences_need_a_signed_in_user_and_the_forms_token(client, app, session, box) -> None:
    token = csrf_token(client, "/login")
    signed_out = client.post("/preferences", data={"csrf_token": token, "language": "de"})
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    sign_in(app, client, session.get(User, box.user_id))
    assert client.post("/preferences", data={"language": "de"}).status_code == 400
    session.expire_all()
    assert session.get(User, box.user_id).language is None


def test_times_are_shown_in_the_users_time_zone_and_language(
    client, anna, session, box: Mailbox
) -> None:
    box.last_synced_at = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    anna.language, anna.time_zone = "de", "Europe/Berlin"
    session.commit()
    assert "05.12.2026, 10:30:00" in _page(client), "09:30 UTC is 10:30 in Berlin"
    anna.language, anna.time_zone = None, None
    session.commit()
    assert "Dec 5, 2026, 9:30:00" in _page(client)


def test_an_issues_advice_is_in_the_readers_language(client, anna, session, box) -> None:
    session.add(Issue(
        tenant_id=box.tenant_id, user_id=box.user_id, mailbox_id=box.id,
        item_type=ItemType.CONTACT, item_key="mbx:A1", mailbox_item_id="A1", title="Jane",
        code=IssueCode.NEEDS_INPUT, source=Source.C4C, fields=["LastName", "Email"],
        backend_message="Mandatory field LastName is not filled",
        action_title="Fill in the last name and e-mail address", action_text="",
    ))  # fmt: skip
    session.commit()
    german = _page(client, "/issues", language="de")
    assert "Ergänzen Sie: Nachname und E-Mail-Adresse." in german
    assert ">Kontakte <span" in german and "zuerst gesehen" in german
    english = _page(client, "/issues")
    assert "Fill in the last name and e-mail address." in english


def test_a_string_without_a_translation_is_its_english_text(app) -> None:
    with app.test_request_context(), force_locale("de"):
        assert gettext("Sync now") == "Jetzt synchronisieren"
        assert gettext("A sentence nobody translated.") == "A sentence nobody translated."


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("de", "de"), ("de-AT", "de"), ("DE_de", "de"), ("en-GB", "en"), ("fr", None),
     ("", None), (None, None), ("d", None), ("de-" + "x" * 20, None), ("de;q=1", None)],
)  # fmt: skip
def test_language_tags(tag, expected) -> None:
    assert i18n.language_of(tag) == expected


def test_time_zones_are_known_iana_names_only() -> None:
    assert i18n.time_zone_of("Europe/Berlin") == "Europe/Berlin"
    assert i18n.time_zone_of("Europe/Nowhere") is None
    assert i18n.time_zone_of(" ") is None
    assert "Europe/Berlin" in i18n.time_zones() and "UTC" not in i18n.time_zones()


def test_an_issue_recorded_in_a_german_request_keeps_its_advice_in_english(
    app, session, box: Mailbox
) -> None:
    """The Save dialog records C4C's refusals inside the reader's request: the stored advice
    (API, digest, operators) stays English; pages word it again."""
    found = Classification(IssueCode.NEEDS_INPUT, "Mandatory field", fields=("LastName",))
    with app.test_request_context(headers={"Accept-Language": "de"}), force_locale("de"):
        issue = issues.record(session, box, issues.ItemRef(ItemType.CONTACT, "A1"), found,
                              source=Source.C4C, now=utcnow())  # fmt: skip
        assert presenters.action_of(issue).title == "Ergänzen Sie: Nachname"
    assert issue.action_title == "Fill in the last name"


def test_the_status_notes_and_the_import_progress_speak_german(
    client, anna, session, box: Mailbox
) -> None:
    """A first import in progress, read in German in Berlin: counts written the German way."""
    anna.language, anna.time_zone = "de", "Europe/Berlin"
    state = box.item_state(ItemType.CONTACT)
    state.stage, state.creating, state.created = Stage.ONGOING, 6002, 1250
    session.commit()
    page = _page(client)
    assert 'id="progress-contact">Wird gerade importiert: 1.250 von 6.002<' in page
    assert 'id="progress-account">Wartet<' in page


def test_a_notes_time_is_in_the_readers_language(app) -> None:
    moment = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert presenters.moment(moment) == "05 Dez. 09:30 UTC"
        assert presenters.moment(None) == "nie"
    assert presenters.moment(moment) == "05 Dec 09:30 UTC", "outside a request: English, UTC"


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_the_pages_date_times_read_as_flask_babel_writes_them(app, language, zone) -> None:
    """The one time formatter, which is also the templates' ``datetimeformat``, parses its
    pattern once per language; what it writes is Flask-Babel's, in every length and a pattern
    of our own, summer and winter, naive (UTC) and aware."""
    from flask import g
    from flask_babel import format_datetime, refresh

    values = [datetime(2026, 7, 1, 12, 30, 5), datetime(2026, 1, 15, 23, 59, 59),
              datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 59)]  # fmt: skip
    # Every month and every hour (the words it writes itself), over forty years.
    values += [
        datetime(1990 + n % 40, n % 12 + 1, n % 28 + 1, n % 24, n % 60, n % 7) for n in range(480)
    ]
    # Lengths, patterns of our own, two kinds of month word, text holding format characters.
    forms = ("medium", "short", "long", "full", "dd MMM HH:mm z", "d MMMM y, HH:mm z", "dd MMM y",
             "yy-M-d h:mm:ss a", "MMMMM dd.MM.yyyy hh a", "MMM MMMM d",
             "d '{%}' MMM H")  # fmt: skip
    with app.test_request_context():
        g.client_language, g.client_time_zone = language, zone
        refresh()
        for value in values:
            for form in forms:
                assert i18n.local_time(value, form) == format_datetime(value, form)
        # And the templates' filter: on a page's clock, and outside a page's context.
        source = "{% for v in values %}{{ v | datetimeformat(form) }}|{% endfor %}"
        for form in forms:
            expected = "".join(f"{format_datetime(v, form)}|" for v in values[:40])
            assert render_template_string(source, values=values[:40], form=form) == expected
            plain = app.jinja_env.from_string(source).render(values=values[:40], form=form)
            assert plain == expected


def test_a_pages_times_follow_a_forced_language(app) -> None:
    """The time formatter reads the request's language where Flask-Babel keeps it: a language
    forced in the middle of a request (an e-mail to someone else) is the one written."""
    value = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        german = i18n.local_time(value, "d MMMM y")
        with force_locale("en"):
            english = i18n.local_time(value, "d MMMM y")
        assert i18n.local_time(value, "d MMMM y") == german
    assert (german, english) == ("5 Dezember 2026", "5 December 2026")


def test_template_words_follow_a_forced_language(app) -> None:
    """Templates find their catalogue once per language, and still follow ``force_locale`` (an
    e-mail rendered in its recipient's language in the middle of another's request)."""
    render = app.jinja_env.from_string(
        '{{ _("Issues") }}|{{ ngettext("%(num)d time", "%(num)d times", 2) }}'
    )
    with app.test_request_context():
        with force_locale("de"):
            german = render.render()
        with force_locale("en"):
            english = render.render()
        with force_locale("de"):
            assert render.render() == german
    assert english == "Issues|2 times"
    assert german == "Probleme|2-mal"


def test_a_page_rendered_in_a_forced_language_speaks_it_throughout(app) -> None:
    """A page's words and times are bound to the language and time zone it is rendered in: a
    page rendered for someone else in the middle of a request (an e-mail) is in theirs, and the
    request's own pages in its reader's, before and after."""
    source = (
        '{{ _("Issues") }}|{{ ngettext("%(num)d time", "%(num)d times", 2) }}|'
        '{{ when | datetimeformat("d MMMM y, HH:mm") }}'
    )
    when = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        from flask import g
        from flask_babel import refresh

        g.client_time_zone = "Europe/Berlin"
        refresh()
        before = render_template_string(source, when=when)
        with force_locale("en"):
            english = render_template_string(source, when=when)
        after = render_template_string(source, when=when)
    assert before == after == "Probleme|2-mal|5 Dezember 2026, 10:30"
    assert english == "Issues|2 times|5 December 2026, 10:30"


def test_the_issues_tab_finds_its_language_once_however_many_it_shows(
    client, anna, session, box, monkeypatch
) -> None:
    """The Issues tab's strings and times are found in the page's catalogue and clock: the
    reader's language is looked up for them a fixed number of times, not a few times an
    issue (each issue's advice still keys its cache by the locale, a look-up of its own)."""
    looked: list[object] = []
    find = i18n.reader_locale

    def counted():
        looked.append(None)
        return find()

    def issue(number: int) -> None:
        session.add(Issue(tenant_id=box.tenant_id, user_id=box.user_id, mailbox_id=box.id,
                          item_type=ItemType.CONTACT, item_key=f"mbx:L{number}",
                          mailbox_item_id=f"L{number}", title=f"Item {number}",
                          code=IssueCode.NEEDS_INPUT, source=Source.C4C,
                          backend_message="Mandatory field LastName is not filled"))  # fmt: skip
        session.commit()

    def lookups() -> int:
        looked.clear()
        assert "Item 0" in _page(client, "/issues", "de")
        return len(looked)

    monkeypatch.setattr(i18n, "reader_locale", counted)
    issue(0)
    _page(client, "/issues")  # the first view in a while also records the visit
    few = lookups()
    for number in range(1, 25):
        issue(number)
    assert lookups() == few <= 3, few


def test_every_request_in_a_language_shares_one_locale(app) -> None:
    """The catalogues and date patterns are kept per locale: requests hand Flask-Babel the same
    ``Locale`` for a language, so those look-ups match it by identity, not by Babel's ``__eq__``."""

    def locale_of(language: str):
        with app.test_request_context(headers={"Accept-Language": language}):
            return get_locale()

    first, again, english = locale_of("de"), locale_of("de-AT"), locale_of("en")
    assert (str(first), str(english)) == ("de", "en")
    assert first is again and english is locale_of("en-GB")

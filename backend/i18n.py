"""The user's language and time zone (Flask-Babel), with English and German catalogues.

Whose language a page speaks: the signed-in user's saved choice, else the browser's
``Accept-Language``, else English (the task pane's API: Office's display language first, as the
pane sends it); times are in the user's time zone (UTC if none). Anything unknown or malformed
is English; a string without a translation shows its English text. The Gmail add-on speaks
the event's ``userLocale`` (:func:`follow_client`); an e-mail, its recipient's choice.

Strings are marked where they are written: ``_`` in templates, ``gettext`` / ``lazy_gettext`` in
code, and :func:`backend.text.N_` for labels kept in low layers and translated where shown.
The catalogues live in ``backend/translations`` (``make catalogues`` extracts and updates them;
the install step compiles them, they are not committed).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytz
from babel import Locale
from babel.dates import (
    DateTimeFormat,
    DateTimePattern,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
from babel.support import NullTranslations
from flask import Flask, g, has_app_context, has_request_context, request
from flask_babel import Babel, get_locale, get_timezone, get_translations, refresh
from flask_login import current_user
from jinja2 import pass_context, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup

LANGUAGES = {"en": "English", "de": "Deutsch"}
"""The languages the product speaks, by code, each named in itself."""
DEFAULT_LANGUAGE = "en"
DEFAULT_TIME_ZONE = "UTC"
TRANSLATIONS = Path(__file__).parent / "translations"
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")


def language_of(tag: str | None) -> str | None:
    """The product's language for a language tag (``de``, ``de-DE``, ``de_AT``, ``DE``), or
    ``None`` when it is malformed or one the product does not speak."""
    found = _TAG.match((tag or "").strip())
    if found is None:
        return None
    language = found.group(1).lower()
    return language if language in LANGUAGES else None


def time_zone_of(name: str | None) -> str | None:
    """``name`` when it is one of :func:`time_zones` (``Europe/Berlin``), else ``None``."""
    name = (name or "").strip()
    return name if name and len(name) <= 64 and name in _zones() else None


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(time_zones())


@functools.cache
def time_zones() -> list[str]:
    """Every time zone a user can pick, sorted: the IANA areas' zones that both the standard
    library and the dates' formatting (pytz) know, without aliases like ``localtime``."""
    areas = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/",
             "Australia/", "Europe/", "Indian/", "Pacific/")  # fmt: skip
    known = set(pytz.all_timezones) & available_timezones()
    return sorted(zone for zone in known if zone.startswith(areas))


def _chosen(name: str, check: Callable[[str | None], str | None]) -> str | None:
    """The request's ``name`` (``language``, ``time_zone``) as the signed-in user chose it;
    ``None`` outside a request, or if they did not."""
    if not has_request_context():
        return None
    user = current_user
    if getattr(user, "is_authenticated", False):
        return check(getattr(user, name, None))
    return None


FOLLOW_THE_CLIENT = frozenset({"addin_api"})
"""Blueprints whose callers say the language themselves (the task pane sends Office's display
language as ``Accept-Language``): it wins over the user's saved choice."""


def follow_client(tag: str | None, zone: str | None = None) -> None:
    """Answer this request in the language and time zone its client says it shows (Gmail's
    ``userLocale`` and ``timeZone.id``), each when known; else as usual."""
    if (language := language_of(tag)) is not None:
        g.client_language = language
    if (name := time_zone_of(zone)) is not None:
        g.client_time_zone = name
    refresh()


_LOCALES = {code: Locale.parse(code) for code in LANGUAGES}
"""One ``Locale`` per language, handed to Flask-Babel for every request (it would parse a new one
each time): the caches keyed by the locale (catalogues, date patterns) then find it by identity,
without Babel's ``Locale.__eq__``, some three hundred times a page."""


def select_locale() -> Locale:
    return _LOCALES[_selected_language()]


def _selected_language() -> str:
    if has_request_context() and "client_language" in g:
        return g.client_language
    asked = None
    if has_request_context():
        asked = request.accept_languages.best_match(list(LANGUAGES))
        if asked and request.blueprint in FOLLOW_THE_CLIENT:
            return asked
    return _chosen("language", language_of) or asked or DEFAULT_LANGUAGE


def select_timezone() -> str:
    if has_request_context() and "client_time_zone" in g:
        return g.client_time_zone
    return _chosen("time_zone", time_zone_of) or DEFAULT_TIME_ZONE


def plural_pattern(singular: str, plural: str, number: int) -> str:
    """The form of a plural message for ``number`` as the catalogue has it, placeholders left
    in (``"%(num)d Postfächer"``): for a page's script, which fills in the number."""
    return get_translations().ngettext(singular, plural, number)


def reader_zone() -> tzinfo:
    """The reader's time zone, for arithmetic (``zoneinfo``; Babel's is pytz): UTC outside a
    request."""
    if not has_request_context():
        return UTC
    return ZoneInfo(str(get_timezone()))  # one of time_zones(), or UTC


_CATALOGUES: dict[Locale | None, NullTranslations] = {}
"""Each language's catalogue, once found (they never change while the process runs)."""


def _catalogue() -> NullTranslations:
    """The catalogue of the language of the moment (``force_locale`` included). Flask-Babel finds
    it anew for every string, through its domain, the context and the locale's name."""
    locale = reader_locale()
    found = _CATALOGUES.get(locale)
    if found is None:
        found = _CATALOGUES[locale] = get_translations()
    return found


def _template_words(
    catalogue_of: Callable[[], NullTranslations],
) -> tuple[Callable[..., str], Callable[..., str]]:
    """The templates' ``gettext`` and ``ngettext`` from the catalogue ``catalogue_of`` gives, as
    Jinja's new-style ones behave (escaped where the template escapes, always a format string)
    without their two extra calls through the template context for every string."""

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, message: str, /, **values: object) -> str:
        text = catalogue_of().ugettext(message)
        return (Markup(text) if eval_ctx.autoescape else text) % values

    @pass_eval_context
    def ngettext(
        eval_ctx: EvalContext, singular: str, plural: str, number: int, /, **values: object
    ) -> str:
        values.setdefault("num", number)
        text = catalogue_of().ungettext(singular, plural, number)
        return (Markup(text) if eval_ctx.autoescape else text) % values

    return gettext, ngettext


_template_gettext, _template_ngettext = _template_words(_catalogue)
"""Every template's, for the language of the moment (a macro imported without the page's
context uses these)."""


def _page_words() -> dict[str, object]:
    """A page's ``_``, ``gettext`` and ``ngettext``, bound to the catalogue of the language it
    is rendered in (``force_locale`` included), and its clock (:func:`_template_time`): a page
    of fifty issues asks for some two hundred and thirty strings and a hundred times, and the
    language of the moment is found through three context locals."""
    catalogue = _catalogue()
    gettext, ngettext = _template_words(lambda: catalogue)
    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "_clock": _reader_clock()}


NAMED_FORMATS = frozenset({"full", "long", "medium", "short"})


@functools.lru_cache(maxsize=64)
def _datetime_pattern(locale: Locale, form: str) -> DateTimePattern:
    """``form`` (a CLDR length or a Babel pattern) as one parsed pattern for ``locale``: a
    length's date and time patterns put into its date-time pattern, as Babel combines them."""
    if form in NAMED_FORMATS:
        form = (
            get_datetime_format(form, locale=locale)
            .replace("{0}", get_time_format(form, locale=locale).pattern)
            .replace("{1}", get_date_format(form, locale=locale).pattern)
        )
    return parse_pattern(form)


_ATTRIBUTES = {"d": "day", "H": "hour", "M": "month", "m": "minute", "s": "second", "y": "year"}
"""Fields written as the moment's number, zero-padded to the field's length (a month of three
letters or more is a word; ``yy`` is the year's last two digits; ``h`` the hour on a 12-hour
clock)."""
_NAMED = {
    "M": [datetime(2000, month, 1) for month in range(1, 13)],
    "a": [datetime(2000, 1, 1, hour) for hour in range(24)],
}
"""Fields written as a word of the language (``MMM``, ``a``), with a moment for each value they
take: month 1 to 12, hour 0 to 23."""
_MONTH_WORD, _PERIOD_WORD = 3, 4
"""Where a writer's arguments hold the month's and the day period's word (after the moment,
the 12-hour hour and the two-digit year)."""


def _replacement(field: str) -> str | None:
    """One field of a pattern (``dd``, ``h``) as a ``str.format`` field of a writer's arguments
    (:func:`_datetime_writer`), or ``None`` for a word or a field only Babel writes."""
    char, length = field[0], len(field)
    if char == "y" and length == 2:
        return "{2:02d}"
    if char == "h":
        return f"{{1:0{length}d}}"
    if char in _ATTRIBUTES and not (char == "M" and length > 2):
        return f"{{0.{_ATTRIBUTES[char]}:0{length}d}}"
    return None


@functools.lru_cache(maxsize=64)
def _datetime_writer(locale: Locale, form: str) -> Callable[[datetime], str]:
    """``form`` for ``locale`` as a function of the moment: what Babel writes (its words, found
    once), in one ``str.format`` of the moment, its 12-hour hour, its two-digit year and its
    month's and period's words, rather than a Babel formatter and a look-up per field for every
    time shown. A pattern with a field Babel must write itself (a zone's name, a week), or with
    two kinds of month word, is Babel's."""
    pattern = _datetime_pattern(locale, form)
    parts, words = [], {}
    for index, piece in enumerate(_FIELD.split(pattern.format)):
        if index % 2 == 0:  # the text between fields: Babel's ``%%`` is a ``%``
            parts.append(piece.replace("%%", "%").replace("{", "{{").replace("}", "}}"))
            continue
        found = _replacement(piece)
        if found is None and piece[0] in _NAMED:
            slot = _MONTH_WORD if piece[0] == "M" else _PERIOD_WORD
            said = [DateTimeFormat(moment, locale)[piece] for moment in _NAMED[piece[0]]]
            if words.setdefault(slot, said) == said:
                found = f"{{{slot}}}"
        if found is None:
            return functools.partial(pattern.apply, locale=locale)
        parts.append(found)
    layout = "".join(parts)
    months, periods = words.get(_MONTH_WORD, [""] * 12), words.get(_PERIOD_WORD, [""] * 24)
    return lambda value: layout.format(
        value, value.hour % 12 or 12, value.year % 100, months[value.month - 1], periods[value.hour]
    )


_FIELD = re.compile(r"%\((\w+)\)s")


def reader_locale() -> Locale | None:
    """Flask-Babel's ``get_locale()``: the locale it keeps for the request (``force_locale``
    changes it) read where it keeps it, which a page asks for many times."""
    kept = g.get("_flask_babel") if has_app_context() else None
    return getattr(kept, "babel_locale", None) or get_locale()


def _reader_zone() -> tzinfo:
    """Flask-Babel's ``get_timezone()`` read as :func:`reader_locale` reads the locale; UTC
    outside a request."""
    if not has_request_context():
        return UTC
    return getattr(g.get("_flask_babel"), "babel_tzinfo", None) or get_timezone()


class Clock:
    """Times written in one locale, in its time zone unless told another, each form's writer
    found once."""

    def __init__(self, locale: Locale, zone: tzinfo) -> None:
        self.locale, self.zone = locale, zone
        self.writers: dict[str, Callable[[datetime], str]] = {}

    def __call__(self, when: datetime, pattern: str = "medium", zone: tzinfo | None = None) -> str:
        writer = self.writers.get(pattern)
        if writer is None:
            writer = self.writers[pattern] = _datetime_writer(self.locale, pattern)
        aware = when if when.tzinfo else when.replace(tzinfo=UTC)
        return writer(aware.astimezone(zone or self.zone))


def _reader_clock() -> Clock:
    locale = (reader_locale() if has_app_context() else None) or _LOCALES[DEFAULT_LANGUAGE]
    return Clock(locale, _reader_zone())


def local_time(when: datetime, pattern: str = "medium", zone: tzinfo | None = None) -> str:
    """``when`` (naive is UTC) in the language of the moment, by a Babel ``pattern``
    (``"dd MMM HH:mm z"``) or CLDR length (``"medium"``), in ``zone`` if given, else the
    reader's time zone: a page's reader's, UTC in an e-mail (which says so). The pattern is
    parsed once per language and form, and written without a Babel formatter."""
    return _reader_clock()(when, pattern, zone)


def page_clock(context: Context) -> Clock:
    """The clock of the page being rendered (its reader's language and time zone, found once
    for the page: a page of fifty issues shows a hundred times), else the reader's of the
    moment (a macro imported without the page's context, a template rendered outside a
    request)."""
    return context.get("_clock") or _reader_clock()


@pass_context
def _template_time(context: Context, when: datetime, pattern: str = "medium") -> str:
    """The templates' ``datetimeformat``, written as Flask-Babel's, on the page's clock."""
    return page_clock(context)(when, pattern)


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(TRANSLATIONS),
    )
    # Flask-Babel installed Jinja's new-style gettext; the same, found once per language:
    app.jinja_env.globals.update(
        _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext
    )
    app.jinja_env.filters["datetimeformat"] = _template_time
    app.context_processor(_page_words)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, get_locale=get_locale, plural_pattern=plural_pattern,
        reader_zone=reader_zone,
    )  # fmt: skip

"""The task pane's own words in each language the product speaks.

The pane's script marks them with ``_("…")`` (and ``N_("…")``); they are in the catalogues with
the rest (``make catalogues`` reads ``static/addin``). The pane page carries their translations,
and the script picks Office's display language among them (English where none).
"""

from __future__ import annotations

import functools

from babel.messages.extract import extract
from flask_babel import force_locale, gettext

from backend.i18n import DEFAULT_LANGUAGE, LANGUAGES
from backend.settings import PROJECT_ROOT

PANE_SCRIPT = PROJECT_ROOT / "static" / "addin" / "taskpane.js"


@functools.cache
def pane_words() -> tuple[str, ...]:
    """Every string the pane's script marks, in the order it holds them."""
    with PANE_SCRIPT.open("rb") as script:
        found = extract("javascript", script, keywords={"_": None, "N_": None})
        return tuple(dict.fromkeys(text for _line, text, _comments, _context in found))


@functools.cache
def pane_texts() -> dict[str, dict[str, str]]:
    """``{language: {English: translation}}`` for every language but English, worked out once
    per process (inside a request or an app context: the catalogues are the app's)."""
    texts = {}
    for language in LANGUAGES:
        if language == DEFAULT_LANGUAGE:
            continue
        with force_locale(language):
            texts[language] = {word: gettext(word) for word in pane_words()}
    return texts

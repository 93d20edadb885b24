"""The message catalogues: every string marked for translation is in them, German has each one
the English catalogue has (same placeholders, nothing fuzzy), and the pages already translated
hold no text a person reads that is not marked.

Pages still to be translated are listed in ``NOT_YET``: each one leaves the list when it is
done, and a page on it that is already clean fails the test, so the list only shrinks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"
TRANSLATIONS = BACKEND / "translations"
TEMPLATES = BACKEND / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "N_": None, "plural_pattern": (1, 2)}  # fmt: skip
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2"),
           ("addin/**.js", "javascript")]  # fmt: skip
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|(\{\w+\})")
"""``%(name)s`` of gettext, and ``{name}`` a page's script fills in."""

NOT_YET: set[str] = set()
"""Templates not translated yet (none now: a new page is translated when it is written)."""
NAMES = ("SAP Cloud for Customer", "SAP Sync", "ssi-sync", "UTC", "SAP")
"""Words that are the same in every language (names)."""


def _catalogue(language: str) -> dict[object, object]:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as found:
        catalogue = read_po(found, locale=language)
    return {m.id: m for m in catalogue if m.id}


def _marked_now() -> set[object]:
    """What ``make catalogues`` extracts: from the code and pages, and the task pane's script."""
    found = [message for folder in (BACKEND, ROOT / "static")
             for message in extract_from_dir(str(folder), METHODS, keywords=KEYWORDS)]  # fmt: skip
    return {(m[2] if isinstance(m[2], str) else tuple(m[2])) for m in found}


def _ids(messages: dict[object, object]) -> set[object]:
    return {tuple(key) if isinstance(key, list | tuple) else key for key in messages}


def test_every_marked_string_is_in_the_catalogues() -> None:
    english = _ids(_catalogue("en"))
    marked = {key for key in _marked_now() if key}
    assert marked - english == set(), "run `make catalogues` and translate the new strings"
    assert english - marked == set(), "strings no longer marked: run `make catalogues`"


def test_german_translates_every_english_entry_with_the_same_placeholders() -> None:
    english, german = _catalogue("en"), _catalogue("de")
    assert _ids(english) == _ids(german)
    assert [key for key, m in english.items() if "fuzzy" in m.flags] == [], (
        "a fuzzy entry is left out"
    )
    for key, message in german.items():
        assert "fuzzy" not in message.flags, key
        texts = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(texts), f"no German for {key!r}"
        ids = [key] if isinstance(key, str) else list(key)
        wanted = _placeholders(" ".join(ids))
        for text in texts:
            used = _placeholders(text)
            # A plural's form may say its number in words ("once"): %(num)d may be left out.
            assert used <= wanted and wanted - {"num"} <= used, (key, text)


def _placeholders(text: str) -> set[str]:
    return {"".join(found) for found in PLACEHOLDER.findall(text)}


def unmarked_text(source: str) -> list[str]:
    """The words a person would read in ``source`` that are not marked for translation."""
    source = re.sub(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", " ", source, flags=re.S)
    source = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    source = re.sub(r"{%\s*block body_class\s*%}.*?{%\s*endblock\s*%}", " ", source)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S | re.I)
    found = []
    for _name, value in re.findall(r'\b(title|alt|placeholder|aria-label|label)="([^"]*)"', source):
        found.append(re.sub(r"{{.*?}}|{%.*?%}", " ", value))
    text = re.sub(r"{{.*?}}|{%.*?%}", " ", source, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&\w+;|&#\d+;", " ", text)
    found.append(text)
    words = []
    for part in found:
        for name in NAMES:
            part = part.replace(name, " ")
        words += re.findall(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß'-]+", part)
    return words


@pytest.mark.parametrize(
    "template",
    sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*") if p.is_file()),
)
def test_a_translated_template_holds_no_unmarked_text(template: str) -> None:
    words = unmarked_text((TEMPLATES / template).read_text())
    if template in NOT_YET:
        assert words, f"{template} is translated now: take it off NOT_YET"
        return
    assert words == [], f"{template} shows text not marked for translation: {words[:10]}"


def test_the_checker_finds_unmarked_text() -> None:
    assert unmarked_text("<p>Hello <b>{{ name }}</b></p>") == ["Hello"]
    assert unmarked_text('<a title="Open it">{{ _("Open") }}</a>') == ["Open", "it"]
    assert unmarked_text('<p>{{ _("Hello") }} {% if x %}{{ y }}{% endif %}</p>') == []
    assert unmarked_text("{% trans %}Hello {{ name }}{% endtrans %}") == []

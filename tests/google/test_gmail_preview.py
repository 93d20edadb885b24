"""The emulated Gmail's rendering of formatted card text: what Gmail shows, nothing more."""

from __future__ import annotations

from html import escape

import pytest

from emulators.google.preview import card_text


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("<b>Fill in</b> the <font color=\"#d93025\">name</font>",
         "<b>Fill in</b> the <font color=\"#d93025\">name</font>"),
        (escape("Q&A <b>x</b>"), "Q&amp;A &lt;b&gt;x&lt;/b&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ('<font color="red" onclick="x">',
         "&lt;font color=&quot;red&quot; onclick=&quot;x&quot;&gt;"),
    ],
)  # fmt: skip
def test_only_googles_formatting_tags_survive(sent: str, shown: str) -> None:
    assert str(card_text(sent)) == shown

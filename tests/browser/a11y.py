"""WCAG 2.1 AA checks in the browser tests: axe-core (from ``addin/node_modules``, which ``make``
installs with npm) run on the page as a person sees it; serious and critical findings fail.

Without npm the checks are skipped, saying so, as the manifest test does.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Frame, Page

AXE = Path(__file__).resolve().parents[2] / "addin" / "node_modules" / "axe-core" / "axe.min.js"
NO_AXE = (
    f"needs axe-core at {AXE.relative_to(AXE.parents[3])} (npm ci --prefix addin; "
    "make installs it when npm is on the machine)"
)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = ("serious", "critical")


@cache
def _source() -> str:
    return AXE.read_text()


def check_accessibility(page: Page | Frame, where: str) -> None:
    """Run axe-core on ``page`` (WCAG 2.0/2.1 A and AA rules); fail on serious or critical
    violations, naming each rule and the elements it found."""
    if not AXE.exists():
        pytest.skip(NO_AXE)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())  # evaluated by the browser, not as a page script: no CSP issue
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))",
        TAGS,
    )
    failing = [v for v in found if v["impact"] in FAILING]
    assert not failing, f"{where}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}" for v in failing
    )

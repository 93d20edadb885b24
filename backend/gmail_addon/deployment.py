"""The add-on's deployment descriptor (``gmail_addon/deployment.json``) for one public base URL.

The file in the repository holds ``${base_url}`` where each of our URLs starts; Google calls
exactly those URLs, and the system ID token's audience is each one, so the descriptor must be
rendered for the address the server answers at (``PUBLIC_BASE_URL``). Scopes are only what the
add-on uses: running in Gmail, the open message's metadata (its id) and the user's e-mail.
"""

from __future__ import annotations

import json
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

TEMPLATE = Path(__file__).resolve().parents[2] / "gmail_addon" / "deployment.json"


def render(base_url: str) -> dict[str, Any]:
    """The descriptor with every URL under ``base_url`` (https, no trailing slash kept).

    Raises:
        ValueError: ``base_url`` is not an absolute http(s) URL.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ValueError(f"{base_url!r} is not an absolute http(s) URL")
    text = Template(TEMPLATE.read_text()).substitute(base_url=base_url.rstrip("/"))
    return json.loads(text)

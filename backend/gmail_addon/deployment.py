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


def render(base_url: str, *, allow_http: bool = False) -> dict[str, Any]:
    """The descriptor with every URL under ``base_url`` (no trailing slash kept).

    Args:
        base_url: the server's public address.
        allow_http: accept ``http://`` (a development machine talking to the emulated Gmail);
            Google itself calls add-ons only over https.

    Raises:
        ValueError: ``base_url`` is not an absolute https URL (or http, when allowed).
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ValueError(f"{base_url!r} is not an absolute http(s) URL")
    if parts.scheme == "http" and not allow_http:
        raise ValueError(
            f"{base_url!r} is http: Google calls add-ons only over https (http is for "
            "SSI_ENV=development)"
        )
    text = Template(TEMPLATE.read_text()).substitute(base_url=base_url.rstrip("/"))
    return json.loads(text)

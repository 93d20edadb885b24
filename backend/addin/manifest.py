"""The Outlook add-in manifest (``addin/manifest.xml``) rendered for one public base URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from backend.addin.item_status import ADDIN_VERSION

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "addin"
_templates = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def manifest_version(version: str = ADDIN_VERSION) -> str:
    """Office wants four parts: ``1.0.0`` → ``1.0.0.0``."""
    parts = version.split(".")
    return ".".join(parts + ["0"] * (4 - len(parts)))


def check_base_url(base_url: str, *, require_https: bool = True) -> str:
    """``base_url`` without a trailing slash.

    Raises:
        ValueError: not an absolute URL, or not https when Outlook needs it (everywhere but a
            developer's own machine).
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{base_url!r} is not an absolute http(s) URL")
    if require_https and parts.scheme != "https":
        raise ValueError("Outlook loads add-ins over https only; give an https:// base URL")
    return base_url.rstrip("/")


def render_manifest(base_url: str, *, require_https: bool = True) -> str:
    """The manifest with every URL under ``base_url``.

    Raises:
        ValueError: see :func:`check_base_url`.
    """
    base = check_base_url(base_url, require_https=require_https)
    return _templates.get_template("manifest.xml").render(base_url=base, version=manifest_version())

"""Seed data: the Contoso directory and people, and the product's application, in both realms.

:func:`register_app` registers every address the product sends people back to (its sign-in,
the re-activation of a mailbox, an administrator's consent for the whole company): the demo
registers it for ``http://127.0.0.1:8000``, and the tests for the address they serve the app
at, through the same function, so a callback missing here fails the tests as it would fail the
demo.
"""

from __future__ import annotations

from collections.abc import Iterable

from emulators.identity.provider import Provider

CONTOSO_TENANT_ID = "3c0a8d1e-5b7f-4e2a-9d64-0c0a7050e7e5"
"""``tid`` of the Contoso directory."""
CONTOSO_DOMAINS = ("contoso.test",)
"""The domains the Contoso directory has verified (its people's ``tid`` follows from them)."""

DEMO_CLIENT_ID = "ssi-sync-demo"
DEMO_CLIENT_SECRET = "ssi-sync-demo-secret"
DEMO_BASE_URLS = ("http://127.0.0.1:8000", "http://localhost:8000")
"""Where the demo's web server is reached."""
CALLBACKS = {
    "microsoft": (
        "/auth/callback/microsoft",
        "/reactivate/callback/microsoft",
        "/admin/consent/microsoft/callback",
    ),
    "google": ("/auth/callback/google", "/reactivate/callback/google"),
}
"""Every path of the product a realm sends a browser back to: sign-in, a mailbox's
re-activation (consent again) and, for Microsoft, an administrator's consent for the company."""

CONTOSO_PEOPLE = (
    ("kim.keyuser@contoso.test", "Kim Keyuser", "kim-demo"),
    ("anna.sales@contoso.test", "Anna Sales", "anna-demo"),
    ("ben.sales@contoso.test", "Ben Sales", "ben-demo"),
    ("gina.sales@contoso.test", "Gina Sales", "gina-demo"),
    ("olivia.sales@contoso.test", "Olivia Sales", "olivia-demo"),
    ("paul.sales@contoso.test", "Paul Sales", "paul-demo"),
    ("dora.sales@contoso.test", "Dora Sales", "dora-demo"),
)
"""E-mail, name and password of each seeded person."""
CONTOSO_ADMINS = frozenset({"kim.keyuser@contoso.test"})
"""Administrators of the Contoso directory (they may grant admin consent)."""

FABRIKAM_TENANT_ID = "9b2e6c1a-4f3d-4e8b-a7c2-1d5e6f7a8b9c"
"""``tid`` of the Fabrikam directory: a company the demo's visitor puts into service."""
FABRIKAM_DOMAINS = ("fabrikam.test",)
FABRIKAM_PEOPLE = (
    ("fiona.key@fabrikam.test", "Fiona Key", "fiona-demo"),
    ("frank.sales@fabrikam.test", "Frank Sales", "frank-demo"),
)
"""E-mail, name and password of each Fabrikam person (Fiona administers its directory)."""


def redirect_uris(realm: str, base_urls: Iterable[str]) -> tuple[str, ...]:
    """The product's callbacks of ``realm`` under each of ``base_urls``."""
    return tuple(base.rstrip("/") + path for base in base_urls for path in CALLBACKS[realm])


def register_app(
    provider: Provider,
    base_urls: Iterable[str],
    client_id: str = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET,
) -> None:
    """Register the product's application, served at ``base_urls``, with both realms.

    Args:
        provider: the emulator's provider.
        base_urls: the addresses the product's web server is reached at.
        client_id: the application's id.
        client_secret: its secret.
    """
    bases = tuple(base_urls)
    for realm in CALLBACKS:
        provider.register_client(realm, client_id, client_secret, redirect_uris(realm, bases))


def seed_directory(provider: Provider) -> None:
    """The Contoso directory: ``microsoft`` users of its domains get its ``tid``."""
    provider.add_directory(CONTOSO_TENANT_ID, CONTOSO_DOMAINS)


def seed_fabrikam(provider: Provider) -> None:
    """The Fabrikam directory and its people (Microsoft only: Fabrikam runs Exchange)."""
    provider.add_directory(FABRIKAM_TENANT_ID, FABRIKAM_DOMAINS)
    for email, name, password in FABRIKAM_PEOPLE:
        provider.add_user("microsoft", email, name, password, admin=email.startswith("fiona"))


def seed_contoso(provider: Provider, base_urls: Iterable[str] = DEMO_BASE_URLS) -> None:
    """Add the Contoso directory and people to both realms and register the demo application.

    Args:
        provider: the emulator's provider.
        base_urls: where the demo's web server is reached.
    """
    seed_directory(provider)
    for email, name, password in CONTOSO_PEOPLE:
        admin = email in CONTOSO_ADMINS
        provider.add_user("microsoft", email, name, password, admin=admin)
        provider.add_user("google", email, name, password)
    register_app(provider, base_urls)

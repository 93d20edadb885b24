"""Seed data: the Contoso people and the demo application, in both realms."""

from __future__ import annotations

from emulators.identity.provider import Provider

CONTOSO_TENANT_ID = "3c0a8d1e-5b7f-4e2a-9d64-0c0a7050e7e5"
"""``tid`` of every seeded ``microsoft`` user."""

DEMO_CLIENT_ID = "ssi-sync-demo"
DEMO_CLIENT_SECRET = "ssi-sync-demo-secret"
DEMO_REDIRECT_URIS = tuple(
    f"http://{host}:8000/auth/callback/{realm}"
    for host in ("127.0.0.1", "localhost")
    for realm in ("microsoft", "google")
)
"""The demo app's callbacks; each realm accepts all four."""

CONTOSO_PEOPLE = (
    ("kim.keyuser@contoso.test", "Kim Keyuser", "kim-demo"),
    ("anna.sales@contoso.test", "Anna Sales", "anna-demo"),
    ("ben.sales@contoso.test", "Ben Sales", "ben-demo"),
    ("gina.sales@contoso.test", "Gina Sales", "gina-demo"),
    ("olivia.sales@contoso.test", "Olivia Sales", "olivia-demo"),
)
"""E-mail, name and password of each seeded person."""


def seed_contoso(provider: Provider) -> None:
    """Add the Contoso people and the ``ssi-sync-demo`` client to both realms.

    Args:
        provider: the emulator's provider.
    """
    for email, name, password in CONTOSO_PEOPLE:
        provider.add_user("microsoft", email, name, password, tenant_id=CONTOSO_TENANT_ID)
        provider.add_user("google", email, name, password)
    for realm in ("microsoft", "google"):
        provider.register_client(realm, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URIS)

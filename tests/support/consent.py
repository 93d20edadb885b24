"""What every mailbox opened from a stored OAuth consent does, whatever its mail system: no
refresh while the token is valid, one refresh (stored) when it has expired, and a refresh token
alone is enough.

A test module subclasses :class:`StoredConsent` as ``Test...`` and gives the fixtures
``consented`` (what the consent flow stores) and ``oauth_box`` (makes a tenant and a mailbox
holding given credentials), plus the sign-in realm's token path and provider name.
"""

from __future__ import annotations

import time

from backend.auth.credentials import mailbox_credentials
from backend.sync import connect
from emulators.identity import IdentityEmulator


class StoredConsent:
    token_path = ""
    """The sign-in realm's token endpoint, e.g. ``/google/token``."""
    provider = ""
    """The sign-in provider the stored credentials name."""

    def token_requests(self, identity: IdentityEmulator) -> int:
        return len(identity.log.entries("POST", self.token_path))

    def test_consented_tokens_open_the_mailbox_without_a_refresh(
        self, identity, consented, oauth_box, resources
    ) -> None:
        tenant, box = oauth_box(consented)
        identity.log.clear()
        provider = connect.mailbox_provider(tenant, box, resources.cipher, resources.settings)
        provider.activate()
        assert self.token_requests(identity) == 0
        assert mailbox_credentials(box, resources.cipher) == consented

    def test_an_expired_access_token_is_refreshed_once_and_the_new_one_kept(
        self, identity, consented, oauth_box, resources, session
    ) -> None:
        tenant, box = oauth_box({**consented, "expires_at": int(time.time()) - 60})
        identity.log.clear()
        connect.mailbox_provider(tenant, box, resources.cipher, resources.settings).activate()
        assert self.token_requests(identity) == 1
        session.commit()
        session.refresh(box)
        kept = mailbox_credentials(box, resources.cipher)
        assert kept["access_token"] != consented["access_token"]
        assert kept["refresh_token"] and kept["expires_at"] > time.time() + 600
        assert kept["provider"] == self.provider

        connect.mailbox_provider(tenant, box, resources.cipher, resources.settings).activate()
        assert self.token_requests(identity) == 1, "the stored token is used, not refreshed again"

    def test_a_refresh_token_alone_is_enough(
        self, identity, consented, oauth_box, resources
    ) -> None:
        alone = {key: value for key, value in consented.items() if key != "access_token"}
        tenant, box = oauth_box(alone)
        connect.mailbox_provider(tenant, box, resources.cipher, resources.settings).activate()
        assert mailbox_credentials(box, resources.cipher)["access_token"]

"""google-auth credentials built from a mailbox's stored OAuth tokens, reporting each refresh.

The stored credentials are what the consent flow kept: ``access_token``, ``refresh_token``,
``expires_at`` (seconds since the epoch) and ``scope``. google-auth refreshes the access token
when it has expired or when Google answers 401; :class:`StoredCredentials` then hands the new
values to ``on_refresh`` so the caller stores them and the next run does not refresh again.

The token endpoint is looked up only when a refresh is due (most runs never need it), through
``token_uri``, a callable; it may raise google-auth's ``TransportError`` when the endpoint
cannot be found (the classifier takes it as temporary) or ``RefreshError`` when there is no
client to refresh with (a sign-in failure).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from google.oauth2.credentials import Credentials


class StoredCredentials(Credentials):
    """Credentials that look up their token endpoint late and report refreshed tokens."""

    def __init__(
        self,
        stored: dict[str, Any],
        *,
        client_id: str | None,
        client_secret: str | None,
        token_uri: Callable[[], str],
        on_refresh: Callable[[dict[str, Any]], None],
    ) -> None:
        super().__init__(
            token=stored.get("access_token"),
            refresh_token=stored.get("refresh_token"),
            client_id=client_id,
            client_secret=client_secret,
            expiry=_expiry(stored.get("expires_at")),
        )
        self._stored = dict(stored)
        self._find_token_uri = token_uri
        self._on_refresh = on_refresh

    def refresh(self, request: Any) -> None:
        if self.refresh_token and self._token_uri is None:
            self._token_uri = self._find_token_uri()
        super().refresh(request)
        self._stored.update(
            access_token=self.token,
            refresh_token=self.refresh_token,
            expires_at=int(self.expiry.replace(tzinfo=UTC).timestamp()) if self.expiry else None,
        )
        self._on_refresh(dict(self._stored))


def _expiry(expires_at: object) -> datetime | None:
    """google-auth keeps the expiry as a naive UTC datetime."""
    if not isinstance(expires_at, int | float):
        return None
    return datetime.fromtimestamp(expires_at, UTC).replace(tzinfo=None)

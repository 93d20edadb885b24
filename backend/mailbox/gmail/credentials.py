"""google-auth credentials built from a mailbox's stored OAuth tokens, reporting each refresh.

The stored credentials are what the consent flow kept: ``access_token``, ``refresh_token``,
``expires_at`` (seconds since the epoch) and ``scope``. google-auth refreshes the access token
when it has expired or when Google answers 401; :class:`StoredCredentials` then hands the new
values to ``on_refresh`` so the caller stores them and the next run does not refresh again.
When the consent is time-limited (the user granted access for a while, or the app's consent
screen is still in testing), Google's token answer says how long the refresh token has left
(``refresh_token_expires_in``); that end is kept as ``refresh_expires_at``.

The token endpoint is looked up only when a refresh is due (most runs never need it), through
``token_uri``, a callable; it may raise google-auth's ``TransportError`` when the endpoint
cannot be found (the classifier takes it as temporary) or ``RefreshError`` when there is no
client to refresh with (a sign-in failure).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from google.oauth2.credentials import Credentials

REFRESH_ENDS = "refresh_expires_at"
"""Where the stored credentials keep when a time-limited consent ends (seconds since the
epoch); absent when Google did not say it ends."""


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
        answer = _TokenAnswer(request)
        super().refresh(answer)
        self._stored.update(
            access_token=self.token,
            refresh_token=self.refresh_token,
            expires_at=int(self.expiry.replace(tzinfo=UTC).timestamp()) if self.expiry else None,
        )
        if answer.refresh_expires_in is not None:
            ends = datetime.now(UTC).timestamp() + answer.refresh_expires_in
            self._stored[REFRESH_ENDS] = int(ends)
        self._on_refresh(dict(self._stored))


class _TokenAnswer:
    """google-auth's transport request, noting what the token endpoint said of the refresh
    token's remaining life (google-auth reads the answer but keeps only the access token)."""

    def __init__(self, request: Any) -> None:
        self._request = request
        self.refresh_expires_in: float | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        response = self._request(*args, **kwargs)
        if response.status == 200:
            try:
                body = json.loads(response.data)
            except (TypeError, ValueError):
                body = None
            seconds = body.get("refresh_token_expires_in") if isinstance(body, dict) else None
            if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
                self.refresh_expires_in = float(seconds)
        return response


def _expiry(expires_at: object) -> datetime | None:
    """google-auth keeps the expiry as a naive UTC datetime."""
    if not isinstance(expires_at, int | float):
        return None
    return datetime.fromtimestamp(expires_at, UTC).replace(tzinfo=None)

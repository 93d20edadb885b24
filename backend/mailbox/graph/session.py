"""The authenticated HTTP session of an Exchange Online mailbox: authlib's ``OAuth2Session``.

Two ways in, as the tenant chooses:

- **delegated**: the user's consent (access and refresh token). The session refreshes the
  access token a minute before it expires and hands the new tokens to ``on_refresh`` to be
  stored; Microsoft's sign-in rotates refresh tokens, so the new one must be kept. A refresh
  token unused for 90 days expires and the user consents again.
- **application permissions**: the tenant's administrator granted our app access to the
  mailboxes once; the session gets a client-credentials token for the tenant on first use and
  a new one when it expires. No user consent, nothing to re-activate.

The token endpoint is found only when a token is due (``token_endpoint`` is called then), so
a run with a valid token makes no request to the sign-in service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.integrations.requests_client import OAuth2Session

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class GraphSession(OAuth2Session):
    """An ``OAuth2Session`` whose token endpoint is looked up when first needed.

    Args:
        client_id, client_secret: our app's registration at Microsoft.
        token_endpoint: gives the token endpoint (called at most once, when a token is due).
        token: the stored delegated token (``access_token``, ``refresh_token``, ``expires_at``);
            ``None`` for application permissions.
        on_refresh: given each new token (delegated: to store it on the mailbox).
        default_timeout: the limit of every request, token requests included.
    """

    def __init__(
        self,
        client_id: str | None,
        client_secret: str | None,
        *,
        token_endpoint: Callable[[], str],
        token: dict[str, Any] | None = None,
        on_refresh: Callable[[dict[str, Any]], None] | None = None,
        default_timeout: float | tuple[float, float] | None = None,
    ) -> None:
        def update_token(new: dict[str, Any], **_previous: Any) -> None:
            if on_refresh is not None:
                on_refresh(dict(new))

        application = token is None
        super().__init__(
            client_id,
            client_secret,
            token=token,
            scope=GRAPH_SCOPE if application else None,
            update_token=update_token,
            grant_type="client_credentials" if application else None,
            default_timeout=default_timeout,
        )
        self._find_token_endpoint = token_endpoint

    def _token_endpoint(self) -> str:
        if "token_endpoint" not in self.metadata:
            self.metadata["token_endpoint"] = self._find_token_endpoint()
        return str(self.metadata["token_endpoint"])

    def ensure_active_token(self, token: Any = None) -> bool | None:
        current = token if token is not None else self.token
        if current is not None and current.is_expired(leeway=self.leeway):
            self._token_endpoint()
        return super().ensure_active_token(token)

    def request(self, method: str, url: str, withhold_token: bool = False, auth: Any = None,
                **kwargs: Any) -> Any:  # fmt: skip
        if (
            not self.token
            and not withhold_token
            and auth is None
            and self.metadata.get("grant_type") == "client_credentials"
        ):
            self.fetch_token(self._token_endpoint(), grant_type="client_credentials")
        return super().request(method, url, withhold_token=withhold_token, auth=auth, **kwargs)


def stored_token(stored: dict[str, Any]) -> dict[str, Any]:
    """The token authlib works with, from a mailbox's stored consent: a refresh token alone is
    due at once; a token without an expiry is used until Graph refuses it."""
    token: dict[str, Any] = {"token_type": "Bearer", "access_token": stored.get("access_token", "")}
    if stored.get("refresh_token"):
        token["refresh_token"] = stored["refresh_token"]
    if not stored.get("access_token"):
        token["expires_at"] = 0
    elif stored.get("expires_at") is not None:
        token["expires_at"] = int(float(stored["expires_at"]))
    return token

"""Trusting another OAuth server's access tokens by asking it about each one (RFC 7662).

The API emulators accept tokens the identity emulator hands out (where people sign in and
consent in the demo): each request's token is introspected, so revoking it there takes effect
at once.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class TrustedIssuer:
    """An OAuth server whose access tokens an API accepts too, asked by RFC 7662 introspection
    with this API's own client credentials."""

    introspection_url: str
    client_id: str
    client_secret: str

    def address_of(self, token: str) -> str | None:
        """The e-mail of the token's user while the token is active; None otherwise."""
        try:
            answer = requests.post(
                self.introspection_url,
                data={"token": token},
                auth=(self.client_id, self.client_secret),
                timeout=5,
            )
            claims = answer.json() if answer.ok else {}
        except (requests.RequestException, ValueError):
            return None
        username = claims.get("username") if claims.get("active") is True else None
        return username.lower() if isinstance(username, str) else None

    def user_among(self, token: str, addresses: Container[str]) -> str | None:
        """The token's user if the token is active and the user is one of ``addresses``."""
        address = self.address_of(token) if token else None
        return address if address is not None and address in addresses else None

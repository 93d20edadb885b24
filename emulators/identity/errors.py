"""OAuth 2.0 error answers (RFC 6749 section 5.2) in the shape each realm sends them.

Endpoints raise :class:`OAuthError`; :func:`error_response` turns it into the JSON body a
client reads. Entra adds ``error_codes``, a timestamp and trace ids and starts the description
with its ``AADSTS`` number; Google sends only ``error`` and ``error_description``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from flask import Response

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An OAuth error a token, revocation or introspection request answers with.

    Args:
        error: the RFC 6749 error code (``invalid_grant``, ``invalid_client``, ...).
        description: a human-readable ``error_description``.
        aadsts: the Entra error number shown by the ``microsoft`` realm.
    """

    def __init__(self, error: str, description: str, *, aadsts: int | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.aadsts = aadsts

    @property
    def status(self) -> int:
        """401 for a client that failed to authenticate, 400 for everything else."""
        return 401 if self.error == "invalid_client" else 400


def error_response(error: OAuthError, *, entra_style: bool, issuer: str) -> Response:
    """The JSON answer for ``error``, never cached.

    Args:
        error: what went wrong.
        entra_style: add Entra's extra fields and ``AADSTS`` prefix.
        issuer: the realm's issuer, named in ``WWW-Authenticate`` for ``invalid_client``.

    Returns:
        A 400 (or 401 for ``invalid_client``) JSON response.
    """
    body: dict[str, object] = {"error": error.error, "error_description": error.description}
    if entra_style:
        code = error.aadsts or 9002313
        body["error_description"] = f"AADSTS{code}: {error.description}"
        body["error_codes"] = [code]
        body["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        body["trace_id"] = str(uuid.uuid4())
        body["correlation_id"] = str(uuid.uuid4())
    response = Response(json.dumps(body), status=error.status, content_type="application/json")
    response.headers.update(NO_STORE)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = f'Basic realm="{issuer}"'
    return response

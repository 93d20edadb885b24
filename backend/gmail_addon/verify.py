"""Who is calling the Gmail add-on's endpoints: Google, on behalf of which user.

Google signs two ID tokens per request: the system ID token in ``Authorization: Bearer`` (its
audience is the URL of the endpoint called, its ``email`` the project's add-on service account)
and the user's ID token in ``authorizationEventObject.userIdToken`` (its audience is the
add-on's OAuth client). Both must be signed by Google's current keys (``GOOGLE_CERTS_URL``,
kept for five minutes and fetched again when a token names a key not seen yet), issued by
``accounts.google.com``, unexpired and for a verified e-mail. Anything else is refused, with
the reason kept for the log only. Certificates for a new key id are fetched at most once a
minute.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from google.auth import exceptions as auth_errors
from google.auth import jwt

from backend.outbound import Timeouts
from backend.settings import Settings

ISSUERS = ("accounts.google.com", "https://accounts.google.com")
CERTS_KEPT_SECONDS = 300
REFETCH_AFTER_SECONDS = 60
CLOCK_SKEW_SECONDS = 30
"""Tolerance for ``iat`` and ``exp`` between Google's clock and ours."""


class Refused(Exception):
    """The request is not Google's, or not for this endpoint; the message is for the log."""


@dataclass(frozen=True)
class Caller:
    """The user Google vouches for."""

    email: str
    subject: str


class _Certificates:
    """Google's signing certificates by key id: kept five minutes, fetched again early for a key
    id not seen yet but at most once a minute (so tokens naming made-up keys cannot make us
    call Google on every request), and kept when Google cannot be reached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, dict[str, str]]] = {}

    def forget(self) -> None:
        """Drop what is kept (another Google behind the same address, in tests)."""
        with self._lock:
            self._kept.clear()

    def get(self, url: str, timeouts: Timeouts, *, fresh: bool = False) -> dict[str, str]:
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(url)
        if kept:
            age = now - kept[0]
            if age < (REFETCH_AFTER_SECONDS if fresh else CERTS_KEPT_SECONDS):
                return kept[1]
        try:
            answer = requests.get(url, timeout=timeouts.pair)
            answer.raise_for_status()
            certs = answer.json()
            if not isinstance(certs, dict):
                raise ValueError("not a key id map")
        except (requests.RequestException, ValueError) as error:
            if kept:
                return kept[1]
            raise Refused(f"Google's certificates could not be read: {error}") from error
        with self._lock:
            self._kept[url] = (now, certs)
        return certs


CERTIFICATES = _Certificates()


def _signed(token: str, audience: str, certs: dict[str, str]) -> dict[str, Any]:
    return dict(jwt.decode(token, certs=certs, audience=audience,
                           clock_skew_in_seconds=CLOCK_SKEW_SECONDS))  # fmt: skip


def _decode(token: str, audience: str, settings: Settings) -> dict[str, Any]:
    certs_url, timeouts = settings.google_certs_url, settings.dialog_timeouts
    try:
        try:
            claims = _signed(token, audience, CERTIFICATES.get(certs_url, timeouts))
        except ValueError as error:
            if "Certificate for key id" not in str(error):
                raise
            fresh = CERTIFICATES.get(certs_url, timeouts, fresh=True)
            claims = _signed(token, audience, fresh)
    except (ValueError, auth_errors.GoogleAuthError) as error:
        raise Refused(f"token refused: {error}") from error
    if claims.get("iss") not in ISSUERS:
        raise Refused(f"token from another issuer: {claims.get('iss')!r}")
    if claims.get("email_verified") is not True or not claims.get("email"):
        raise Refused("token without a verified e-mail")
    return claims


def verify_system(authorization: str, endpoint_url: str, settings: Settings) -> None:
    """Check Google's system ID token, which comes in a header: the body is not read before.

    Args:
        authorization: the request's ``Authorization`` header.
        endpoint_url: the public URL of the endpoint called (the token's audience).
        settings: the add-on's service account and Google's certificates URL.

    Raises:
        Refused: the add-on is not configured, or the token is missing, forged, expired, for
            another endpoint or of another service account.
    """
    account, client_id = settings.gmail_addon_service_account, settings.gmail_addon_client_id
    if not account or not client_id:
        raise Refused("the Gmail add-on is not configured")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused("no system ID token")
    system = _decode(token.strip(), endpoint_url, settings)
    if system["email"] != account:
        raise Refused(f"system token of another service account: {system['email']!r}")


def verify_user(event: dict[str, Any], settings: Settings) -> Caller:
    """Check the user's ID token of an event object Google posted (after
    :func:`verify_system`).

    Raises:
        Refused: the token is missing, forged, expired or for another client.
    """
    authorization_event = event.get("authorizationEventObject")
    user_token = (
        authorization_event.get("userIdToken") if isinstance(authorization_event, dict) else None
    )
    if not isinstance(user_token, str) or not user_token:
        raise Refused("no user ID token")
    user = _decode(user_token, settings.gmail_addon_client_id or "", settings)
    return Caller(str(user["email"]).lower(), str(user.get("sub", "")))

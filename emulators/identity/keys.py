"""RS256 signing keys and id_token minting, one key ring per realm.

A :class:`Keyring` holds the keys a realm publishes at its ``jwks_uri``; the newest one signs.
Tests can :meth:`Keyring.rotate` to check that a client fetches the key set again when an
id_token names a key id it has not seen.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey

KEY_SIZE = 2048
ALGORITHM = "RS256"


def _generate() -> RSAKey:
    return RSAKey.generate_key(
        KEY_SIZE, parameters={"alg": ALGORITHM, "use": "sig"}, private=True, auto_kid=True
    )


def _certificate(key: RSAKey) -> str:
    private = key.private_key
    assert isinstance(private, rsa.RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "emulated signing key")])
    start = datetime.now(UTC) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .sign(private, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


class Keyring:
    """The signing keys of one realm: all published, the newest in use.

    Args:
        keep: how many keys stay published after a rotation.
    """

    def __init__(self, keep: int = 2) -> None:
        self._keys = [_generate()]
        self._keep = keep
        self._lock = threading.Lock()

    @property
    def current_kid(self) -> str:
        """The key id (RFC 7638 thumbprint) new id_tokens are signed with."""
        with self._lock:
            return self._keys[-1].kid or ""

    def rotate(self) -> str:
        """Start signing with a new key; the previous one stays published.

        Returns:
            The new key's id.
        """
        key = _generate()
        with self._lock:
            self._keys = [*self._keys, key][-self._keep :]
        return key.kid or ""

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public JWK set (``kty``, ``n``, ``e``, ``kid``, ``alg``, ``use``)."""
        with self._lock:
            keys = list(self._keys)
        return {"keys": [dict(key.as_dict(private=False)) for key in reversed(keys)]}

    def certificates(self) -> dict[str, str]:
        """Each published key as a self-signed X.509 certificate in PEM, by key id (the form of
        Google's ``/oauth2/v1/certs``)."""
        with self._lock:
            keys = list(self._keys)
        return {key.kid or "": _certificate(key) for key in reversed(keys)}

    def sign(self, claims: dict[str, Any]) -> str:
        """``claims`` as a compact JWS, header ``{"alg": "RS256", "kid": ..., "typ": "JWT"}``."""
        with self._lock:
            key = self._keys[-1]
        return jwt.encode({"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}, claims, key)

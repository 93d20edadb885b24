"""OAuth 2.0 for C4C: an access token for a signed SAML 2.0 assertion (RFC 7522).

C4C's OAuth server (``/sap/bc/sec/oauth2/token`` on the tenant's host) grants tokens for its
OData API for a SAML 2.0 bearer assertion only: there is no client-credentials grant. The
company's key user registers, in C4C, an OAuth client (id and secret) and a trusted identity
provider: our issuer name with the certificate we sign assertions with (:func:`signing_identity`
makes a key pair per tenant; only the certificate leaves the product). Each token request then
carries a fresh assertion naming the integration user, signed with the tenant's key.

:class:`SamlBearerAuth` plugs into a ``requests.Session``: it asks for a token when it has none
(or it is about to end), keeps it in memory only (never stored), and when C4C answers 401 to a
token it asks for a new one and sends the request once more.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner

from backend.crm.errors import C4CConnectionError, C4CHTTPError

TOKEN_PATH = "/sap/bc/sec/oauth2/token"
SAML2_BEARER = "urn:ietf:params:oauth:grant-type:saml2-bearer"
DEFAULT_SCOPE = "UIWC:CC_HOME"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
ASSERTION_MINUTES = 5
"""How long an assertion may be exchanged for a token."""
RENEW_BEFORE = 60.0
"""Seconds before a token's end at which a new one is asked for."""
CERTIFICATE_YEARS = 3


class C4CTokenRefused(C4CHTTPError):
    """C4C's OAuth server refused to issue a token (``invalid_client``, ``invalid_grant``...).

    Carried as a 401 so the sync treats it as SAP refusing the integration user.
    """

    def __init__(self, error: str, description: str) -> None:
        super().__init__(401, f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class SamlBearerGrant:
    """What a token request needs: the client, the assertion's names, and the signing key.

    Attributes:
        token_url: C4C's token endpoint (also the assertion's recipient).
        client_id: the OAuth client registered in C4C.
        client_secret: its secret.
        issuer: our name as a trusted identity provider in C4C.
        audience: C4C's SAML service provider name.
        user: the C4C user the tokens act as (the integration user).
        scope: the scopes asked for.
        key_pem: our private signing key.
        certificate_pem: the certificate uploaded to C4C.
    """

    token_url: str
    client_id: str
    client_secret: str
    issuer: str
    audience: str
    user: str
    scope: str
    key_pem: str
    certificate_pem: str


def token_url_of(service_url: str) -> str:
    """C4C's token endpoint on the host of its OData service."""
    parts = urlsplit(service_url.strip())
    return f"{parts.scheme}://{parts.netloc}{TOKEN_PATH}"


def signing_identity(common_name: str, now: datetime | None = None) -> tuple[str, str]:
    """A new RSA key and a self-signed certificate for signing assertions, as PEM text."""
    now = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem.decode(), certificate.public_bytes(serialization.Encoding.PEM).decode()


def assertion(grant: SamlBearerGrant, now: datetime | None = None) -> str:
    """A signed SAML 2.0 assertion for ``grant.user``, base64url-encoded for the token request."""
    now = now or datetime.now(UTC)
    ends = _stamp(now + timedelta(minutes=ASSERTION_MINUTES))
    root = etree.Element(f"{{{SAML}}}Assertion", nsmap={"saml": SAML})
    root.set("ID", f"_{secrets.token_hex(16)}")
    root.set("Version", "2.0")
    root.set("IssueInstant", _stamp(now))
    etree.SubElement(root, f"{{{SAML}}}Issuer").text = grant.issuer
    etree.SubElement(root, f"{{{DSIG}}}Signature", nsmap={"ds": DSIG}).set("Id", "placeholder")
    subject = etree.SubElement(root, f"{{{SAML}}}Subject")
    name_id = etree.SubElement(subject, f"{{{SAML}}}NameID")
    name_id.set("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")
    name_id.text = grant.user
    confirmation = etree.SubElement(subject, f"{{{SAML}}}SubjectConfirmation")
    confirmation.set("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
    data = etree.SubElement(confirmation, f"{{{SAML}}}SubjectConfirmationData")
    data.set("NotOnOrAfter", ends)
    data.set("Recipient", grant.token_url)
    conditions = etree.SubElement(root, f"{{{SAML}}}Conditions")
    conditions.set("NotBefore", _stamp(now - timedelta(minutes=1)))
    conditions.set("NotOnOrAfter", ends)
    restriction = etree.SubElement(conditions, f"{{{SAML}}}AudienceRestriction")
    etree.SubElement(restriction, f"{{{SAML}}}Audience").text = grant.audience
    statement = etree.SubElement(root, f"{{{SAML}}}AuthnStatement")
    statement.set("AuthnInstant", _stamp(now))
    context = etree.SubElement(statement, f"{{{SAML}}}AuthnContext")
    etree.SubElement(
        context, f"{{{SAML}}}AuthnContextClassRef"
    ).text = "urn:oasis:names:tc:SAML:2.0:ac:classes:PreviousSession"
    signed = XMLSigner(
        signature_algorithm="rsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
    ).sign(
        root,
        key=grant.key_pem.encode(),
        cert=grant.certificate_pem,
        reference_uri=f"#{root.get('ID')}",
        id_attribute="ID",
    )
    return base64.urlsafe_b64encode(etree.tostring(signed)).decode().rstrip("=")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Tokens:
    """Access tokens in memory, per grant (every value of it, secret and key included: a token
    got with one secret never answers for another), shared by the clients of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[SamlBearerGrant, tuple[str, float]] = {}

    def get(self, grant: SamlBearerGrant) -> str | None:
        with self._lock:
            found = self._tokens.get(grant)
        return found[0] if found and found[1] > time.monotonic() else None

    def put(self, grant: SamlBearerGrant, token: str, lifetime: float) -> None:
        with self._lock:
            self._tokens[grant] = (token, time.monotonic() + lifetime - RENEW_BEFORE)

    def drop(self, grant: SamlBearerGrant, token: str) -> None:
        with self._lock:
            if self._tokens.get(grant, ("",))[0] == token:
                del self._tokens[grant]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


TOKENS = _Tokens()


def request_token(
    grant: SamlBearerGrant, timeout: float | tuple[float, float]
) -> tuple[str, float]:
    """Ask C4C for an access token.

    Returns:
        The token and its lifetime in seconds.

    Raises:
        C4CTokenRefused: C4C refused the client, the assertion or the scope.
        C4CHTTPError: another error status.
        C4CConnectionError: no answer.
    """
    form = {
        "grant_type": SAML2_BEARER,
        "assertion": assertion(grant),
        "client_id": grant.client_id,
        "scope": grant.scope,
    }
    try:
        response = requests.post(
            grant.token_url,
            data=form,
            auth=(grant.client_id, grant.client_secret),
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
    except requests.RequestException as error:
        raise C4CConnectionError(f"token request failed: {error}", sent=True) from error
    body = _json(response)
    if response.status_code in (400, 401) and isinstance(body.get("error"), str):
        raise C4CTokenRefused(body["error"], str(body.get("error_description") or ""))
    if not response.ok:
        raise C4CHTTPError.from_response(response)
    token = body.get("access_token")
    if not isinstance(token, str) or str(body.get("token_type", "")).lower() != "bearer":
        raise C4CHTTPError(502, "C4C's token endpoint did not answer with a bearer token")
    try:
        lifetime = float(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600.0
    return token, max(lifetime, RENEW_BEFORE + 1)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class SamlBearerAuth(requests.auth.AuthBase):
    """Bearer tokens from :func:`request_token` on every request of a session.

    Args:
        grant: what the token requests need.
        timeout: the token request's limits.
    """

    def __init__(self, grant: SamlBearerGrant, timeout: float | tuple[float, float]) -> None:
        self.grant = grant
        self.timeout = timeout

    def token(self) -> str:
        found = TOKENS.get(self.grant)
        if found is None:
            found, lifetime = request_token(self.grant, self.timeout)
            TOKENS.put(self.grant, found, lifetime)
        return found

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.token()
        prepared.headers["Authorization"] = f"Bearer {token}"
        prepared.register_hook("response", self._renew_on_401(token))
        return prepared

    def _renew_on_401(self, token: str) -> Any:
        def renew(response: requests.Response, **kwargs: Any) -> requests.Response:
            if response.status_code != 401 or getattr(response.request, "_renewed", False):
                return response
            TOKENS.drop(self.grant, token)
            retry = response.request.copy()
            retry.headers["Authorization"] = f"Bearer {self.token()}"
            retry._renewed = True  # type: ignore[attr-defined]
            response.content  # noqa: B018 - read the answer so the connection can be reused
            response.close()
            again = response.connection.send(retry, **kwargs)
            again.history.append(response)
            again.request = retry
            return again

        return renew

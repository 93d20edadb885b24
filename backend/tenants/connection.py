"""Testing a tenant's SAP connection the way a sync will use it, and saying what happened in
plain words.

:func:`test_c4c` reads the service's ``$metadata`` and one entity of each entity set the
tenant syncs (and ``EmployeeCollection``, which matches users to their SAP employee): the
address, the integration user's password and each authorisation are checked separately, so a
key user reads "no authorisation for TasksCollection" rather than a status code. Nothing is
written to C4C.

The address is typed by a key user and the server fetches it, so in production it must be
``https`` on a public address: never the server's own network (loopback, private, link-local),
whatever the name resolves to.

What a step says is in the reader's language when a page asks (English on the command line);
a step's name is marked here and translated where shown.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import gettext
from lxml import etree

from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CConnectionError, C4CError, C4CHTTPError
from backend.crm.oauth import C4CTokenRefused, SamlBearerAuth
from backend.crm.transport import RetryPolicy
from backend.models import Tenant
from backend.settings import Settings
from backend.sync.mapping.registry import MAPPINGS
from backend.text import N_

EMPLOYEES = "EmployeeCollection"
ADDRESS, SIGN_IN = N_("Address"), N_("Sign-in")
"""The names of the first two steps (the others: the entity sets, and Exchange)."""
EDMX = "{http://schemas.microsoft.com/ado/2007/06/edmx}Edmx"


@dataclass(frozen=True)
class Step:
    """One thing the test tried: what, whether it worked, and in words."""

    name: str
    ok: bool
    words: str


@dataclass(frozen=True)
class ConnectionTest:
    steps: tuple[Step, ...]
    mail_steps: tuple[Step, ...] = ()
    """What the check of the mail server found (Exchange Server only)."""

    @property
    def sap_ok(self) -> bool:
        """Whether SAP answered every step (syncing may resume)."""
        return bool(self.steps) and all(step.ok for step in self.steps)

    @property
    def ok(self) -> bool:
        return self.sap_ok and all(step.ok for step in self.mail_steps)

    @property
    def all_steps(self) -> tuple[Step, ...]:
        return self.steps + self.mail_steps

    @property
    def refused_credentials(self) -> bool:
        """SAP refused the user name or password (not merely an authorisation)."""
        return any(step.name == SIGN_IN and not step.ok for step in self.steps)


def address_problem(url: str, settings: Settings, service: str = "OData service") -> str:
    """Why ``url`` cannot be the address of ``service`` (C4C's, or an Exchange server's
    ``EWS``); empty when it can."""
    parts, ews = urlsplit(url.strip()), service == EWS
    if parts.scheme not in ("http", "https") or not parts.hostname:
        if ews:
            return gettext("Enter the address of the Exchange Web Services, starting with https://")
        return gettext("Enter the address of the OData service, starting with https://")
    if parts.username or parts.password:
        return gettext("Leave the user name and password out of the address; enter them below.")
    if settings.environment != "production":
        return ""
    if parts.scheme != "https":
        return gettext(
            "The address must start with https://: the password travels with each request."
        )
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except (OSError, UnicodeError):
        return gettext("%(host)s cannot be found (check the address).", host=parts.hostname)
    for address in addresses:
        if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
            if ews:
                return gettext("%(host)s is not a public address; the Exchange Web Services "
                               "must be one.", host=parts.hostname)  # fmt: skip
            return gettext("%(host)s is not a public address; the OData service must be one.",
                           host=parts.hostname)  # fmt: skip
    return ""


def entity_sets(tenant: Tenant) -> list[str]:
    """What the tenant's syncs read: the entity set of each enabled item type, and employees."""
    enabled = [t for t, setting in tenant.config.item_types.items() if setting.enabled]
    return [*(MAPPINGS[item_type].entity_set for item_type in MAPPINGS if item_type in enabled),
            EMPLOYEES]  # fmt: skip


def test_c4c(
    tenant: Tenant,
    settings: Settings,
    *,
    url: str,
    user: str | None,
    password: str | None = None,
    auth: SamlBearerAuth | None = None,
) -> ConnectionTest:
    """Try the connection with these values (typed, or as stored): the integration user's
    ``password``, or OAuth tokens (``auth``)."""
    problem = address_problem(url, settings)
    if problem:
        return ConnectionTest((Step(ADDRESS, False, problem),))
    credentials: dict[str, Any] = (
        {"auth": auth} if auth is not None else {"user": user or "", "password": password or ""}
    )
    client = C4CClient(
        url.strip(), **credentials,
        timeout=(settings.connect_timeout_seconds, settings.dialog_timeout_seconds),
        retry=RetryPolicy(attempts=1),
    )  # fmt: skip
    host = urlsplit(url).hostname
    try:
        offered = _entity_sets_of(client.metadata_xml())
    except C4CTokenRefused as error:
        words = token_refused_words(error, auth)
        return ConnectionTest((Step(ADDRESS, True, gettext("%(host)s answers.", host=host)),
                               Step(SIGN_IN, False, words)))  # fmt: skip
    except C4CHTTPError as error:
        if error.status == 401:
            words = gettext("SAP refused the user name or password of the integration user.")
            return ConnectionTest((Step(ADDRESS, True, gettext("%(host)s answers.", host=host)),
                                   Step(SIGN_IN, False, words)))  # fmt: skip
        return ConnectionTest((Step(ADDRESS, False, _not_odata(host, error.status)),))
    except C4CConnectionError as error:
        words = _unreached(host, error)
        return ConnectionTest((Step(ADDRESS, False, words),))
    except (C4CError, ValueError, etree.XMLSyntaxError):
        return ConnectionTest((Step(ADDRESS, False, _not_odata(host)),))
    signed_in = (
        gettext("SAP accepted the integration user %(user)s.", user=user) if user
        else gettext("SAP accepted the credentials.")
    )  # fmt: skip
    steps = [
        Step(ADDRESS, True, gettext("%(host)s offers the C4C OData service.", host=host)),
        Step(SIGN_IN, True, signed_in),
    ]
    steps.extend(_read_one(client, name, offered) for name in entity_sets(tenant))
    return ConnectionTest(tuple(steps))


def token_refused_words(error: C4CTokenRefused, auth: SamlBearerAuth | None) -> str:
    """What a key user does when C4C's OAuth server refuses a token, in plain words."""
    said = error.description[:200] if error.description else ""
    if auth is None:
        if said:
            return gettext("SAP's OAuth server refused the token request (SAP says: %(said)s).",
                           said=said)  # fmt: skip
        return gettext("SAP's OAuth server refused the token request.")
    grant = auth.grant
    if error.error == "invalid_client":
        return gettext(
            "SAP does not know the OAuth client %(client)s, or its secret is wrong: compare them "
            "with Administrator, OAuth 2.0 Client Registration in SAP.", client=grant.client_id,
        )  # fmt: skip
    if error.error == "invalid_grant":
        refused = (
            gettext("SAP did not accept our signed assertion (SAP says: %(said)s).", said=said)
            if said else gettext("SAP did not accept our signed assertion.")
        )  # fmt: skip
        needed = gettext(
            "In SAP, the OAuth 2.0 identity provider %(issuer)s must hold the certificate below, "
            "the client %(client)s must trust that issuer, SAP's service provider name must be "
            "%(audience)s, and the user %(user)s must exist.", issuer=grant.issuer,
            client=grant.client_id, audience=grant.audience, user=grant.user,
        )  # fmt: skip
        return f"{refused} {needed}"
    if error.error == "invalid_scope":
        return gettext("The OAuth client may not ask for the scope %(scope)s: add it to the "
                       "client.", scope=grant.scope)  # fmt: skip
    if said:
        return gettext("SAP's OAuth server refused the token request: %(error)s (SAP says: "
                       "%(said)s).", error=error.error, said=said)  # fmt: skip
    return gettext("SAP's OAuth server refused the token request: %(error)s.", error=error.error)


EWS = "Exchange Web Services"
SCHEME = re.compile(r"^\s*([A-Za-z][\w.-]*)(?!\s*=)(?:\s|$)")
"""A challenge's scheme at the start of a part (not a parameter such as ``realm=``)."""
SIGN_IN_NAMES = {"BASIC": "Basic", "NTLM": "Windows (NTLM)"}


def test_exchange(url: str, sign_in: str, settings: Settings) -> Step:
    """Ask the Exchange server, without credentials, how it lets mailboxes sign in, and say
    whether ``sign_in`` is one of them. Nothing is signed in to."""
    problem = address_problem(url, settings, EWS)
    if problem:
        return Step("Exchange", False, problem)
    host = urlsplit(url).hostname
    try:
        answer = requests.post(
            url.strip(), data=b"", headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=settings.timeouts.pair, allow_redirects=False,
        )  # fmt: skip
    except requests.RequestException as error:
        return Step("Exchange", False, _unreached(host, error))
    offered = _schemes(answer.raw.headers.getlist("WWW-Authenticate"))
    if answer.status_code != 401 or not offered:
        words = gettext("%(host)s does not answer as Exchange Web Services do at this address (it "
                        "ends with /EWS/Exchange.asmx).", host=host)  # fmt: skip
        return Step("Exchange", False, words)
    names = ", ".join(SIGN_IN_NAMES.get(scheme, scheme.title()) for scheme in offered)
    chosen = SIGN_IN_NAMES[sign_in]
    if sign_in not in offered:
        words = gettext("%(host)s does not accept %(chosen)s sign-in; it offers: %(names)s. "
                        "Choose one.", host=host, chosen=chosen, names=names)  # fmt: skip
        return Step("Exchange", False, words)
    return Step("Exchange", True, gettext("%(host)s accepts %(chosen)s sign-in (it offers: "
                                          "%(names)s).", host=host, chosen=chosen,
                                          names=names))  # fmt: skip


def _schemes(challenges: list[str]) -> list[str]:
    """The authentication schemes of ``WWW-Authenticate`` headers, upper case, in order."""
    found: list[str] = []
    for challenge in challenges:
        for part in challenge.split(","):
            scheme = SCHEME.match(part)
            if scheme and scheme.group(1).upper() not in found:
                found.append(scheme.group(1).upper())
    return found


def _entity_sets_of(document: bytes) -> set[str]:
    root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False))
    if root.tag != EDMX:
        raise ValueError("not an EDMX document")
    return {element.get("Name") for element in root.iter("{*}EntitySet")}


def _read_one(client: C4CClient, name: str, offered: set[str]) -> Step:
    if name not in offered:
        return Step(name, False, gettext("The service offers no %(name)s: is this the "
                                         "c4codataapi service?", name=name))  # fmt: skip
    try:
        next(iter(client.read(name, top=1)), None)
    except C4CHTTPError as error:
        if error.status == 403:
            return Step(name, False, gettext("The integration user has no authorisation for "
                                             "%(name)s: give it the work centre in SAP.",
                                             name=name))  # fmt: skip
        return Step(name, False, gettext("%(name)s could not be read: SAP answered %(status)s "
                                         "(%(message)s).", name=name, status=error.status,
                                         message=error.message[:200]))  # fmt: skip
    except C4CConnectionError as error:
        return Step(name, False, gettext("%(name)s could not be read (%(reason)s).", name=name,
                                         reason=_reason(error)))  # fmt: skip
    except (C4CError, ValueError, KeyError):
        return Step(name, False, gettext("%(name)s did not answer as C4C does.", name=name))
    return Step(name, True, gettext("Can be read."))


def _not_odata(host: str | None, status: int | None = None) -> str:
    if status:
        return gettext("%(host)s does not offer a C4C OData service at this address (it answered "
                       "%(status)s). The address ends with /sap/c4c/odata/v1/c4codataapi/.",
                       host=host, status=status)  # fmt: skip
    return gettext("%(host)s does not offer a C4C OData service at this address. The address "
                   "ends with /sap/c4c/odata/v1/c4codataapi/.", host=host)  # fmt: skip


def _unreached(host: str | None, error: Exception) -> str:
    return gettext("%(host)s could not be reached (%(reason)s).", host=host,
                   reason=_reason(error))  # fmt: skip


def _reason(error: Exception) -> str:
    """Why a connection failed, in words (a C4C client's or a plain request's error)."""
    text = str(error).lower()
    if "timed out" in text or "timeout" in text:
        return gettext("it did not answer in time")
    if "refused" in text:
        return gettext("the connection was refused")
    if "name or service not known" in text or "nodename" in text or "resolve" in text:
        return gettext("the name cannot be found")
    return gettext("no connection")

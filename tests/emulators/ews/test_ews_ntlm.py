"""Windows sign-in (NTLM) on the emulated Exchange, as IIS does it: a handshake bound to one
connection, NTLMv2 only, the password proven and never sent, the connection authenticated
afterwards; exchangelib's NTLM (requests-ntlm) signs in with ``DOMAIN\\name`` or the address."""

from __future__ import annotations

import base64
import struct

import pytest
import requests
import spnego
from exchangelib.errors import UnauthorizedError

from backend.mailbox.ews.credentials import BasicAuth, NtlmAuth
from emulators.ews import EwsEmulator
from emulators.ews.ntlm import nt_hash
from tests.fixtures.ews import ADDRESS, PASSWORD

SOAP = {"Content-Type": "text/xml; charset=utf-8"}


@pytest.fixture
def windows_only(ews: EwsEmulator, mailbox) -> EwsEmulator:
    """Exchange with Basic turned off: Windows sign-in (and OAuth) only."""
    ews.store.auth_methods = {"ntlm", "bearer"}
    return ews


def handshake(ews: EwsEmulator, session: requests.Session, user: str, password: str):
    """NEGOTIATE and CHALLENGE on ``session``'s connection; the client context for the rest."""
    client = spnego.client(user, password, protocol="ntlm")
    negotiate = client.step()
    answer = session.post(ews.endpoint, headers={
        **SOAP, "Authorization": "NTLM " + base64.b64encode(negotiate).decode()})  # fmt: skip
    assert answer.status_code == 401
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith("NTLM ") and answer.headers.get("Connection") is None
    return client, base64.b64decode(challenge[5:])


def test_exchangelib_signs_in_with_the_domain_name_or_the_address(
    windows_only: EwsEmulator, make_provider
) -> None:
    for user in ("EXAMPLE\\anna", ADDRESS, "example\\ANNA"):
        make_provider(NtlmAuth(user, PASSWORD)).activate()
    with pytest.raises(UnauthorizedError):
        make_provider(NtlmAuth("EXAMPLE\\anna", "wrong")).activate()
    with pytest.raises(UnauthorizedError):
        make_provider(BasicAuth(ADDRESS, PASSWORD)).activate()
    statuses = [e.status for e in windows_only.log.entries("POST")]
    assert statuses.count(200) > statuses.count(401), "authenticated connections are reused"


def test_the_401_lists_what_the_server_accepts(ews: EwsEmulator, mailbox) -> None:
    offered = requests.post(ews.endpoint, headers=SOAP, timeout=5).raw.headers
    assert offered.getlist("WWW-Authenticate") == ["NTLM", 'Basic realm="emulator"', "Bearer"]
    ews.store.auth_methods = {"ntlm"}
    offered = requests.post(ews.endpoint, headers=SOAP, timeout=5).raw.headers
    assert offered.getlist("WWW-Authenticate") == ["NTLM"]


def test_the_handshake_is_bound_to_its_connection(windows_only: EwsEmulator) -> None:
    first, second = requests.Session(), requests.Session()
    client, challenge = handshake(windows_only, first, "EXAMPLE\\anna", PASSWORD)
    authenticate = client.step(challenge)
    elsewhere = second.post(windows_only.endpoint, headers={
        **SOAP, "Authorization": "NTLM " + base64.b64encode(authenticate).decode()})  # fmt: skip
    assert elsewhere.status_code == 401, "another connection has no handshake in progress"
    assert second.post(windows_only.endpoint, headers=SOAP).status_code == 401


def test_a_connection_stays_signed_in_until_it_closes(windows_only: EwsEmulator) -> None:
    session = requests.Session()
    client, challenge = handshake(windows_only, session, "EXAMPLE\\anna", PASSWORD)
    body = b"<not-soap/>"
    authenticate = base64.b64encode(client.step(challenge)).decode()
    done = session.post(windows_only.endpoint, data=body,
                        headers={**SOAP, "Authorization": "NTLM " + authenticate})  # fmt: skip
    assert done.status_code == 500, "signed in: the (bad) request itself is answered"
    again = session.post(windows_only.endpoint, data=body, headers=SOAP)
    assert again.status_code == 500, "the connection is still signed in"
    session.close()
    fresh = requests.post(windows_only.endpoint, data=body, headers=SOAP, timeout=5)
    assert fresh.status_code == 401


def authenticate_message(nt_response: bytes, user: str, domain: str) -> bytes:
    """An AUTHENTICATE message with the given NT response (for answers a client should not give)."""
    payload = [b"", nt_response, domain.encode("utf-16-le"), user.encode("utf-16-le"), b"", b""]
    offset, fields, data = 72, b"", b""
    for part in payload:
        fields += struct.pack("<HHI", len(part), len(part), offset + len(data))
        data += part
    return b"NTLMSSP\x00" + struct.pack("<I", 3) + fields + struct.pack("<I", 0x1) + data


@pytest.mark.parametrize(
    ("nt_response", "user"),
    [
        (b"\x11" * 24, "anna"),  # NTLMv1: refused when the server requires NTLMv2
        (b"\x11" * 48, ""),  # anonymous
        (b"\x11" * 16 + b"\x01\x01" + b"\x00" * 30, "anna"),  # a wrong proof
        (b"\x11" * 48, "nobody"),
    ],
    ids=["ntlmv1", "anonymous", "wrong-proof", "unknown-user"],
)
def test_what_a_server_requiring_ntlmv2_refuses(
    windows_only: EwsEmulator, nt_response: bytes, user: str
) -> None:
    session = requests.Session()
    handshake(windows_only, session, "EXAMPLE\\anna", PASSWORD)
    message = authenticate_message(nt_response, user, "EXAMPLE")
    answer = session.post(windows_only.endpoint, headers={
        **SOAP, "Authorization": "NTLM " + base64.b64encode(message).decode()})  # fmt: skip
    assert answer.status_code == 401
    assert answer.raw.headers.getlist("WWW-Authenticate") == ["NTLM", "Bearer"]


@pytest.mark.parametrize(
    "header",
    [
        "NTLM !!!",
        "NTLM " + base64.b64encode(b"NTLMSSP\x00").decode(),
        "NTLM " + base64.b64encode(b"not ntlm at all").decode(),
    ],
)
def test_malformed_messages_get_a_plain_401(windows_only: EwsEmulator, header: str) -> None:
    answer = requests.post(windows_only.endpoint, headers={**SOAP, "Authorization": header},
                           timeout=5)  # fmt: skip
    assert answer.status_code == 401


def test_the_password_hash_is_md4_of_utf16() -> None:
    # MS-NLMP 4.2.2.1.2: NTOWFv1("Password") = a4f49c406510bdcab6824ee7c30fd852
    assert nt_hash("Password").hex() == "a4f49c406510bdcab6824ee7c30fd852"

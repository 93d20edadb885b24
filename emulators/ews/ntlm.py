"""NTLM over HTTP as IIS in front of Exchange speaks it (MS-NLMP, NTLMv2 only).

The handshake is bound to one connection: the client sends a NEGOTIATE message
(``Authorization: NTLM <base64>``), the server answers 401 with a CHALLENGE (a random server
challenge and the target's names and time), and the client answers on the same connection with an
AUTHENTICATE message whose NTLMv2 response proves it knows the password:
``HMAC-MD5(NTOWFv2, server challenge + client blob)`` with
``NTOWFv2 = HMAC-MD5(MD4(UTF-16LE(password)), UTF-16LE(upper(user) + domain))``.
Once authenticated, the connection stays authenticated (IIS's default), so later requests on it
need no ``Authorization`` header. NTLMv1 and LM answers are refused, as a server that requires
NTLMv2 (``LmCompatibilityLevel`` 5) does; so are anonymous logons.

A user is named as ``DOMAIN\\name`` (the NetBIOS domain of the mailbox's address, e.g.
``CONTOSO`` for ``contoso.test``) or by user principal name (the address, with no domain).
"""

from __future__ import annotations

import hmac
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

SIGNATURE = b"NTLMSSP\x00"
NEGOTIATE, CHALLENGE, AUTHENTICATE = 1, 2, 3
UNICODE = 0x00000001
REQUEST_TARGET = 0x00000004
NTLM = 0x00000200
ALWAYS_SIGN = 0x00008000
TARGET_TYPE_DOMAIN = 0x00010000
EXTENDED_SESSION_SECURITY = 0x00080000
TARGET_INFO = 0x00800000
VERSION = 0x02000000
OFFERED = (
    UNICODE | REQUEST_TARGET | NTLM | ALWAYS_SIGN | EXTENDED_SESSION_SECURITY | VERSION
    | 0x00000010 | 0x00000020 | 0x20000000 | 0x40000000 | 0x80000000
)  # fmt: skip
"""What the server agrees to of what a client asks (signing, sealing, 128-bit, key exchange,
56-bit included, as Windows does)."""
HANDSHAKE_SECONDS = 60.0
WINDOWS_EPOCH = 11644473600
"""Seconds from 1601-01-01 (FILETIME's start) to 1970-01-01."""


class NtlmError(ValueError):
    """A message that is not NTLM, or one the server refuses."""


def _md4(data: bytes) -> bytes:
    """MD4 (RFC 1320), which NTLM's password hash needs and OpenSSL 3 no longer offers."""

    def rotate(value: int, bits: int) -> int:
        value &= 0xFFFFFFFF
        return ((value << bits) | (value >> (32 - bits))) & 0xFFFFFFFF

    length = len(data) * 8
    data += b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", length)
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
    for offset in range(0, len(data), 64):
        x = struct.unpack("<16I", data[offset : offset + 64])
        a, b, c, d = h
        for i in range(16):
            k, s = i, (3, 7, 11, 19)[i % 4]
            a, b, c, d = d, rotate(a + ((b & c) | (~b & d)) + x[k], s), b, c
        for i in range(16):
            k, s = (i % 4) * 4 + i // 4, (3, 5, 9, 13)[i % 4]
            a, b, c, d = d, rotate(a + ((b & c) | (b & d) | (c & d)) + x[k] + 0x5A827999, s), b, c
        for i in range(16):
            k = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)[i]
            s = (3, 9, 11, 15)[i % 4]
            a, b, c, d = d, rotate(a + (b ^ c ^ d) + x[k] + 0x6ED9EBA1, s), b, c
        h = [(value + new) & 0xFFFFFFFF for value, new in zip(h, (a, b, c, d), strict=True)]
    return struct.pack("<4I", *h)


def nt_hash(password: str) -> bytes:
    return _md4(password.encode("utf-16-le"))


def _hmac_md5(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, "md5").digest()


def netbios_domain(domain: str) -> str:
    """The NetBIOS name of a DNS domain (``CONTOSO`` for ``contoso.test``)."""
    return domain.split(".", 1)[0].upper()[:15]


@dataclass
class _Pending:
    challenge: bytes
    started: float


class NtlmAcceptor:
    """The server side of NTLM for one HTTP server: handshakes in flight and authenticated
    connections, each keyed by the client's address and port.

    Args:
        account_of: the mailbox address and password of a Windows user name and domain, as
            the client sent them (``None`` for an unknown user).
        computer: the server's NetBIOS name.
    """

    def __init__(
        self,
        account_of: Callable[[str, str], tuple[str, str] | None],
        computer: str = "EXCH01",
    ) -> None:
        self.account_of = account_of
        self.computer = computer
        self._pending: dict[tuple[str, int], _Pending] = {}
        self._authenticated: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def user_of_connection(self, connection: tuple[str, int]) -> str | None:
        with self._lock:
            return self._authenticated.get(connection)

    def forget(self, connection: tuple[str, int]) -> None:
        """The connection closed (or a new one reuses its port)."""
        with self._lock:
            self._pending.pop(connection, None)
            self._authenticated.pop(connection, None)

    def step(self, token: bytes, connection: tuple[str, int], domain: str) -> bytes | str:
        """One client message: a CHALLENGE to send back, or the authenticated mailbox address.

        Args:
            token: the decoded NTLM message.
            connection: the client's (address, port).
            domain: the DNS domain the server answers for (its NetBIOS name is derived).

        Raises:
            NtlmError: not NTLM, out of order, or wrong credentials.
        """
        if token[:8] != SIGNATURE or len(token) < 12:
            raise NtlmError("not an NTLM message")
        kind = struct.unpack_from("<I", token, 8)[0]
        if kind == NEGOTIATE:
            return self._challenge(token, connection, domain)
        if kind == AUTHENTICATE:
            return self._authenticate(token, connection)
        raise NtlmError("unexpected NTLM message")

    def _challenge(self, token: bytes, connection: tuple[str, int], domain: str) -> bytes:
        if len(token) < 16:
            raise NtlmError("short NEGOTIATE message")
        asked = struct.unpack_from("<I", token, 12)[0]
        if not asked & UNICODE:
            raise NtlmError("the client must speak Unicode")
        challenge = secrets.token_bytes(8)
        with self._lock:
            self._authenticated.pop(connection, None)
            self._pending[connection] = _Pending(challenge, time.monotonic())
        flags = (asked & OFFERED) | TARGET_INFO | TARGET_TYPE_DOMAIN | NTLM | UNICODE
        target = netbios_domain(domain).encode("utf-16-le")
        filetime = int((time.time() + WINDOWS_EPOCH) * 10_000_000)
        info = b"".join(
            _av(kind, value)
            for kind, value in (
                (2, target),
                (1, self.computer.encode("utf-16-le")),
                (4, domain.encode("utf-16-le")),
                (3, f"{self.computer.lower()}.{domain}".encode("utf-16-le")),
                (7, struct.pack("<Q", filetime)),
                (0, b""),
            )
        )
        header = 56
        return (
            SIGNATURE
            + struct.pack("<I", CHALLENGE)
            + struct.pack("<HHI", len(target), len(target), header)
            + struct.pack("<I", flags)
            + challenge
            + b"\x00" * 8
            + struct.pack("<HHI", len(info), len(info), header + len(target))
            + bytes((10, 0)) + struct.pack("<H", 20348) + b"\x00\x00\x00\x0f"
            + target
            + info
        )  # fmt: skip

    def _authenticate(self, token: bytes, connection: tuple[str, int]) -> str:
        with self._lock:
            pending = self._pending.pop(connection, None)
        if pending is None or time.monotonic() - pending.started > HANDSHAKE_SECONDS:
            raise NtlmError("no handshake in progress on this connection")
        if len(token) < 64:
            raise NtlmError("short AUTHENTICATE message")
        flags = struct.unpack_from("<I", token, 60)[0]
        if not flags & UNICODE:
            raise NtlmError("the client must speak Unicode")
        nt_response = _field(token, 20)
        domain = _field(token, 28).decode("utf-16-le", "replace")
        user = _field(token, 36).decode("utf-16-le", "replace")
        if not user:
            raise NtlmError("anonymous logons are refused")
        if len(nt_response) <= 24:
            raise NtlmError("NTLMv1 is refused: the server requires NTLMv2")
        account = self.account_of(user, domain)
        if account is None or not account[1]:
            raise NtlmError("unknown user")
        address, password = account
        proof, blob = nt_response[:16], nt_response[16:]
        if blob[:2] != b"\x01\x01":
            raise NtlmError("not an NTLMv2 response")
        key = _hmac_md5(nt_hash(password), (user.upper() + domain).encode("utf-16-le"))
        if not hmac.compare_digest(proof, _hmac_md5(key, pending.challenge + blob)):
            raise NtlmError("wrong password")
        with self._lock:
            self._authenticated[connection] = address
        return address


def _av(kind: int, value: bytes) -> bytes:
    return struct.pack("<HH", kind, len(value)) + value


def _field(token: bytes, at: int) -> bytes:
    length, _, offset = struct.unpack_from("<HHI", token, at)
    if offset + length > len(token):
        raise NtlmError("a field lies outside the message")
    return token[offset : offset + length]

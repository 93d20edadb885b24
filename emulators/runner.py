"""What the standalone runners of the token-based API emulators (Google, Graph) share: mailboxes
opened by ``--token ACCESS_TOKEN:ADDRESS``, ``--seed demo|contoso``, and trusting the identity
emulator's tokens (``--trust-introspection URL --trust-client ID:SECRET``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from emulators.oauth_trust import TrustedIssuer


def pair(entry: str) -> tuple[str, str]:
    """``FIRST:SECOND`` as two non-empty strings (an argparse type)."""
    first, _, second = entry.partition(":")
    if not first or not second:
        raise argparse.ArgumentTypeError(f"expected two values joined by ':', got {entry!r}")
    return first, second


def token_pair(entry: str) -> tuple[str, str]:
    """``ACCESS_TOKEN:ADDRESS`` (an argparse type)."""
    token, address = pair(entry)
    if "@" not in address:
        raise argparse.ArgumentTypeError(f"expected ACCESS_TOKEN:ADDRESS, got {entry!r}")
    return token, address


def add_mailbox_arguments(parser: argparse.ArgumentParser) -> None:
    """``--token`` (repeatable), ``--seed`` and the two trust options."""
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        type=token_pair,
        metavar="ACCESS_TOKEN:ADDRESS",
        help="add a mailbox reachable with this bearer token (repeatable)",
    )
    parser.add_argument(
        "--seed",
        choices=["demo", "contoso"],
        help="demo: add a demo mailbox with sample items; contoso: fill every --token mailbox",
    )
    parser.add_argument(
        "--trust-introspection",
        metavar="URL",
        help="also accept the tokens this RFC 7662 endpoint says are active",
    )
    parser.add_argument(
        "--trust-client",
        metavar="ID:SECRET",
        help="the client credentials to ask the introspection endpoint with",
    )


def trusted_issuer(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> TrustedIssuer | None:
    """The issuer the trust arguments name, None without them (an error if only one is given)."""
    if bool(args.trust_introspection) != bool(args.trust_client):
        parser.error("--trust-introspection and --trust-client go together")
    if not args.trust_client:
        return None
    client_id, _, secret = args.trust_client.partition(":")
    return TrustedIssuer(args.trust_introspection, client_id, secret)


def open_mailboxes(
    args: argparse.Namespace,
    store: Any,
    add_mailbox: Callable[[str, str], object],
    seed_contoso: Callable[[Any, str, str], object],
    seed_demo: Callable[[Any], object],
) -> None:
    """Each ``--token`` mailbox, filled with the Contoso scenario when ``--seed contoso``; the
    demo mailbox when ``--seed demo``."""
    for token, address in args.token:
        if args.seed == "contoso":
            seed_contoso(store, address, token)
        else:
            add_mailbox(address, token)
    if args.seed == "demo":
        seed_demo(store)

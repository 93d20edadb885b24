"""Run the Graph emulator standalone: ``python -m emulators.graph --port 8105``.

``--token ACCESS_TOKEN:ADDRESS`` adds a mailbox reachable with that delegated bearer token
(repeat it for more). ``--app CLIENT_ID:SECRET`` registers an app that may get app-only tokens
at ``/contoso/oauth2/v2.0/token``. ``--seed contoso`` fills each ``--token`` mailbox with the
Contoso demo's items; ``--seed demo`` adds ``demo@example.com`` (token ``graph.demo``).
``--trust-introspection URL`` with ``--trust-client ID:SECRET`` makes the API accept the access
tokens of another OAuth server too (the identity emulator's Microsoft realm, e.g.
``http://127.0.0.1:8104/microsoft/v2.0/introspect``), asking it about each one.
"""

from __future__ import annotations

import argparse

from emulators.graph import GraphEmulator
from emulators.graph.seed import seed_contoso, seed_demo
from emulators.oauth_trust import add_trust_arguments, trusted_issuer

REPEATABLE = (
    ("--token", "ACCESS_TOKEN:ADDRESS", "add a mailbox reachable with this bearer token"),
    ("--app", "CLIENT_ID:SECRET", "register an app that may use client credentials"),
)


def pair(entry: str) -> tuple[str, str]:
    """``FIRST:SECOND`` as two non-empty strings."""
    first, _, second = entry.partition(":")
    if not first or not second:
        raise argparse.ArgumentTypeError(f"expected two values joined by ':', got {entry!r}")
    return first, second


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, create the mailboxes and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m emulators.graph", description=__doc__)
    parser.add_argument("--port", type=int, default=8105)
    for flag, shape, text in REPEATABLE:
        parser.add_argument(flag, action="append", default=[], type=pair, metavar=shape,
                            help=f"{text} (repeatable)")  # fmt: skip
    parser.add_argument(
        "--seed",
        choices=["demo", "contoso"],
        help="demo: add a demo mailbox; contoso: fill every --token mailbox",
    )
    add_trust_arguments(parser)
    args = parser.parse_args(argv)
    emulator = GraphEmulator()
    emulator.store.trusted = trusted_issuer(parser, args)
    for client_id, secret in args.app:
        emulator.store.add_app(client_id, secret)
    for token, address in args.token:
        if args.seed == "contoso":
            seed_contoso(emulator.store, address, token)
        else:
            emulator.add_mailbox(address, token)
    if args.seed == "demo":
        seed_demo(emulator.store)
    print(f"Graph emulator on http://127.0.0.1:{args.port}/v1.0/", flush=True)
    emulator.serve_forever(args.port)


if __name__ == "__main__":
    main()

"""Run the Graph emulator standalone: ``python -m emulators.graph --port 8105``.

``--token ACCESS_TOKEN:ADDRESS`` adds a mailbox reachable with that delegated bearer token
(repeat it for more). ``--app CLIENT_ID:SECRET`` registers an app that may get app-only tokens
at ``/<tenant>/oauth2/v2.0/token``, the tenant being ``--app-tenant`` (``contoso`` unless given:
a directory's id, as its administrator's consent names it). ``--seed contoso`` fills each
``--token`` mailbox with the Contoso demo's items; ``--seed demo`` adds ``demo@example.com``
(token ``graph.demo``).
``--trust-introspection URL`` with ``--trust-client ID:SECRET`` makes the API accept the access
tokens of another OAuth server too (the identity emulator's Microsoft realm, e.g.
``http://127.0.0.1:8104/microsoft/v2.0/introspect``), asking it about each one.
``--user ADDRESS:PASSWORD`` lets that mailbox sign in to the emulated Outlook on the web at
``/owa/``, which opens the add-in task pane at ``--addin-url`` beside messages and meetings.
"""

from __future__ import annotations

import argparse

from emulators.graph import GraphEmulator
from emulators.graph.seed import seed_contoso, seed_demo
from emulators.runner import add_mailbox_arguments, open_mailboxes, pair, trusted_issuer


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, create the mailboxes and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m emulators.graph", description=__doc__)
    parser.add_argument("--port", type=int, default=8105)
    parser.add_argument(
        "--app",
        action="append",
        default=[],
        type=pair,
        metavar="CLIENT_ID:SECRET",
        help="register an app that may use client credentials (repeatable)",
    )
    parser.add_argument(
        "--app-tenant", default="contoso", metavar="TENANT",
        help="the directory whose administrator consented to the --app apps",
    )  # fmt: skip
    add_mailbox_arguments(parser)
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        type=pair,
        metavar="ADDRESS:PASSWORD",
        help="a mailbox's password for the emulated Outlook on the web at /owa/ (repeatable)",
    )
    parser.add_argument("--addin-url", help="the task pane /owa/ opens beside an item")
    args = parser.parse_args(argv)
    emulator = GraphEmulator(addin_url=args.addin_url)
    emulator.store.trusted = trusted_issuer(parser, args)
    for client_id, secret in args.app:
        emulator.store.add_app(client_id, secret, args.app_tenant)
    open_mailboxes(args, emulator.store, emulator.add_mailbox, seed_contoso, seed_demo)
    for address, password in args.user:
        emulator.store.web_passwords[address.lower()] = password
    print(f"Graph emulator on http://127.0.0.1:{args.port}/v1.0/", flush=True)
    print(f"Outlook on the web (emulated) on http://127.0.0.1:{args.port}/owa/", flush=True)
    emulator.serve_forever(args.port)


if __name__ == "__main__":
    main()

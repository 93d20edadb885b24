"""Run the Google emulator standalone: ``python -m emulators.google --port 8103``.

``--token ACCESS_TOKEN:ADDRESS`` adds a Gmail mailbox reachable with that bearer token (repeat
it for more mailboxes or more tokens of one mailbox). ``--seed contoso`` fills each of them with
the Contoso demo's items; ``--seed demo`` adds ``demo@example.com`` (token ``ya29.demo``).
``--trust-introspection URL`` with ``--trust-client ID:SECRET`` makes the APIs accept the access
tokens of another OAuth server too (the identity emulator's Google realm, where people consent),
asking its RFC 7662 introspection endpoint about each one. ``--addon-url BASE_URL`` serves a
small Gmail at ``/mail/`` whose side panel shows the Gmail add-on of the server at that address.
"""

from __future__ import annotations

import argparse

from emulators.google import GoogleEmulator
from emulators.google.preview import AddonDeployment, install
from emulators.google.seed import seed_contoso, seed_demo
from emulators.runner import add_mailbox_arguments, open_mailboxes, trusted_issuer

ADDON_ACCOUNT = "service-123456789012@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
ADDON_CLIENT = "ssi-sync-gmail-addon.apps.googleusercontent.com"
"""Whom the preview's ID tokens name by default: the demo's add-on service account and client."""


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, create the mailboxes and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m emulators.google", description=__doc__)
    parser.add_argument("--port", type=int, default=8103)
    add_mailbox_arguments(parser)
    parser.add_argument(
        "--addon-url",
        metavar="BASE_URL",
        help="the Gmail add-on's server: the mail client preview at /mail/ shows its cards",
    )
    parser.add_argument("--addon-service-account", default=ADDON_ACCOUNT)
    parser.add_argument("--addon-client-id", default=ADDON_CLIENT)
    args = parser.parse_args(argv)
    emulator = GoogleEmulator()
    emulator.store.trusted = trusted_issuer(parser, args)
    open_mailboxes(args, emulator.store, emulator.add_mailbox, seed_contoso, seed_demo)
    if args.addon_url:
        base = args.addon_url.rstrip("/")
        deployment = AddonDeployment(f"{base}/gmail-addon/home", f"{base}/gmail-addon/message",
                                     args.addon_service_account, args.addon_client_id)  # fmt: skip
        install(emulator.app, emulator.store, deployment)
        print(f"mail client preview on http://127.0.0.1:{args.port}/mail/", flush=True)
    print(f"Google emulator on http://127.0.0.1:{args.port}/gmail/v1/", flush=True)
    emulator.serve_forever(args.port)


if __name__ == "__main__":
    main()

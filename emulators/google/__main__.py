"""Run the Google emulator standalone: ``python -m emulators.google --port 8103``.

``--token ACCESS_TOKEN:ADDRESS`` adds a Gmail mailbox reachable with that bearer token (repeat
it for more mailboxes or more tokens of one mailbox).
"""

from __future__ import annotations

import argparse

from emulators.google import GoogleEmulator


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, create the mailboxes and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m emulators.google", description=__doc__)
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="ACCESS_TOKEN:ADDRESS",
        help="add a mailbox reachable with this bearer token (repeatable)",
    )
    args = parser.parse_args(argv)
    emulator = GoogleEmulator()
    for entry in args.token:
        token, _, address = entry.partition(":")
        if not token or "@" not in address:
            parser.error(f"--token expects ACCESS_TOKEN:ADDRESS, got {entry!r}")
        emulator.add_mailbox(address, token)
    print(f"Google emulator on http://127.0.0.1:{args.port}/gmail/v1/", flush=True)
    emulator.serve_forever(args.port)


if __name__ == "__main__":
    main()

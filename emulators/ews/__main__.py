"""Run the EWS emulator standalone: ``python -m emulators.ews --port 8102 --user a@b.c:secret``."""

from __future__ import annotations

import argparse

from emulators.ews import EwsEmulator
from emulators.ews.seed import seed_contoso, seed_demo, seed_fabrikam


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, create the mailboxes and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m emulators.ews", description=__doc__)
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument(
        "--seed",
        choices=["demo", "contoso"],
        help="demo: add a demo mailbox with sample items; contoso: fill every --user mailbox",
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ADDRESS:PASSWORD",
        help="add a mailbox and its password (repeatable)",
    )
    parser.add_argument(
        "--disabled",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a --user mailbox whose account is disabled: every request answers "
        "ErrorAccountDisabled (repeatable)",
    )
    parser.add_argument(
        "--language",
        action="append",
        default=[],
        metavar="ADDRESS:TAG",
        help="the display language a --user chose in Outlook on the web, e.g. de-DE (repeatable)",
    )
    parser.add_argument(
        "--auth",
        default="basic,ntlm,bearer",
        help="what the server accepts, comma-separated: basic, ntlm, bearer (default: all)",
    )
    parser.add_argument(
        "--addin-url",
        help="the Outlook add-in's task pane URL: the mail client preview at /owa/ opens it",
    )
    args = parser.parse_args(argv)
    emulator = EwsEmulator(addin_url=args.addin_url)
    methods = {method.strip().lower() for method in args.auth.split(",") if method.strip()}
    if not methods or not methods <= {"basic", "ntlm", "bearer"}:
        parser.error(f"--auth expects basic, ntlm and/or bearer, got {args.auth!r}")
    emulator.store.auth_methods = methods
    languages = dict(
        (address.lower(), tag) for address, _, tag in (x.partition(":") for x in args.language)
    )
    for user in args.user:
        address, _, password = user.partition(":")
        if not address or not password:
            parser.error(f"--user expects ADDRESS:PASSWORD, got {user!r}")
        mailbox = emulator.store.add_mailbox(address, password)
        mailbox.disabled = address.lower() in {disabled.lower() for disabled in args.disabled}
        mailbox.language = languages.get(address.lower())
        if args.seed == "contoso":
            # The demo: Contoso's mailboxes, and those of Fabrikam, a company to onboard.
            (seed_fabrikam if address.endswith("@fabrikam.test") else seed_contoso)(mailbox)
    if args.seed == "demo":
        seed_demo(emulator.store)
    print(f"EWS emulator on http://127.0.0.1:{args.port}/EWS/Exchange.asmx", flush=True)
    print(f"mail client preview on http://127.0.0.1:{args.port}/owa/", flush=True)
    emulator.serve_forever(args.port)


if __name__ == "__main__":
    main()

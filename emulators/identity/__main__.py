"""Run the identity emulator standalone: ``python -m emulators.identity --port 8104``.

``--seed contoso`` adds the Contoso directory and people, and registers the demo client for
every callback of the product at each ``--app-url`` (default: ``http://127.0.0.1:8000`` and
``http://localhost:8000``).

``--client ID:SECRET:REDIRECT_URI`` registers a client in both realms (repeat it to give the
same client more redirect URIs); ``--user REALM:EMAIL:PASSWORD:NAME`` adds a user.
"""

from __future__ import annotations

import argparse
import contextlib
import re

from emulators.identity import create_emulator
from emulators.identity.app import DISCOVERY
from emulators.identity.provider import Provider
from emulators.identity.seed import DEMO_BASE_URLS, DEMO_CLIENT_ID, seed_contoso, seed_fabrikam

_CLIENT = re.compile(r"^([^:]+):(.*):(https?://.+)$")
"""``ID:SECRET:REDIRECT_URI``; the secret may contain colons, the id may not."""


def _register_clients(provider: Provider, entries: list[str]) -> None:
    clients: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        found = _CLIENT.match(entry)
        if found is None:
            raise ValueError(f"expected ID:SECRET:REDIRECT_URI, got {entry!r}")
        client_id, secret, redirect_uri = found.groups()
        clients.setdefault((client_id, secret), []).append(redirect_uri)
    for (client_id, secret), uris in clients.items():
        for realm in provider.realms:
            provider.register_client(realm, client_id, secret, uris)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until interrupted.

    Args:
        argv: arguments (defaults to ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(prog="python -m emulators.identity")
    parser.add_argument("--port", type=int, default=8104)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--public-url", help="base URL clients and browsers use (default: http://HOST:PORT)"
    )
    parser.add_argument("--seed", choices=["contoso", "none"], default="none")
    parser.add_argument(
        "--app-url", action="append", default=[], metavar="URL",
        help="where the product's web server is reached, for --seed contoso (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--client", action="append", default=[], metavar="ID:SECRET:REDIRECT_URI",
        help="a client registered in both realms (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--user", action="append", default=[], metavar="REALM:EMAIL:PASSWORD:NAME",
        help="a user of realm microsoft or google (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--consent", action="append", default=[], metavar="REALM:EMAIL:SECONDS:REFRESH_TOKEN",
        help="a consent the user gave the demo client earlier, held as REFRESH_TOKEN and "
        "limited to SECONDS from now (Google's time-based access; repeatable)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    emulator = create_emulator(public_url=args.public_url)
    provider = emulator.provider
    if args.seed == "contoso":
        seed_contoso(provider, args.app_url or DEMO_BASE_URLS)
        seed_fabrikam(provider)
    try:
        _register_clients(provider, args.client)
        for entry in args.user:
            realm, email, password, name = entry.split(":", 3)
            provider.add_user(realm, email, name, password)
        for entry in args.consent:
            realm, email, seconds, token = entry.split(":", 3)
            provider.limit_consent(realm, email, float(seconds))
            scopes = list(provider.realm(realm).scopes)
            provider.seed_consent(realm, DEMO_CLIENT_ID, email, scopes, token)
    except ValueError as error:
        parser.error(f"bad --client, --user or --consent: {error}")
    shown = "127.0.0.1" if args.host in ("", "0.0.0.0") else args.host
    base = (args.public_url or f"http://{shown}:{args.port}").rstrip("/")
    print(f"Identity emulator on {base}", flush=True)
    for realm in provider.realms.values():
        print(f"  {realm.name}: {base}{realm.path}{DISCOVERY}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever(args.port, args.host)


if __name__ == "__main__":
    main()

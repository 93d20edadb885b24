"""Run the C4C emulator standalone: ``python -m emulators.c4c --port 8101 --seed demo``."""

from __future__ import annotations

import argparse

from emulators.c4c import BASE_PATH, create_emulator
from emulators.c4c.seed import seed_contoso, seed_demo, seed_fabrikam


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until interrupted.

    Args:
        argv: arguments (defaults to ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(prog="python -m emulators.c4c")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--seed", choices=["demo", "contoso", "fabrikam", "none"], default="none")
    parser.add_argument(
        "--user", action="append", default=[], metavar="NAME:PASSWORD",
        help="a Basic-auth user (repeatable)",
    )  # fmt: skip
    parser.add_argument("--token", action="append", default=[], help="an accepted bearer token")
    args = parser.parse_args(argv)
    users = dict(entry.split(":", 1) for entry in args.user)
    emulator = create_emulator(users, set(args.token))
    if args.seed == "demo":
        seed_demo(emulator.service.store)
    elif args.seed == "contoso":
        seed_contoso(emulator.service.store)
    elif args.seed == "fabrikam":
        seed_fabrikam(emulator.service.store)
    print(f"C4C emulator on http://127.0.0.1:{args.port}{BASE_PATH}", flush=True)
    emulator.serve_forever(args.port)


if __name__ == "__main__":
    main()

"""Benchmark the C4C client against the emulator: requests sent, seconds, requests per item.

Measures, on a fresh emulated tenant each repetition:

1. an initial read of 10,000 contacts (floor: ceil(10,000 / 1000) = 10 page reads);
2. a delta read after 20 contacts changed (floor: 1 read);
3. creating 2,000 contacts in ``$batch`` changesets (floor: ceil(2,000 / batch size) writes,
   plus one CSRF token fetch per session).

Run: ``.venv/bin/python -m bench.c4c_bench [--repeat 3] [--batch-size 100]``; prints the medians.
"""

from __future__ import annotations

import argparse
import logging
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from backend.crm.c4c import C4CClient
from emulators.c4c import create_emulator
from emulators.c4c.seed import seed_contacts

USER, PASSWORD = "BENCH", "bench"
CONTACTS, CHANGES, CREATES = 10_000, 20, 2_000
MAPPED = ["ContactID", "FirstName", "LastName", "AccountID", "Email", "Phone", "Mobile", "JobTitle"]


@dataclass
class Figure:
    name: str
    items: int
    requests: int
    seconds: float
    floor: int


def _measure(client: C4CClient, name: str, floor: int, work: Callable[[], int]) -> Figure:
    sent, started = client.requests_sent, time.perf_counter()
    items = work()
    return Figure(name, items, client.requests_sent - sent, time.perf_counter() - started, floor)


def run_once(batch_size: int) -> list[Figure]:
    """One repetition on a fresh tenant; returns the three figures."""
    emulator = create_emulator({USER: PASSWORD})
    seed_contacts(emulator.service.store, CONTACTS)
    with emulator:
        client = C4CClient(emulator.base_url, user=USER, password=PASSWORD, batch_size=batch_size)
        rows: list[dict] = []

        def initial() -> int:
            rows.extend(client.changes("ContactCollection", None, MAPPED))
            return len(rows)

        figures = [_measure(client, "initial read", math.ceil(CONTACTS / 1000), initial)]
        since = max(row["EntityLastChangedOn"] for row in rows)
        time.sleep(0.01)
        for row in rows[:CHANGES]:
            emulator.service.store.update("ContactCollection", row["ObjectID"], {"JobTitle": "CEO"})

        def delta() -> int:
            return sum(1 for _ in client.changes("ContactCollection", since, MAPPED))

        figures.append(_measure(client, f"delta ({CHANGES} changed)", 1, delta))
        records = [(f"bench-{n}", {"LastName": f"Bench{n}"}) for n in range(CREATES)]

        def create() -> int:
            results = client.create_many("ContactCollection", records)
            return sum(1 for result in results if result.entity is not None)

        figures.append(
            _measure(client, f"create {CREATES}", math.ceil(CREATES / batch_size), create)
        )
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the repetitions and print the median figures.

    Args:
        argv: command line arguments (defaults to ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    runs = [run_once(args.batch_size) for _ in range(args.repeat)]
    print(f"C4C client vs emulator, median of {args.repeat}, batch size {args.batch_size}")
    print(
        f"{'measurement':<22}{'items':>7}{'requests':>10}{'floor':>7}{'seconds':>9}{'req/item':>10}"
    )
    for position, first in enumerate(runs[0]):
        figures = [run[position] for run in runs]
        items = int(statistics.median(f.items for f in figures))
        requests = int(statistics.median(f.requests for f in figures))
        seconds = statistics.median(f.seconds for f in figures)
        print(
            f"{first.name:<22}{items:>7}{requests:>10}{first.floor:>7}{seconds:>9.2f}"
            f"{requests / max(items, 1):>10.4f}"
        )


if __name__ == "__main__":
    main()

"""Exchange read throughput: our provider against bare exchangelib on the EWS emulator.

Reads 5,000 contacts and 2,000 e-mails from scratch, then runs incremental reads with 0 and with
20 changes. For each it prints requests, seconds and requests per item (medians of a few runs),
and the same read done with bare exchangelib calls (SyncFolderItems with ids only, then GetItem
in batches: the least a client can send) as the floor, with the ratio ours / bare.

Run: ``python -m bench.exchange_bench [--repeat 3]``. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

from exchangelib import BASIC, DELEGATE, Account, Build, Configuration, Credentials, Version

from backend.mailbox.ews.credentials import BasicAuth
from backend.mailbox.ews.provider import FETCH_CHUNK, SYNC_PAGE, ExchangeProvider
from backend.mailbox.ews.records import READ_FIELDS
from backend.models.types import ItemType
from emulators.ews import EwsEmulator, Mailbox
from emulators.ews.seed import add_contact, add_message

ADDRESS, PASSWORD = "bench@example.com", "bench"
CONTACTS, MESSAGES, CHANGES = 5000, 2000, 20


def seed(mailbox: Mailbox) -> None:
    """5,000 SAP contacts; 2,000 messages: half in the SAP folder, half tagged "SAP"."""
    for n in range(CONTACTS):
        add_contact(mailbox, f"Given{n}", f"Surname{n}", f"c{n}@example.com")
    for n in range(MESSAGES // 2):
        add_message(mailbox, f"Filed {n}", f"c{n}@example.com", folder=("SAP Cloud for Customer",))
        add_message(mailbox, f"Tagged {n}", f"c{n}@example.com", categories=["SAP"])


def touch(mailbox: Mailbox, count: int) -> None:
    """Change ``count`` items as a user would (half contacts, half messages)."""
    if count == 0:
        return
    items = list(mailbox.items.values())
    for item in items[: count // 2] + items[-(count - count // 2) :]:
        mailbox.changed(item)


class Ours:
    def __init__(self, endpoint: str) -> None:
        self.provider = ExchangeProvider(endpoint, ADDRESS, BasicAuth(ADDRESS, PASSWORD))
        self.cursors: dict[ItemType, str | None] = {ItemType.CONTACT: None, ItemType.EMAIL: None}

    def read(self) -> int:
        seen = 0
        for item_type, cursor in self.cursors.items():
            changes = self.provider.changes(item_type, cursor)
            self.cursors[item_type] = changes.cursor
            seen += len(changes.upserted)
        return seen


def read_bare(account: Account, folders: list[tuple[Any, Any]]) -> int:
    """What changed in ``folders`` since their last read, with plain exchangelib; items read.

    The floor both benchmarks compare with: one SyncFolderItems page loop per folder for ids
    and change keys, then GetItem in chunks for the fields the provider reads.
    """
    seen = 0
    for folder, fields in folders:
        ids = [
            (item.id, item.changekey)
            for kind, item in folder.sync_items(
                only_fields=["changekey"], max_changes_returned=SYNC_PAGE
            )
            if kind in ("create", "update")
        ]
        if ids:
            items = account.fetch(ids=ids, only_fields=list(fields), chunk_size=FETCH_CHUNK)
            seen += sum(1 for _ in items)
    return seen


class Bare:
    def __init__(self, endpoint: str) -> None:
        config = Configuration(
            service_endpoint=endpoint,
            credentials=Credentials(ADDRESS.upper(), PASSWORD),
            auth_type=BASIC,
            version=Version(build=Build(15, 2, 1544, 4)),
        )
        self.account = Account(ADDRESS, config=config, autodiscover=False, access_type=DELEGATE)
        contacts = self.account.contacts / "SAP Contacts"
        filed = self.account.msg_folder_root / "SAP Cloud for Customer"
        self.folders = [
            (contacts, READ_FIELDS[ItemType.CONTACT]),
            (filed, READ_FIELDS[ItemType.EMAIL]),
            (self.account.inbox, READ_FIELDS[ItemType.EMAIL]),
            (self.account.sent, READ_FIELDS[ItemType.EMAIL]),
        ]

    def read(self) -> int:
        return read_bare(self.account, self.folders)


def measure(emulator: EwsEmulator, read: Callable[[], int]) -> tuple[int, float, int]:
    emulator.log.clear()
    started = time.perf_counter()
    items = read()
    return emulator.log.count("POST"), time.perf_counter() - started, items


def run_once() -> dict[str, dict[str, tuple[int, float, int]]]:
    emulator = EwsEmulator()
    mailbox = emulator.store.add_mailbox(ADDRESS, PASSWORD)
    seed(mailbox)
    results: dict[str, dict[str, tuple[int, float, int]]] = {}
    with emulator:
        ours, bare = Ours(emulator.endpoint), Bare(emulator.endpoint)
        for name, before in (
            ("initial", 0),
            ("incremental, 0 changes", 0),
            ("incremental, 20 changes", CHANGES),
        ):
            touch(mailbox, before)
            results[name] = {
                "ours": measure(emulator, ours.read),
                "bare": measure(emulator, bare.read),
            }
    return results


def main() -> None:
    """Run the benchmark ``--repeat`` times and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    runs = [run_once() for _ in range(args.repeat)]
    print(f"{'scenario':26} {'who':5} {'items':>6} {'requests':>8} {'seconds':>8} {'req/item':>8}")
    for scenario in runs[0]:
        medians = {}
        for who in ("ours", "bare"):
            requests_ = statistics.median(r[scenario][who][0] for r in runs)
            seconds = statistics.median(r[scenario][who][1] for r in runs)
            items = runs[0][scenario][who][2]
            medians[who] = (requests_, seconds)
            per_item = f"{requests_ / items:.3f}" if items else "-"
            print(f"{scenario:26} {who:5} {items:6d} {requests_:8.0f} {seconds:8.2f} {per_item:>8}")
        ratio_r = medians["ours"][0] / medians["bare"][0] if medians["bare"][0] else float("nan")
        ratio_s = medians["ours"][1] / medians["bare"][1] if medians["bare"][1] else float("nan")
        print(f"{'':26} ratio ours/bare: requests {ratio_r:.2f}, seconds {ratio_s:.2f}")


if __name__ == "__main__":
    main()

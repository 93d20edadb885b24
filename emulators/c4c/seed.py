"""Seed data for the emulator: a small demo tenant, or any number of generated contacts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from emulators.c4c.schema import APPOINTMENT_PARTIES
from emulators.c4c.store import Store

_ACCOUNTS = [
    ("Acme Corporation", "Berlin", "DE"),
    ("Acme Logistics", "Hamburg", "DE"),
    ("Globex", "Paris", "FR"),
    ("Initech", "Austin", "US"),
]
_CONTACTS = [
    ("Anna", "Schmidt", 0, "anna.schmidt@acme.example"),
    ("Ben", "Meyer", 0, "ben.meyer@acme.example"),
    ("Claire", "Dubois", 2, "claire.dubois@globex.example"),
    ("Dan", "Porter", 3, "dan.porter@initech.example"),
]


def seed_demo(store: Store) -> None:
    """Accounts and contacts a demo user recognises; one account is read-only."""
    accounts = [
        store.create(
            "CorporateAccountCollection",
            {"Name": name, "City": city, "CountryCode": country, "LifeCycleStatusCode": "2"},
        )
        for name, city, country in _ACCOUNTS
    ]
    store.read_only.add(accounts[-1]["ObjectID"])
    for first, last, account, email in _CONTACTS:
        store.create(
            "ContactCollection",
            {
                "FirstName": first,
                "LastName": last,
                "AccountID": accounts[account]["AccountID"],
                "Email": email,
            },
        )


def seed_contacts(store: Store, count: int, prefix: str = "Contact") -> None:
    """``count`` generated contacts (for paging tests and benchmarks)."""
    for number in range(count):
        store.create(
            "ContactCollection",
            {
                "FirstName": f"{prefix}{number}",
                "LastName": f"Generated{number:05d}",
                "Email": f"{prefix.lower()}{number}@example.com",
            },
        )


CONTOSO_ACCOUNTS = (("Fabrikam", False), ("Northwind Traders", True))
CONTOSO_EMPLOYEES = (
    ("Kim", "Keyuser", "kim.keyuser@contoso.test"),
    ("Anna", "Sales", "anna.sales@contoso.test"),
    ("Ben", "Sales", "ben.sales@contoso.test"),
    ("Gina", "Sales", "gina.sales@contoso.test"),
    ("Olivia", "Sales", "olivia.sales@contoso.test"),
    ("Paul", "Sales", "paul.sales@contoso.test"),
    ("Dora", "Sales", "dora.sales@contoso.test"),
)
"""The Contoso people the demo's sign-in knows, as SAP's employees."""
CONTOSO_CONTACTS = (
    ("Jane", "Doe", "Fabrikam", "jane@fabrikam.test"),
    ("Dan", "Porter", "Northwind Traders", "dan@northwind.test"),
)
LITWARE = "Litware"
LITWARE_OWNER = "anna.sales@contoso.test"
LITWARE_FIRST_NAMES = ("Aaron", "Beate", "Carl", "Dana", "Emil", "Frida")
LITWARE_LAST_NAMES = ("Berger", "Claes", "Dunn", "Ebert", "Fuchs")
"""Anna's customer Litware has thirty contacts, one of each of these first and last names (the
demo's story gives Litware to Ben, and all thirty leave Anna's mailbox at once)."""


CONTOSO_TASKS = (
    ("Prepare the Fabrikam renewal", "ben.sales@contoso.test"),
    ("Call Northwind about the delayed order", "olivia.sales@contoso.test"),
)
"""Tasks a colleague created in SAP for a sales person (their processor)."""
CONTOSO_APPOINTMENTS = (
    ("Quarterly review with Northwind", "gina.sales@contoso.test", "Northwind Traders",
     ("ben.sales@contoso.test",)),
)  # fmt: skip
"""Appointments created in SAP, owned by a sales person, two days from the seed at 10:00 UTC,
with the colleagues among their involved parties (it is theirs too)."""


def seed_contoso(store: Store) -> None:
    """The C4C side of the Contoso demo: its employees, two customers (one read-only) and
    their contacts, and what colleagues created in SAP for the sales people.

    It matches the mailboxes ``emulators.ews.seed.seed_contoso`` fills, so that the first sync
    pairs what both sides know and meets an issue of each kind a first sync can meet; the tasks
    and the appointment made in SAP reach their owners' mailboxes (Ben's Exchange, Olivia's
    Exchange Online, Gina's Gmail), and Anna's customer Litware with its contacts hers.
    """
    seed_employees(store, CONTOSO_EMPLOYEES)
    ids = {}
    for name, read_only in CONTOSO_ACCOUNTS:
        row = store.create("CorporateAccountCollection", {"Name": name})
        ids[name] = row["AccountID"]
        if read_only:
            store.read_only.add(row["ObjectID"])
    for first, last, account, email in CONTOSO_CONTACTS:
        store.create(
            "ContactCollection",
            {"FirstName": first, "LastName": last, "AccountID": ids[account], "Email": email},
        )
    employee = {row["Email"]: row["EmployeeID"] for row in store.all("EmployeeCollection")}
    litware = store.create(
        "CorporateAccountCollection", {"Name": LITWARE, "OwnerID": employee[LITWARE_OWNER]}
    )
    for first in LITWARE_FIRST_NAMES:
        for last in LITWARE_LAST_NAMES:
            store.create("ContactCollection", {
                "FirstName": first, "LastName": last, "AccountID": litware["AccountID"],
                "Email": f"{first}.{last}@litware.test".lower(),
            })  # fmt: skip
    for subject, processor in CONTOSO_TASKS:
        store.create("TasksCollection", {"Subject": subject, "PriorityCode": "2",
                                         "ProcessorPartyID": employee[processor]})  # fmt: skip
    start = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    start += timedelta(days=2)
    end = start + timedelta(hours=1)
    for subject, owner, account, attendees in CONTOSO_APPOINTMENTS:
        appointment = store.create("AppointmentCollection", {
            "Subject": subject, "OwnerPartyID": employee[owner], "AccountID": ids[account],
            "StartDateTime": start.isoformat(), "EndDateTime": end.isoformat(),
        })  # fmt: skip
        for attendee in attendees:
            party = {"PartyID": employee[attendee], "RoleCode": "55"}
            store.create(APPOINTMENT_PARTIES, {"ParentObjectID": appointment["ObjectID"], **party})


FABRIKAM_EMPLOYEES = (
    ("Fiona", "Key", "fiona.key@fabrikam.test"),
    ("Frank", "Sales", "frank.sales@fabrikam.test"),
)


def seed_fabrikam(store: Store) -> None:
    """Fabrikam's own C4C system: its employees and one customer with a contact."""
    seed_employees(store, FABRIKAM_EMPLOYEES)
    account = store.create("CorporateAccountCollection", {"Name": "Tailspin Toys"})
    store.create(
        "ContactCollection",
        {"FirstName": "Tom", "LastName": "Tailor", "AccountID": account["AccountID"],
         "Email": "tom@tailspin.test"},
    )  # fmt: skip


def seed_employees(store: Store, people: tuple[tuple[str, str, str], ...]) -> None:
    """Employees (first name, last name, e-mail address), each with a user of the same name."""
    for first, last, email in people:
        store.create(
            "EmployeeCollection",
            {"FirstName": first, "LastName": last, "Email": email,
             "UserID": email.split("@", 1)[0].upper()[:40], "UserLockedIndicator": False},
        )  # fmt: skip

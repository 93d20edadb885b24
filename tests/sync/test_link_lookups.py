"""The addresses of a run's changes are asked of C4C together, as the first sync's are."""

from __future__ import annotations

from urllib.parse import unquote_plus

from emulators.c4c import C4CEmulator
from tests.support.owners import MailboxOwner
from tests.support.world import both_mail_systems

pytestmark = both_mail_systems


def _look_ups(c4c: C4CEmulator) -> list[str]:
    """The queries of contacts by address C4C was sent as plain requests."""
    return [
        unquote_plus(entry.query)
        for entry in c4c.log.entries("GET", r"ContactCollection$")
        if "Email eq" in unquote_plus(entry.query)
    ]


def test_the_addresses_of_a_runs_changes_are_looked_up_in_one_request(
    owner: MailboxOwner, c4c: C4CEmulator, sync_now
) -> None:
    """Five contacts edited in the mailbox: their addresses go to C4C in one query, not a
    request each, and every change still goes up."""
    contacts = [
        owner.add_contact("Ann", f"Customer{n}", email=f"c{n}@fabrikam.test") for n in range(5)
    ]
    assert sync_now().created == 5
    for number, contact in enumerate(contacts):
        owner.edit_contact(contact, job_title=f"Buyer {number}")
    c4c.log.clear()

    run = sync_now()

    assert (run.updated, run.failed) == (5, 0)
    [asked] = _look_ups(c4c)
    assert all(f"c{number}@fabrikam.test" in asked for number in range(5))
    titles = sorted(c["JobTitle"] for c in c4c.service.store.all("ContactCollection"))
    assert titles == [f"Buyer {number}" for number in range(5)]


def test_one_change_asks_for_its_address_alone(
    owner: MailboxOwner, c4c: C4CEmulator, sync_now
) -> None:
    contact = owner.add_contact("Ann", "Customer", email="ann@fabrikam.test")
    assert sync_now().created == 1
    owner.edit_contact(contact, job_title="Buyer")
    c4c.log.clear()

    assert sync_now().updated == 1
    [asked] = _look_ups(c4c)
    assert "ann@fabrikam.test" in asked

"""What the run's link cache keeps of a C4C object: what the product reads of it, its keys and
ETag, not every property and navigation link C4C answers with (a first sync remembers each
contact it creates, for the e-mails that follow)."""

from __future__ import annotations

from backend.crm.c4c import C4CClient
from backend.crm.values import etag_of
from backend.mailbox.base import ContactRecord
from backend.sync.linker import CONTACTS, Linker
from backend.sync.mapping import Links, contacts
from backend.sync.planner import down_hash

ADDRESS = "ann@fabrikam.test"


def _created(crm: C4CClient) -> dict:
    values = {"FirstName": "Ann", "LastName": "Ames", "Email": ADDRESS, "JobTitle": "Buyer"}
    [result] = crm.create_many(CONTACTS, [("ssi-1-ann", values)])
    assert result.entity is not None
    return result.entity


def test_a_created_contact_is_remembered_by_what_links_and_pairing_read(crm: C4CClient) -> None:
    entity = _created(crm)
    linker = Linker(crm)
    linker.remember_contact(entity)

    kept = linker.contact_with(ADDRESS)
    assert kept is not None
    assert set(kept) < set(entity), "not every property C4C answered with"
    deferred = [
        name for name, value in entity.items() if isinstance(value, dict) and "__deferred" in value
    ]
    assert deferred and not set(deferred) & set(kept), "nor its navigation links"
    assert kept["ContactID"] == entity["ContactID"] and kept["ObjectID"] == entity["ObjectID"]
    assert etag_of(kept) == etag_of(entity)
    assert down_hash(contacts.MAPPING, kept) == down_hash(contacts.MAPPING, entity)
    assert linker.links(contacts.MAPPING.hints(_record())) == Links(
        entity.get("AccountID") or None, entity["ContactID"]
    )


def test_a_contact_read_from_c4c_pairs_as_it_was_read(crm: C4CClient) -> None:
    entity = _created(crm)
    linker = Linker(crm)
    linker.prefetch([contacts.MAPPING.hints(_record())])
    found = linker.existing(_record(), Links(None, None))
    assert found is not None and found["ObjectID"] == entity["ObjectID"]
    assert down_hash(contacts.MAPPING, found) == down_hash(contacts.MAPPING, entity)
    assert set(found) <= set(contacts.MAPPING.read_fields) | {
        "ObjectID", "ContactID", "ETag", "__metadata"
    }  # fmt: skip


def _record() -> ContactRecord:
    return ContactRecord(id="AAMk1", given_name="Ann", surname="Ames", emails=(ADDRESS,))

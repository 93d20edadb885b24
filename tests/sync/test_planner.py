"""What the planner makes of a linked item, given what each side sent and what the pair
remembers: table-driven, one case a line.

Versions are named by the surname they carry: ``agreed`` is what both sides held when last in
sync, ``m``/``c`` what the mailbox/C4C held when last read, ``record``/``entity`` what arrives
now (``None``: that side sent nothing this run).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend.mailbox.base import ContactRecord
from backend.models import SyncItem
from backend.models.sync_item import SyncItemState
from backend.sync.mapping.contacts import MAPPING
from backend.sync.planner import (
    StepKind,
    as_named,
    c4c_link,
    down_hash,
    linked_step,
    mailbox_link,
    up_hash,
)

K = StepKind


def _record(surname: str) -> ContactRecord:
    return ContactRecord(id="m-1", change_key="ck", given_name="Ann", surname=surname)


def _entity(surname: str, etag: str) -> dict:
    return {"ObjectID": "c-1", "FirstName": "Ann", "LastName": surname,
            "__metadata": {"etag": etag}}  # fmt: skip


def _hash(surname: str | None) -> str | None:
    return up_hash(MAPPING, _record(surname)) if surname else None


def _item(agreed: str | None, m: str, c: str, etag: str = "E1") -> SyncItem:
    return SyncItem(mailbox_item_id="m-1", c4c_object_id="c-1", c4c_etag=etag,
                    content_hash=_hash(agreed), mailbox_hash=_hash(m), c4c_hash=_hash(c),
                    state=SyncItemState.SYNCED)  # fmt: skip


CASES = [
    # agreed, m, c, record, (entity, etag), up, down, expected
    ("A", "A", "A", None, ("A", "E1"), True, True, None),  # C4C sends the same row again
    ("A", "A", "A", None, ("A", "E2"), True, True, K.TOUCH),  # a field we do not map changed
    ("A", "A", "A", "A", None, True, True, K.TOUCH),  # only categories changed
    ("A", "A", "A", "B", None, True, True, K.UPDATE_UP),
    ("A", "A", "A", None, ("B", "E2"), True, True, K.UPDATE_DOWN),
    ("A", "A", "A", "B", ("C", "E2"), True, True, K.CONFLICT),
    ("A", "A", "A", "B", ("B", "E2"), True, True, K.SETTLED),  # the same change on both sides
    ("A", "A", "A", None, ("B", "E2"), True, False, K.TOUCH),  # C4C to mailbox switched off
    ("A", "A", "A", "B", None, False, True, K.TOUCH),  # mailbox to C4C switched off
    ("A", "B", "A", None, ("A", "E1"), True, True, None),  # refused edit, C4C row sent again
    ("A", "B", "A", None, ("A", "E2"), True, True, K.TOUCH),  # ... with a new ETag only
    ("A", "B", "A", None, ("C", "E2"), True, True, K.CONFLICT),  # ... and C4C really changed
    ("A", "B", "A", None, ("C", "E2"), False, True, K.UPDATE_DOWN),  # ... C4C only flows down
    ("A", "B", "A", "A", None, True, True, K.SETTLED),  # the refused edit undone
    ("A", "B", "A", "C", None, True, True, K.UPDATE_UP),  # edited again: try it
    ("A", "B", "A", None, ("B", "E2"), True, True, K.SETTLED),  # C4C took the same values
    (None, "B", "A", None, ("A", "E1"), True, True, None),  # paired, never agreed, row again
    (None, "B", "A", None, ("C", "E2"), True, True, K.CONFLICT),
    ("A", "A", "B", "C", None, True, True, K.CONFLICT),  # C4C's change not yet written down
]  # fmt: skip


@pytest.mark.parametrize(("agreed", "m", "c", "record", "entity", "up", "down", "expected"), CASES)
def test_linked_step(agreed, m, c, record, entity, up, down, expected) -> None:
    item = _item(agreed, m, c)
    sent = _record(record) if record else None
    row = _entity(*entity) if entity else None
    assert linked_step(MAPPING, item, sent, row, up, down) == expected


@pytest.mark.parametrize(
    ("agreed", "m", "c", "expected"),
    [
        ("A", "B", "A", K.UPDATE_UP),  # a temporary failure going up
        ("A", "A", "B", K.UPDATE_DOWN),  # ... going down: never pushed up instead
        ("A", "B", "C", K.CONFLICT),
        ("A", "A", "A", K.SETTLED),
    ],
)
def test_a_retry_compares_the_sides_with_the_agreed_version(agreed, m, c, expected) -> None:
    item = _item(agreed, m, c)
    again = linked_step(MAPPING, item, _record(m), None, True, True, again=True)
    assert again == expected


@pytest.mark.parametrize(
    ("account", "again", "expected"),
    [
        ("ACC-2", True, K.UPDATE_DOWN),  # a move from SAP whose copy failed for a moment
        ("ACC-1", True, K.SETTLED),  # no move: the retry finds the sides agreeing
        ("ACC-2", False, None),  # outside a retry the row sent again is no news
    ],
)
def test_a_retry_holds_c4cs_account_at_the_pairs_etag_against_the_one_agreed(
    account, again, expected
) -> None:
    item = _item("A", "A", "A")
    item.c4c_link = c4c_link(MAPPING, {"AccountID": "ACC-1"})
    row = {**_entity("A", "E1"), "AccountID": account}
    assert linked_step(MAPPING, item, None, row, True, True, again=again) == expected


@pytest.mark.parametrize(
    ("m", "c", "moves", "up", "down", "expected"),
    [
        ("B", "A", "there", True, True, K.CONFLICT),  # a mailbox edit still to send meets it
        ("A", "B", "here", True, True, K.CONFLICT),  # SAP's edit still to write meets it
        ("B", "A", "there", False, True, K.UPDATE_DOWN),  # the edit cannot go up: SAP's move
        ("A", "B", "here", True, False, K.UPDATE_UP),  # ... cannot come down: the mailbox's
        ("A", "A", "there", True, True, K.UPDATE_DOWN),
        ("A", "A", "here", True, True, K.UPDATE_UP),
    ],
)
def test_a_move_meets_the_other_sides_edit_still_ahead_of_the_agreed_version(
    m, c, moves, up, down, expected
) -> None:
    item = _item("A", m, c)
    item.c4c_link = c4c_link(MAPPING, {"AccountID": "ACC-1"})
    item.mailbox_link = mailbox_link(MAPPING, _record(m))
    record = replace(_record(m), company="Globex") if moves == "here" else None
    row = {**_entity(c, "E2"), "AccountID": "ACC-2" if moves == "there" else "ACC-1"}
    assert linked_step(MAPPING, item, record, row if moves == "there" else None, up, down) == (
        expected
    )


@pytest.mark.parametrize(("up", "expected"), [(True, K.CONFLICT), (False, K.UPDATE_DOWN)])
def test_a_move_from_sap_meets_a_mailbox_edit_of_the_same_run(up, expected) -> None:
    item = _item("A", "A", "A")
    item.c4c_link = c4c_link(MAPPING, {"AccountID": "ACC-1"})
    row = {**_entity("A", "E2"), "AccountID": "ACC-2"}
    assert linked_step(MAPPING, item, _record("B"), row, up, True) == expected


def test_down_and_up_fingerprints_agree_on_the_same_values() -> None:
    assert down_hash(MAPPING, _entity("A", "E1")) == up_hash(MAPPING, _record("A"))


@pytest.mark.parametrize(
    ("company", "agreed_on", "sent"),
    [
        ("Globex", "Fabrikam", "1002"),  # a company: the account it names, as looked up
        (None, "Fabrikam", None),  # cleared since the pair agreed: out of its account
        ("  ", "Fabrikam", None),  # blanks are no company
        (None, None, "kept"),  # never named (paired by address): C4C keeps its own
        (None, "unknown", "kept"),  # a pair that remembers no company: nothing moves
    ],
)
def test_a_contacts_account_goes_up_as_its_company_names_it(company, agreed_on, sent) -> None:
    """An address's contact (for a contact, itself) brings an account no company names."""
    record = replace(_record("Lee"), company=company)
    item = _item("Lee", "Lee", "Lee")
    if agreed_on != "unknown":
        agreed = mailbox_link(MAPPING, replace(record, company=agreed_on))
        item.mailbox_link = mailbox_link(MAPPING, record)  # read since (a refusal marks it)
        item.agreed_mailbox_link = agreed
    values = as_named(MAPPING, item, record, {"LastName": "Lee", "AccountID": "1002"})
    assert values.get("AccountID", "kept") == sent
    assert values["LastName"] == "Lee"

"""The mapping of each item type."""

from __future__ import annotations

from backend.models.types import ItemType
from backend.sync.mapping import TypeMapping, accounts, appointments, contacts, emails, tasks

MAPPINGS: dict[ItemType, TypeMapping] = {
    mapping.item_type: mapping
    for mapping in (
        accounts.MAPPING,
        contacts.MAPPING,
        tasks.MAPPING,
        appointments.MAPPING,
        emails.MAPPING,
    )
}
"""In sync order: accounts first, so contacts and activities can link to them."""

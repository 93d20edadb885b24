"""The emulator's data: entities per set, with C4C's business rules applied on every write.

Values are kept as Python objects (``str``, ``bool``, aware ``datetime``). Every change stamps
``EntityLastChangedOn``/``ETag`` with a strictly increasing time, so delta reads never miss one.
Changesets run inside :meth:`Store.transaction`, which undoes everything if one operation fails.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from emulators.c4c import errors
from emulators.c4c.errors import ODataError
from emulators.c4c.schema import (
    ACCOUNT_TEAM,
    APPOINTMENT_PARTIES,
    CODE_LISTS,
    ENTITY_SETS,
    EntitySet,
    Field,
)

_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


def parse_datetime(value: object, name: str) -> datetime:
    """A payload's date-time (``/Date(ms)/`` or ISO 8601) as an aware UTC datetime."""
    if isinstance(value, str):
        match = _DATE.match(value)
        if match:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
        if _ISO.match(value):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ODataError(
        400, errors.BAD_FORMAT, f"Invalid value for property '{name}' of type Edm.DateTimeOffset",
        name,
    )  # fmt: skip


class Store:
    """Entities of every set, keyed by ``ObjectID``; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.rows: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in ENTITY_SETS}
        self.read_only: set[str] = set()
        self._undo: list[tuple[str, str, dict[str, Any] | None]] | None = None
        self._clock = datetime.now(UTC)
        self._counters = dict.fromkeys(ENTITY_SETS, 0)

    # -- reads ---------------------------------------------------------------------------------

    def all(self, set_name: str) -> list[dict[str, Any]]:
        """Every row of a set, in creation order."""
        with self.lock:
            return list(self.rows[set_name].values())

    def get(self, set_name: str, object_id: str) -> dict[str, Any]:
        """One row by ``ObjectID``; a 404 when there is none (deleted or never existed)."""
        with self.lock:
            row = self.rows[set_name].get(object_id)
        if row is None:
            raise ODataError(404, errors.NOT_FOUND, f"Resource not found for segment '{set_name}'")
        return row

    # -- writes --------------------------------------------------------------------------------

    def create(self, set_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an entity after the business rules; returns the stored row."""
        entity_set = ENTITY_SETS[set_name]
        with self.lock:
            values = self._validate(entity_set, payload, creating=True)
            parent = self._parent_of(entity_set, values)
            object_id = uuid.uuid4().hex.upper()
            self._counters[set_name] += 1
            row: dict[str, Any] = {item.name: None for item in entity_set.fields}
            row.update(values)
            row["ObjectID"] = object_id
            self._derive(set_name, row)
            if entity_set.id_field:
                row[entity_set.id_field] = f"{entity_set.id_prefix}{self._counters[set_name]:06d}"
            row["CreationOn"] = self._stamp(row)
            self._remember(set_name, object_id, None)
            self.rows[set_name][object_id] = row
            if parent is not None:
                self._touch(entity_set, parent)
            return row

    def update(self, set_name: str, object_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Merge ``payload`` into an entity; refuses read-only objects."""
        entity_set = ENTITY_SETS[set_name]
        with self.lock:
            row = self.get(set_name, object_id)
            self._refuse_read_only(object_id, "changed")
            values = self._validate(entity_set, payload, creating=False)
            self._remember(set_name, object_id, row)
            changed = {**row, **values}
            self._derive(set_name, changed)
            self._stamp(changed)
            self.rows[set_name][object_id] = changed
            self._touch(entity_set, changed.get("ParentObjectID"))
            return changed

    def delete(self, set_name: str, object_id: str) -> None:
        """Delete a row; refuses read-only objects (403) and missing ones (404)."""
        with self.lock:
            row = self.get(set_name, object_id)
            self._refuse_read_only(object_id, "deleted")
            self._remember(set_name, object_id, row)
            del self.rows[set_name][object_id]
            for node in ENTITY_SETS.values():
                if node.parent_set == set_name:
                    for child in [c for c in self.rows[node.name].values()
                                  if c["ParentObjectID"] == object_id]:  # fmt: skip
                        self._remember(node.name, child["ObjectID"], child)
                        del self.rows[node.name][child["ObjectID"]]
            self._touch(ENTITY_SETS[set_name], row.get("ParentObjectID"))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a changeset: if the block raises, every change it made is undone."""
        with self.lock:
            self._undo = []
            try:
                yield
            except Exception:
                for set_name, object_id, previous in reversed(self._undo):
                    if previous is None:
                        self.rows[set_name].pop(object_id, None)
                    else:
                        self.rows[set_name][object_id] = previous
                raise
            finally:
                self._undo = None

    # -- rules ---------------------------------------------------------------------------------

    def _derive(self, set_name: str, row: dict[str, Any]) -> None:
        """Fill what the server computes: a contact's ``AccountFormattedName`` (its account's)."""
        if set_name == "ContactCollection":
            account = next(
                (a for a in self.rows["CorporateAccountCollection"].values()
                 if row.get("AccountID") and a.get("AccountID") == row["AccountID"]),
                None,
            )  # fmt: skip
            row["AccountFormattedName"] = account["Name"] if account else None
        elif set_name == ACCOUNT_TEAM:
            account = self.rows["CorporateAccountCollection"].get(row["ParentObjectID"])
            row["AccountID"] = account["AccountID"] if account else None
        elif set_name == APPOINTMENT_PARTIES:
            party = self._party(row.get("PartyID"))
            row["PartyName"] = (
                " ".join(filter(None, (party.get("FirstName"), party.get("LastName"))))
                if party else None
            )  # fmt: skip
            row["EMail"] = party.get("Email") if party else None

    def _party(self, party_id: str | None) -> dict[str, Any] | None:
        """The employee or contact a business partner id names (one number range in C4C)."""
        for set_name, id_field in (("EmployeeCollection", "EmployeeID"),
                                   ("ContactCollection", "ContactID")):  # fmt: skip
            for row in self.rows[set_name].values():
                if party_id and row.get(id_field) == party_id:
                    return row
        return None

    def _parent_of(self, entity_set: EntitySet, values: dict[str, Any]) -> str | None:
        """The object a new node row belongs to; a 400 when it does not exist."""
        if entity_set.parent_set is None:
            return None
        parent = values.get("ParentObjectID")
        if parent not in self.rows[entity_set.parent_set]:
            raise ODataError(
                400, errors.NOT_FOUND, f"Parent object '{parent}' does not exist", "ParentObjectID"
            )
        return parent

    def _touch(self, entity_set: EntitySet, parent: str | None) -> None:
        """A node changed: so did the object it belongs to (its stamps move, its delta shows it)."""
        if entity_set.parent_set is None or parent is None:
            return
        row = self.rows[entity_set.parent_set].get(parent)
        if row is None:
            return
        self._remember(entity_set.parent_set, parent, row)
        touched = dict(row)
        self._stamp(touched)
        self.rows[entity_set.parent_set][parent] = touched

    def _employee(self, employee_id: str) -> bool:
        rows = self.rows["EmployeeCollection"].values()
        return any(row.get("EmployeeID") == employee_id for row in rows)

    def _remember(self, set_name: str, object_id: str, previous: dict[str, Any] | None) -> None:
        if self._undo is not None:
            self._undo.append((set_name, object_id, previous))

    def _stamp(self, row: dict[str, Any]) -> datetime:
        now = datetime.now(UTC)
        self._clock = max(now, self._clock + timedelta(microseconds=1))
        row["EntityLastChangedOn"] = row["ETag"] = self._clock
        return self._clock

    def _refuse_read_only(self, object_id: str, verb: str) -> None:
        if object_id in self.read_only:
            raise ODataError(
                403, errors.READ_ONLY, f"Object is read-only and cannot be {verb}", "ObjectID"
            )

    def _validate(
        self, entity_set: EntitySet, payload: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        problems: list[tuple[str, str, str]] = []
        for name, value in payload.items():
            if name == "__metadata":
                continue
            item = entity_set.field(name)
            if item is None:
                raise ODataError(
                    400, errors.BAD_REQUEST,
                    f"Property '{name}' is invalid for entity type '{entity_set.type_name}'", name,
                )  # fmt: skip
            if not (item.creatable if creating else item.updatable):
                problems.append((errors.NOT_EDITABLE, f"Field '{name}' cannot be changed", name))
                continue
            values[name] = self._convert(item, value, problems)
        for item in entity_set.fields:
            if not (item.required and item.creatable):
                continue
            missing = values.get(item.name, None if creating else "present") in (None, "")
            if missing:
                problems.append(
                    (errors.MANDATORY, f"Mandatory field '{item.name}' is not filled", item.name)
                )
        if problems:
            code, message, target = problems[0]
            raise ODataError(400, code, message, target, problems)
        return values

    def _convert(self, item: Field, value: Any, problems: list[tuple[str, str, str]]) -> Any:
        if value is None:
            return None
        if item.type == "Edm.DateTimeOffset":
            return parse_datetime(value, item.name)
        if item.type == "Edm.Boolean":
            if not isinstance(value, bool):
                raise ODataError(
                    400, errors.BAD_FORMAT, f"Invalid value for '{item.name}'", item.name
                )
            return value
        if not isinstance(value, str):
            raise ODataError(400, errors.BAD_FORMAT, f"Invalid value for '{item.name}'", item.name)
        if item.max_length is not None and len(value) > item.max_length:
            problems.append(
                (
                    errors.TOO_LONG,
                    f"Value of field '{item.name}' exceeds the maximum length of"
                    f" {item.max_length} characters",
                    item.name,
                )
            )
        if item.employee and value and not self._employee(value):
            problems.append((errors.UNKNOWN_PARTY, f"Employee '{value}' does not exist", item.name))
        if item.code_list and value and value not in CODE_LISTS[item.code_list]:
            problems.append(
                (errors.INVALID_CODE, f"Code '{value}' is not valid for field '{item.name}'",
                 item.name)
            )  # fmt: skip
        return value

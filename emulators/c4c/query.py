"""The C4C subset of OData V2 query options: ``$filter``, ``$orderby`` and ``$select``.

``$filter`` knows comparisons (``eq ne gt ge lt le``), ``and``, ``or`` between conditions on one
property only, ``startswith(Property,'text')`` and the literals C4C accepts (``'text'``,
``datetimeoffset'...'``, ``datetime'...'``, ``true``/``false``, ``null``). Anything else is a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from emulators.c4c import errors
from emulators.c4c.errors import ODataError
from emulators.c4c.schema import EntitySet

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<dt>datetime(?:offset)?'[^']*')|(?P<str>'(?:[^']|'')*')|(?P<punct>[(),])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<num>-?\d+(?:\.\d+)?))"
)
_COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and a > b,
    "ge": lambda a, b: a is not None and a >= b,
    "lt": lambda a, b: a is not None and a < b,
    "le": lambda a, b: a is not None and a <= b,
}


def _invalid(text: str) -> ODataError:
    return ODataError(400, errors.BAD_REQUEST, f"Invalid filter expression: '{text}'")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _invalid(text)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, entity_set: EntitySet, text: str) -> None:
        self.entity_set = entity_set
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("", "")

    def take(self, value: str | None = None) -> str:
        kind, token = self.peek()
        if not kind or (value is not None and token != value):
            raise _invalid(self.text)
        self.position += 1
        return token

    def parse(self) -> Predicate:
        predicate, _ = self.expression()
        if self.position != len(self.tokens):
            raise _invalid(self.text)
        return predicate

    def expression(self) -> tuple[Predicate, set[str]]:
        predicate, properties = self.conjunction()
        while self.peek() == ("word", "or"):
            self.take()
            right, right_properties = self.conjunction()
            properties = properties | right_properties
            if len(properties) > 1:
                raise ODataError(
                    400, errors.BAD_REQUEST,
                    "Operator 'or' is only supported between conditions on the same property",
                )  # fmt: skip
            predicate = _either(predicate, right)
        return predicate, properties

    def conjunction(self) -> tuple[Predicate, set[str]]:
        predicate, properties = self.condition()
        while self.peek() == ("word", "and"):
            self.take()
            right, right_properties = self.condition()
            properties = properties | right_properties
            predicate = _both(predicate, right)
        return predicate, properties

    def condition(self) -> tuple[Predicate, set[str]]:
        if self.peek() == ("punct", "("):
            self.take()
            result = self.expression()
            self.take(")")
            return result
        if self.peek() == ("word", "startswith"):
            self.take()
            self.take("(")
            name = self.property_name()
            self.take(",")
            prefix = self.literal(name)
            self.take(")")
            if not isinstance(prefix, str):
                raise _invalid(self.text)
            if self.peek() == ("word", "eq"):
                self.take()
                self.take("true")
            return _starts(name, prefix.lower()), {name}
        name = self.property_name()
        operator = self.take()
        if operator not in _COMPARE:
            raise _invalid(self.text)
        return _compare(name, _COMPARE[operator], self.literal(name)), {name}

    def property_name(self) -> str:
        kind, name = self.peek()
        if kind != "word" or self.entity_set.field(name) is None:
            raise ODataError(
                400, errors.BAD_REQUEST,
                f"Property '{name}' not found in type '{self.entity_set.type_name}'",
            )  # fmt: skip
        self.take()
        return name

    def literal(self, name: str) -> Any:
        kind, token = self.peek()
        self.take()
        field = self.entity_set.field(name)
        assert field is not None
        expected = field.type
        if kind == "dt" and expected == "Edm.DateTimeOffset":
            raw = token[token.index("'") + 1 : -1]
            try:
                value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError as error:
                raise _invalid(self.text) from error
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if kind == "str" and expected == "Edm.String":
            return token[1:-1].replace("''", "'")
        if kind == "word" and token in ("true", "false") and expected == "Edm.Boolean":
            return token == "true"
        if kind == "word" and token == "null":
            return None
        raise ODataError(
            400, errors.BAD_REQUEST, f"Invalid literal {token} for property '{name}' ({expected})"
        )


def _either(left: Predicate, right: Predicate) -> Predicate:
    return lambda row: left(row) or right(row)


def _both(left: Predicate, right: Predicate) -> Predicate:
    return lambda row: left(row) and right(row)


def _starts(name: str, prefix: str) -> Predicate:
    return lambda row: isinstance(row.get(name), str) and row[name].lower().startswith(prefix)


def _compare(name: str, operator: Callable[[Any, Any], bool], value: Any) -> Predicate:
    return lambda row: operator(row.get(name), value)


def parse_filter(entity_set: EntitySet, text: str) -> Predicate:
    """Compile a ``$filter`` expression into a row predicate.

    Args:
        entity_set: the set being read (property names and types are checked against it).
        text: the ``$filter`` value.

    Returns:
        A function telling whether a stored row matches.

    Raises:
        ODataError: 400 for anything C4C would not accept.
    """
    return _Parser(entity_set, text).parse()


def parse_select(entity_set: EntitySet, text: str) -> list[str] | None:
    """The properties named in ``$select`` (``None`` for all); unknown names are a 400."""
    if not text or text.strip() == "*":
        return None
    names = [name.strip() for name in text.split(",")]
    navigation = {nav.name for nav in entity_set.navigations}
    for name in names:
        if entity_set.field(name) is None and name not in navigation:
            raise ODataError(
                400, errors.BAD_REQUEST,
                f"Property '{name}' not found in type '{entity_set.type_name}'",
            )  # fmt: skip
    return names


def sort_rows(entity_set: EntitySet, rows: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Rows in ``$orderby`` order (``Name desc, City``); nulls sort first, as in C4C."""
    for clause in reversed([part.strip() for part in text.split(",") if part.strip()]):
        name, _, direction = clause.partition(" ")
        direction = direction.strip() or "asc"
        if entity_set.field(name) is None or direction not in ("asc", "desc"):
            raise ODataError(400, errors.BAD_REQUEST, f"Invalid $orderby clause '{clause}'")
        rows.sort(
            key=lambda row, name=name: (row.get(name) is not None, row.get(name) or ""),
            reverse=direction == "desc",
        )
    return rows

"""Values between the form's text and C4C: input kinds, formatting and parsing (pure).

The form speaks text: dates as ``YYYY-MM-DD``, date-times as ``YYYY-MM-DDTHH:MM`` in the
reader's time zone (``zone``; UTC unless given), booleans as ``true``/``false``. C4C values are
Python objects as the C4C client reads them (aware datetimes, booleans, strings).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.crm.metadata import FieldDefinition

NUMBER_TYPES = frozenset(
    {"Edm.Decimal", "Edm.Double", "Edm.Single", "Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte"}
)
INTEGER_TYPES = frozenset({"Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte"})
TRUE, FALSE = frozenset({"true", "on", "1", "yes"}), frozenset({"false", "off", "0", "no", ""})
EMAIL_SHAPE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]{2,}$")


def field_kind(definition: FieldDefinition) -> str:
    """The input kind of a property: from its EDM type, its code list and its name.

    Args:
        definition: the property from ``$metadata``.

    Returns:
        ``code``, ``boolean``, ``number``, ``date``, ``datetime``, ``email`` or ``text``.
    """
    if definition.code_list:
        return "code"
    if definition.type == "Edm.Boolean":
        return "boolean"
    if definition.type in NUMBER_TYPES:
        return "number"
    if definition.type == "Edm.DateTime":
        return "date"
    if definition.type == "Edm.DateTimeOffset":
        return "datetime"
    if definition.name == "Email" or definition.name.endswith("Email"):
        return "email"
    return "text"


def format_value(value: Any, kind: str, zone: tzinfo = UTC) -> str:
    """A C4C value as the form shows it.

    Args:
        value: the value (``None`` for empty).
        kind: the field's input kind.
        zone: the reader's time zone, for a date and time (a date is a day, in no zone).

    Returns:
        The text; seconds appear only when the time has some.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = as_utc(value)
        if kind == "date":
            return moment.date().isoformat()
        moment = moment.astimezone(zone)
        return moment.strftime("%Y-%m-%dT%H:%M" if moment.second == 0 else "%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_datetime(text: str, zone: tzinfo = UTC) -> datetime:
    """A date-time typed as ``YYYY-MM-DDTHH:MM[:SS]`` in ``zone`` (or with a space, or in UTC
    with a ``Z``, or with its own offset), in UTC.

    Raises:
        ValueError: when it is not one.
    """
    moment = datetime.fromisoformat(text.strip().replace(" ", "T").replace("Z", "+00:00"))
    return as_utc(moment.replace(tzinfo=zone) if moment.tzinfo is None else moment)


def parse_date(text: str) -> datetime:
    """A date typed as ``YYYY-MM-DD``, as C4C keeps an ``Edm.DateTime`` date: midnight UTC.

    Raises:
        ValueError: when it is not one.
    """
    return datetime.combine(date.fromisoformat(text.strip()), time(0, 0), tzinfo=UTC)


def parse_number(text: str, edm_type: str) -> int | float | str:
    """A number as C4C's JSON carries it: integers as numbers, decimals as strings.

    Raises:
        ValueError: when it is not a number.
    """
    try:
        number = Decimal(text.strip())
    except InvalidOperation as error:
        raise ValueError(text) from error
    if not number.is_finite():
        raise ValueError(text)
    if edm_type in INTEGER_TYPES:
        if number != number.to_integral_value():
            raise ValueError(text)
        return int(number)
    if edm_type in ("Edm.Double", "Edm.Single"):
        return float(number)
    return str(number)


def to_c4c_value(text: str, kind: str, edm_type: str, zone: tzinfo = UTC) -> Any:
    """The C4C value of a checked field's text (``None`` when empty).

    Args:
        text: what was typed, already checked.
        kind: the field's input kind.
        edm_type: its EDM type.
        zone: the time zone a date and time was typed in.

    Returns:
        A string, number, boolean or aware datetime.
    """
    text = text.strip()
    if kind == "boolean":
        return text.lower() in TRUE
    if not text:
        return None
    if kind == "number":
        return parse_number(text, edm_type)
    if kind == "date":
        return parse_date(text)
    if kind == "datetime":
        return parse_datetime(text, zone)
    return text

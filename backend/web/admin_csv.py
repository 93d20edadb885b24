"""The issues CSV export: one line per issue, written as the rows arrive.

A cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) is prefixed with a single quote, so an item title typed by anyone
cannot run in the key user's spreadsheet.

The header and the codes stay English whatever the reader's language: the file is data for
spreadsheets and scripts, whose columns must not change with who exported it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from backend.models import Issue
from backend.presenters import title_hidden

HEADER = (
    "id",
    "user_email",
    "user_name",
    "mailbox",
    "item_type",
    "code",
    "title",
    "message",
    "source",
    "direction",
    "operation",
    "backend_code",
    "http_status",
    "occurrences",
    "first_seen_utc",
    "last_seen_utc",
    "resolved_at_utc",
    "resolution",
    "c4c_object_id",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value``, with a leading quote if it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def issue_cells(row: Any, hide_title: bool) -> list[object]:
    """The cells of one row of ``issue_query`` (title and message blank when hidden: SAP's
    message may quote the item's values)."""
    issue: Issue = row.Issue
    cells: list[object] = [
        issue.id,
        row.user_email or "",
        row.user_name or "",
        row.mailbox_address,
        issue.item_type or "",
        issue.code,
        "" if hide_title else issue.title or "",
        "" if hide_title else issue.backend_message or "",
        issue.source,
        issue.direction or "",
        issue.operation or "",
        issue.backend_code or "",
        issue.http_status if issue.http_status is not None else "",
        issue.occurrences,
        _utc(issue.first_seen_at),
        _utc(issue.last_seen_at),
        _utc(issue.resolved_at),
        issue.resolution or "",
        issue.c4c_object_id or "",
    ]
    return [neutralise(_plain(cell)) for cell in cells]


def csv_lines(rows: Iterable[Any], viewer_id: int, hide_other_users_titles: bool) -> Iterator[str]:
    """The header line, then one line per row of ``issue_query``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Iterable[object]) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(HEADER)
    for row in rows:
        hidden = title_hidden(row.Issue, viewer_id, hide_other_users_titles)
        yield line(issue_cells(row, hidden))


def _plain(value: object) -> object:
    """Enum members as their value, so cells read ``NEEDS_INPUT`` whatever the enum type."""
    return getattr(value, "value", value)


def _utc(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

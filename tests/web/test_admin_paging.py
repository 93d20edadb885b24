"""Numbered pages of the admin listings."""

from __future__ import annotations

import pytest

from backend.web.admin_paging import Page


@pytest.mark.parametrize(
    ("number", "total", "size", "expected"),
    [(1, 0, 50, 1), (3, 120, 50, 3), (9, 120, 50, 3), (9, 120, 25, 5), (2, 10, 5, 2)],
)
def test_a_page_past_the_end_is_the_last_one(number, total, size, expected) -> None:
    page = Page.within(number, total, size)
    assert (page.number, page.size) == (expected, size)


def test_rows_of_a_page() -> None:
    page = Page.within(3, 60, 25)
    assert (page.offset, page.first_row, page.last_row, page.pages) == (50, 51, 60, 3)
    assert page.has_previous and not page.has_next

"""Numbered pages of an admin listing (offset paging: a tenant's rows are few enough)."""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """Page ``number`` (from 1) of a listing of ``total`` rows, ``size`` per page."""

    number: int
    total: int
    size: int = PAGE_SIZE

    @classmethod
    def within(cls, number: int, total: int, size: int = PAGE_SIZE) -> Page:
        """Page ``number``, or the last page if the listing has fewer."""
        last = max(1, -(-total // size))
        return cls(min(number, last), total, size)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_row(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_row(self) -> int:
        return min(self.total, self.offset + self.size)

"""The admin audit log: filters, the page query, and details in words.

Actions, objects and detail names are codes, shown as stored; a yes or no reads in the
reader's language.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Select, func, select

from backend.models import AuditEvent
from backend.web.admin_paging import PAGE_SIZE


class AuditFilter(BaseModel):
    """The audit log's filters (blank means not given); ``actor`` matches part of an e-mail."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    action: str = Field(default="", max_length=64)
    actor: str = Field(default="", max_length=320)
    page: int = Field(default=1, ge=1, le=100_000)

    @field_validator("action", "actor", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    def query_args(self, page: int | None = None) -> dict[str, str | int]:
        args: dict[str, str | int] = {"action": self.action, "actor": self.actor}
        args["page"] = page or self.page
        return {name: value for name, value in args.items() if value not in ("", 1)}


def audit_query(tenant_id: int, filters: AuditFilter) -> Select[Any]:
    """A page of the tenant's audit events, newest first, each with the total that match."""
    statement = select(AuditEvent, func.count().over().label("total")).where(
        AuditEvent.tenant_id == tenant_id
    )
    if filters.action:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.actor:
        statement = statement.where(
            func.lower(AuditEvent.actor).contains(filters.actor.lower(), autoescape=True)
        )
    return (
        statement.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((filters.page - 1) * PAGE_SIZE)
    )


def actions_query(tenant_id: int) -> Select[tuple[str]]:
    """The actions that occur in the tenant's log, for the filter."""
    return (
        select(AuditEvent.action)
        .where(AuditEvent.tenant_id == tenant_id)
        .distinct()
        .order_by(AuditEvent.action)
    )


def detail_lines(details: dict[str, Any]) -> list[tuple[str, str]]:
    """An event's details as ``(name, text)`` pairs; changed settings as ``old → new``."""
    lines: list[tuple[str, str]] = []
    for name, value in details.items():
        if name == "changes" and isinstance(value, dict):
            lines.extend(
                (key, f"{_text(change.get('old'))} → {_text(change.get('new'))}")
                for key, change in value.items()
                if isinstance(change, dict)
            )
        else:
            lines.append((name, _text(value)))
    return lines


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)

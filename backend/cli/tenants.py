"""``flask tenant directories``: name the directories a tenant's people sign in from.

Key users change them in the admin settings once signed in; this is for the operator, for a
tenant nobody of which can sign in yet (a new one, or one from before directories existed).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from pydantic import ValidationError
from sqlalchemy import select

from backend.actions.audit import record_audit
from backend.extensions import resources
from backend.models import Tenant
from backend.models.tenant import TenantSettings

tenant = AppGroup("tenant", help="Tenants.")


@tenant.command(help="Show or set the directories SLUG's people sign in from.")
@click.argument("slug")
@click.option(
    "--entra-tenant-id",
    "entra",
    multiple=True,
    help="A Microsoft Entra tenant id (repeatable); replaces the list.",
)
@click.option("--google-domain", "google", multiple=True,
              help="A Google Workspace domain (repeatable); replaces the list.")  # fmt: skip
def directories(slug: str, entra: tuple[str, ...], google: tuple[str, ...]) -> None:
    session = resources().session_factory()
    try:
        found = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
        if found is None:
            raise click.ClickException(f"no tenant {slug!r}")
        config = found.config
        updates: dict[str, list[str]] = {}
        if entra:
            updates["entra_tenant_ids"] = list(entra)
        if google:
            updates["google_domains"] = list(google)
        if updates:
            old = {"entra_tenant_ids": config.entra_tenant_ids,
                   "google_domains": config.google_domains}  # fmt: skip
            try:
                config = TenantSettings.model_validate({**config.model_dump(), **updates})
            except ValidationError as error:
                problem = error.errors()[0]["msg"].removeprefix("Value error, ")
                raise click.ClickException(problem) from None
            found.config = config
            new = {"entra_tenant_ids": config.entra_tenant_ids,
                   "google_domains": config.google_domains}  # fmt: skip
            record_audit(session, tenant_id=found.id, actor=None, action="tenant.directories",
                         target_type="tenant", target_id=str(found.id),
                         details={"old": old, "new": new})  # fmt: skip
            session.commit()
        click.echo(f"{found.name}: Microsoft Entra tenant ids: "
                   f"{', '.join(config.entra_tenant_ids) or '(none)'}; Google Workspace domains: "
                   f"{', '.join(config.google_domains) or '(none)'}")  # fmt: skip
    finally:
        session.close()

"""``flask gmail-addon deployment --base-url URL``: the Gmail add-on's deployment descriptor."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from backend.extensions import resources
from backend.gmail_addon.deployment import render


@click.group("gmail-addon", help="The Gmail add-on.")
def gmail_addon() -> None:
    pass


@gmail_addon.command(help="Print the deployment descriptor with every URL under --base-url.")
@click.option("--base-url", required=True, help="Public https URL of this server.")
@with_appcontext
def deployment(base_url: str) -> None:
    development = not resources().settings.is_production
    try:
        click.echo(json.dumps(render(base_url, allow_http=development), indent=2))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--base-url") from None

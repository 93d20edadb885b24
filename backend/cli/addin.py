"""``flask addin manifest --base-url URL``: the Outlook add-in manifest for one deployment."""

from __future__ import annotations

import click

from backend.addin.manifest import render_manifest


@click.group(help="The Outlook add-in.")
def addin() -> None:
    pass


@addin.command(help="Print the add-in manifest with every URL under --base-url.")
@click.option("--base-url", required=True, help="Public https URL of this server.")
def manifest(base_url: str) -> None:
    try:
        click.echo(render_manifest(base_url), nl=False)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--base-url") from None

"""``flask`` commands: database, keys, jobs, tenants and demo data."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from backend.cli.addin import addin
    from backend.cli.db import db
    from backend.cli.doctor import doctor
    from backend.cli.gmail_addon import gmail_addon
    from backend.cli.jobs import scheduler, worker
    from backend.cli.keys import keys
    from backend.cli.serve import serve
    from backend.cli.sync import issues_group, sync
    from backend.cli.tenants import tenant
    from backend.cli.users import users
    from backend.demo.runner import demo, seed

    commands = (addin, gmail_addon, db, keys, worker, scheduler, demo, seed, sync, issues_group,
                tenant, users, serve, doctor)  # fmt: skip
    for command in commands:
        app.cli.add_command(command)

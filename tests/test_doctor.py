"""``flask doctor`` names what is wrong with an installation in plain words and exits 1; on a
healthy one it says so and exits 0. Nothing secret is printed."""

from __future__ import annotations

import time
from dataclasses import replace

from rq import Worker

from backend.jobs import metrics, queues
from backend.storage import schema
from tests.support.world import C4C_PASSWORD, C4C_USER


def test_a_healthy_installation_has_nothing_to_fix_and_a_broken_one_is_named(
    runner, session, resources, tenant, c4c, mail_server
) -> None:
    metrics.tick(resources.redis)
    worker = Worker([queues.SYNC], connection=resources.redis, name="doctor-worker")
    worker.register_birth()
    worker.heartbeat()
    try:
        healthy = runner.invoke(args=["doctor"])
        assert healthy.exit_code == 0, healthy.output
        assert "Nothing to fix." in healthy.output
        assert "ok   contoso: SAP: works" in healthy.output
        _current, newest = schema.revisions(resources.engine)
        assert f"ok   migrations: at {newest}, newest {newest}" in healthy.output

        c4c.service.security.users[C4C_USER] = "rotated-in-sap"
        metrics.tick(resources.redis, time.time() - 600)
        broken = runner.invoke(args=["doctor"])
    finally:
        worker.register_death()
    assert broken.exit_code == 1
    assert ("FIX  contoso: SAP: Sign-in: SAP refused the user name or password of the "
            "integration user.") in broken.output  # fmt: skip
    assert "FIX  scheduler: due mailboxes were last looked for 600 s ago" in broken.output
    assert "2 thing(s) to fix." in broken.output
    assert C4C_PASSWORD not in broken.output and "rotated-in-sap" not in broken.output


def test_unreachable_mail_and_missing_workers_are_said(runner, resources) -> None:
    resources.settings = replace(resources.settings, smtp_port=1)
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "FIX  mail server: 127.0.0.1:1: ConnectionRefusedError" in result.output
    assert "FIX  workers: no worker is running" in result.output
    assert "ok   companies: none yet" in result.output

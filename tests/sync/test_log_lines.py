"""Log lines as JSON (``LOG_FORMAT=json``): one object per line, every line of a run naming its
run, mailbox and tenant, secrets redacted as in the text format."""

from __future__ import annotations

import io
import json
import logging

from backend.logs import REDACTED, bind, handler_for
from backend.models.run import RunOutcome
from emulators.c4c import C4CEmulator


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_line_is_one_json_object_with_its_context_and_no_secret(app) -> None:
    """(The app installs the redaction of every record, as it does in every process.)"""
    stream = io.StringIO()
    logger = logging.getLogger("tests.json_lines")
    handler = handler_for(stream, "json")
    logger.addHandler(handler)
    try:
        with bind(run=7, mailbox=3, tenant=1):
            logger.warning("login with password=%s failed", "hunter2")
        try:
            raise ValueError("token=abc123 was refused")
        except ValueError:
            logger.exception("it broke")
    finally:
        logger.removeHandler(handler)
    first, second = _lines(stream)
    assert {key: first[key] for key in ("level", "logger", "run", "mailbox", "tenant")} == {
        "level": "WARNING", "logger": "tests.json_lines", "run": 7, "mailbox": 3, "tenant": 1
    }  # fmt: skip
    assert first["message"] == f"login with password={REDACTED} failed"
    assert first["time"].endswith("+00:00")
    assert "run" not in second, "the context ends with its block"
    assert "ValueError" in second["exception"] and "abc123" not in second["exception"]


def test_every_line_of_a_run_names_the_run_its_mailbox_and_tenant(
    tenant, mailbox, owner, c4c: C4CEmulator, sync_now
) -> None:
    owner.add_contact("Jane", "Doe", email="jane@fabrikam.test")
    c4c.go_down()
    stream = io.StringIO()
    handler = handler_for(stream, "json")
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        run = sync_now()
    finally:
        root.removeHandler(handler)
        c4c.come_back()
    assert run.outcome is RunOutcome.FAILED
    lines = [line for line in _lines(stream) if line["logger"].startswith("backend.")]
    assert lines, "the run logged something"
    for line in lines:
        assert (line["run"], line["mailbox"], line["tenant"]) == (run.id, mailbox.id, tenant.id)

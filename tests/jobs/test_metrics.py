"""``/metrics`` for Prometheus: what the runs did (kept in Redis by the process that ran them,
whatever it is) and what is true now, behind a bearer token; ``/readyz`` fails while no worker
is alive or the scheduler stopped looking for due mailboxes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from rq import Worker

from backend.jobs import metrics, queues
from backend.jobs.runtime import use_app
from backend.jobs.schedule import enqueue_due_mailboxes
from backend.jobs.sync import locked_run
from backend.models import Issue, Mailbox, Run
from backend.models.issue import Source
from backend.models.run import RunOutcome, Trigger
from backend.models.types import IssueCode, ItemType
from backend.storage.db import utcnow

TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"METRICS_TOKEN": TOKEN, "READYZ_JOBS": "true"}


def scrape(client) -> dict[str, dict[tuple, float]]:
    """The samples of ``/metrics`` by name, each by its labels."""
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_a_scheduled_run_is_counted_with_its_lag_and_the_present_is_read_at_scrape_time(
    client, session, resources, tenant, mailbox, c4c
) -> None:
    session.query(Mailbox).update({"next_sync_at": utcnow() + timedelta(hours=1)})
    mailbox.next_sync_at = utcnow() - timedelta(seconds=40)
    session.commit()
    run = locked_run(resources, session, mailbox.id, Trigger.SCHEDULE)
    assert run is not None and run.outcome is RunOutcome.SUCCEEDED
    assert 39 <= (run.started_at - run.due_at).total_seconds() < 60

    seen = scrape(client)
    exchange = (("mail_system", "EXCHANGE"),)
    assert seen["ssi_sync_runs_total"][(("mail_system", "EXCHANGE"), ("outcome", "SUCCEEDED"))] == 1
    assert seen["ssi_sync_lag_seconds_count"][exchange] == 1
    assert 39 <= seen["ssi_sync_lag_seconds_sum"][exchange] < 60
    assert seen["ssi_sync_lag_seconds_bucket"][(("le", "30.0"), *exchange)] == 0
    assert seen["ssi_sync_lag_seconds_bucket"][(("le", "60.0"), *exchange)] == 1
    assert seen["ssi_sync_run_seconds_count"][exchange] == 1
    per_service = seen["ssi_sync_requests_total"]
    assert set(per_service) == {(("service", "EWS"),), (("service", "C4C"),)}
    assert sum(per_service.values()) == run.requests > 0
    assert per_service[(("service", "EWS"),)] > 0, "the mailbox was read"
    assert seen["ssi_sync_queue_depth"][(("queue", queues.SYNC),)] == 0
    assert seen["ssi_sync_workers"][()] == 0
    assert seen["ssi_sync_due_mailboxes"][()] == 0, "it ran: due again in an interval"
    assert seen["ssi_sync_mailboxes"][(("status", "ACTIVE"),)] >= 1


def test_failures_open_issues_and_circuits_are_shown(
    client, session, resources, tenant, mailbox, c4c
) -> None:
    locked_run(resources, session, mailbox.id, Trigger.SCHEDULE)  # the first run reads no C4C
    c4c.service.security.users["SYNC_USER"] = "rotated"
    run = locked_run(resources, session, mailbox.id, Trigger.FORCED)
    assert run is not None and run.outcome is RunOutcome.FAILED and run.due_at is None
    session.add(Issue(tenant_id=tenant.id, mailbox_id=mailbox.id, item_type=ItemType.CONTACT,
                      item_key="c-1", code=IssueCode.NEEDS_INPUT, source=Source.C4C))  # fmt: skip
    session.add(Issue(tenant_id=tenant.id, mailbox_id=mailbox.id, item_type=ItemType.CONTACT,
                      item_key="c-2", code=IssueCode.NEEDS_INPUT, source=Source.C4C,
                      resolved_at=utcnow()))  # fmt: skip
    session.commit()
    resources.redis.hset(f"ssi:circuit:{tenant.id}:EWS", mapping={"until": "1", "since": "1"})
    seen = scrape(client)
    assert seen["ssi_sync_failures_total"][(("classification", "AUTH"), ("service", "C4C"))] == 1
    assert seen["ssi_sync_runs_total"][(("mail_system", "EXCHANGE"), ("outcome", "FAILED"))] == 1
    assert seen["ssi_sync_circuit_open"][(("service", "EWS"), ("tenant", str(tenant.id)))] == 1
    assert seen["ssi_sync_open_issues"][(("code", "NEEDS_INPUT"), ("item_type", "CONTACT"))] == 1


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": TOKEN}, 401),
        ({"Authorization": f"Basic {TOKEN}"}, 401),
    ],
)
def test_metrics_need_the_token(client, headers, status) -> None:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == status and "ssi_sync" not in answer.get_data(as_text=True)


def test_without_a_token_there_are_no_metrics(tmp_path, database_url, redis_url) -> None:
    from backend import create_app

    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url,
                      "INSTANCE_PATH": str(tmp_path / "instance")})  # fmt: skip
    assert app.test_client().get("/metrics").status_code == 404


def test_readyz_fails_without_a_worker_or_a_tick_and_recovers(app, client, resources) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"] == {"database": "ok", "redis": "ok", "workers": "failing",
                                           "scheduler": "failing"}  # fmt: skip
    use_app(app)
    enqueue_due_mailboxes()  # a tick
    worker = Worker([queues.SYNC], connection=resources.redis, name="test-worker")
    worker.register_birth()
    worker.heartbeat()
    try:
        assert client.get("/readyz").status_code == 200
        metrics.tick(resources.redis, time.time() - 91)
        stale = client.get("/readyz")
        assert stale.status_code == 503 and stale.get_json()["checks"]["scheduler"] == "failing"
    finally:
        worker.register_death()


def test_a_redis_that_does_not_answer_loses_the_counts_not_the_run(caplog) -> None:
    run = Run(id=7, outcome=RunOutcome.SUCCEEDED, started_at=utcnow(), finished_at=utcnow(),
              items_read=1, created=0, updated=0, deleted=0, requests=3)  # fmt: skip
    gone = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    metrics.record_run(gone, run, "EXCHANGE")
    assert "metrics of run 7 not kept" in caplog.text

"""The demo's Contoso scenario, synced once: what a newcomer sees in the dashboard."""

from __future__ import annotations

import pytest

from backend.models.run import RunOutcome
from backend.models.tenant import ConflictPolicy
from backend.models.types import ItemType
from backend.sync import issues as issue_service
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_contoso as seed_c4c
from emulators.ews.seed import seed_contoso as seed_exchange
from emulators.google.seed import seed_contoso as seed_gmail
from emulators.graph.seed import seed_contoso as seed_graph
from tests.support.world import ADDRESS, GRAPH_TOKEN, TOKEN


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("exchange", {("NEEDS_INPUT", "CONTACT", "Mia"),
                      ("NEEDS_INPUT", "EMAIL", "Partnership idea"),
                      ("FORBIDDEN", "ACCOUNT", "Northwind Traders")}),
        ("graph", {("NEEDS_INPUT", "CONTACT", "Lena"),
                   ("NEEDS_INPUT", "EMAIL", "Trade fair leads"),
                   ("FORBIDDEN", "ACCOUNT", "Northwind Traders")}),
        ("gmail", {("NEEDS_INPUT", "CONTACT", "Lena"),
                   ("NEEDS_INPUT", "EMAIL", "Trade fair leads"),
                   ("NEEDS_INPUT", "TASK", None),
                   ("NEEDS_INPUT", "APPOINTMENT", None),
                   ("FORBIDDEN", "ACCOUNT", "Northwind Traders")}),
    ],
)  # fmt: skip
def test_the_first_sync_of_the_demo_meets_an_issue_of_each_kind(
    request, kind, expected, c4c: C4CEmulator, sync_now, session, tenant, mailbox
) -> None:
    config = tenant.config  # as the demo tenant: the mailbox's edits of accounts win
    config.item_types[ItemType.ACCOUNT].conflict_policy = ConflictPolicy.MAILBOX_WINS
    tenant.config = config
    session.commit()
    seed_c4c(c4c.service.store)
    if kind == "gmail":
        seed_gmail(request.getfixturevalue("google").store, ADDRESS, TOKEN)
    elif kind == "graph":
        seed_graph(request.getfixturevalue("graph").store, ADDRESS, GRAPH_TOKEN)
    else:
        seed_exchange(request.getfixturevalue("ews").store.mailbox(ADDRESS))
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    found = {
        (issue.code.value, issue.item_type.value, issue.title)
        for issue in issue_service.open_issues(session, mailbox.id)
    }
    assert found == expected

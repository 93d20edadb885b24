"""The admin users table and its bulk actions: who may use them, what they change, the audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import url_for
from rq import Queue
from sqlalchemy import select

from backend.jobs import queues
from backend.models import AuditEvent, Issue, Mailbox, User
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus
from backend.models.types import IssueCode
from backend.models.user import Role
from backend.storage.db import utcnow
from backend.sync.engine import MASS_CHANGE_CODE
from backend.web.admin_users import status_pill
from tests.support import factories
from tests.support.statements import statements_run
from tests.support.web import csrf_token, sign_in


def _mailbox(session, resources, tenant, email: str, **state) -> Mailbox:
    box = factories.mailbox(session, resources.cipher, tenant, email)
    for name, value in state.items():
        setattr(box, name, value)
    session.commit()
    return box


def _bulk(client, action: str, *boxes: Mailbox, **extra):
    """The bulk form as the page sends it, confirmed in its dialog when the action asks."""
    data = {"csrf_token": csrf_token(client, "/admin/"), "action": action, "confirmed": "yes",
            **extra}  # fmt: skip
    data["mailbox_id"] = [str(box.id) for box in boxes]
    return client.post("/admin/bulk", data=data, follow_redirects=True)


def _audit(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _row(page: str, user_id: int) -> str:
    found = re.search(rf'<tr id="user-{user_id}">(.*?)</tr>', page, re.S)
    assert found, f"no row of user {user_id}"
    return found.group(1)


@pytest.mark.parametrize(
    ("status", "importing", "label", "tone"),
    [
        (HealthStatus.ACTIVE, False, "Synced", "ok"),
        (HealthStatus.NOT_SYNCED, True, "Importing", "busy"),
        (HealthStatus.NOT_SYNCED, False, "Not synced yet", "busy"),
        (HealthStatus.PAUSED, False, "Paused", "muted"),
        (HealthStatus.FAILED_AUTH, False, "Needs re-activation", "error"),
        (HealthStatus.FAILED_UNKNOWN, False, "Sync failed", "error"),
        (HealthStatus.DISABLED, False, "Disabled", "warn"),
    ],
)
def test_status_pills(status, importing, label, tone) -> None:
    pill = status_pill(status, importing)
    assert (pill.label, pill.tone) == (label, tone)


def test_every_admin_route_refuses_a_plain_user(app, client, session, resources, tenant) -> None:
    anna = _mailbox(session, resources, tenant, "anna@contoso.test")
    sign_in(app, client, session.get(User, anna.user_id))
    token = csrf_token(client)
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]
    endpoints = {rule.endpoint for rule in rules}
    assert {"admin.users", "admin.bulk", "admin.issues", "admin.issues_csv"} <= endpoints
    assert {"admin.settings", "admin.save_settings", "admin.audit"} <= endpoints
    for rule in rules:
        with app.test_request_context():
            path = url_for(rule.endpoint, **{name: 1 for name in rule.arguments})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            answer = client.open(path, method=method, data={"csrf_token": token})
            assert answer.status_code == 403, (method, path)
    session.refresh(anna)
    assert anna.status is HealthStatus.NOT_SYNCED


def test_admin_asks_to_sign_in_first(client) -> None:
    answer = client.get("/admin/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_users_table_shows_each_user_with_status_counts_and_times(
    client, kim, session, resources, tenant
) -> None:
    synced = utcnow() - timedelta(hours=2)
    anna = _mailbox(session, resources, tenant, "anna@contoso.test",
                    status=HealthStatus.ACTIVE, last_synced_at=synced)  # fmt: skip
    ben = _mailbox(session, resources, tenant, "ben@contoso.test",
                   status=HealthStatus.FAILED_AUTH, status_reason="revoked",
                   consecutive_failures=3)  # fmt: skip
    cara = _mailbox(session, resources, tenant, "cara@contoso.test", status=HealthStatus.DISABLED)
    for key in ("mbx:1", "mbx:2"):
        session.add(Issue(tenant_id=tenant.id, user_id=ben.user_id, mailbox_id=ben.id,
                          item_key=key, code=IssueCode.NEEDS_INPUT, source=Source.C4C))  # fmt: skip
    session.add(Issue(tenant_id=tenant.id, user_id=ben.user_id, mailbox_id=ben.id, item_key="mbx:3",
                      code=IssueCode.UNKNOWN, source=Source.C4C, resolved_at=utcnow()))  # fmt: skip
    session.commit()

    page = client.get("/admin/").get_data(as_text=True)
    row = _row(page, anna.user_id)
    assert "anna@contoso.test" in row and ">Synced<" in row and "Exchange" in row
    assert synced.strftime("%d %b %Y, %H:%M") in row
    row = _row(page, ben.user_id)
    assert ">Needs re-activation<" in row and "revoked" in row
    assert re.search(r'class="count count-error"[^>]*>2<', row)
    assert re.search(r'<td class="num">3</td>', row)
    assert ">Disabled<" in _row(page, cara.user_id)
    assert 'aria-current="page">Users<' in page
    assert f'name="mailbox_id" value="{anna.id}"' in page


def test_users_table_filters_by_status_search_and_issues(
    client, kim, session, resources, tenant
) -> None:
    anna = _mailbox(session, resources, tenant, "anna@contoso.test", status=HealthStatus.PAUSED)
    ben = _mailbox(session, resources, tenant, "ben@contoso.test")
    session.add(Issue(tenant_id=tenant.id, user_id=ben.user_id, mailbox_id=ben.id,
                      item_key="mbx:1", code=IssueCode.UNKNOWN, source=Source.C4C))  # fmt: skip
    session.commit()

    def shown(query: str) -> set[int]:
        page = client.get(f"/admin/?{query}").get_data(as_text=True)
        return {int(found) for found in re.findall(r'<tr id="user-(\d+)">', page)}

    assert shown("") == {kim.id, anna.user_id, ben.user_id}
    assert shown("status=PAUSED") == {anna.user_id}
    assert shown("q=BEN") == {ben.user_id}
    assert shown("q=%25") == set()
    assert shown("has_issues=1") == {ben.user_id}
    assert "not understood" in client.get("/admin/?status=NOPE").get_data(as_text=True)
    past_the_end = client.get("/admin/?status=PAUSED&page=3")
    assert past_the_end.status_code == 302
    assert past_the_end.headers["Location"] == "/admin/?status=PAUSED"


def test_users_table_is_one_query_whatever_the_number_of_users(
    client, kim, session, resources, tenant
) -> None:
    def statements() -> int:
        with statements_run(resources.engine) as seen:
            assert client.get("/admin/").status_code == 200
        return len(seen)

    _mailbox(session, resources, tenant, "anna@contoso.test")
    few = statements()
    for number in range(8):
        _mailbox(session, resources, tenant, f"user{number}@contoso.test")
    assert statements() == few


def test_bulk_pause_reports_refusals_in_one_message(
    client, kim, session, resources, tenant
) -> None:
    anna = _mailbox(session, resources, tenant, "anna@contoso.test", status=HealthStatus.ACTIVE)
    ben = _mailbox(session, resources, tenant, "ben@contoso.test", status=HealthStatus.FAILED_AUTH)
    cara = _mailbox(session, resources, tenant, "cara@contoso.test")

    page = _bulk(client, "pause", anna, ben, cara).get_data(as_text=True)

    assert "2 paused; 1 refused: ben@contoso.test: " in page
    assert "must be re-activated first" in page
    for box, status in ((anna, HealthStatus.PAUSED), (ben, HealthStatus.FAILED_AUTH),
                        (cara, HealthStatus.PAUSED)):  # fmt: skip
        session.refresh(box)
        assert box.status is status
    events = _audit(session, "mailbox.pause")
    assert sorted(e.target_id for e in events) == sorted([str(anna.id), str(cara.id)])
    assert {e.actor for e in events} == {"kim@contoso.test"}


def _held(session, box: Mailbox) -> None:
    session.add(Issue(tenant_id=box.tenant_id, user_id=box.user_id, mailbox_id=box.id,
                      item_key="", code=IssueCode.NEEDS_INPUT, source=Source.ENGINE,
                      backend_code=MASS_CHANGE_CODE))  # fmt: skip
    session.commit()


BULK_CASES = [
    # action, state before, check after, audit action
    ("enable", {"status": HealthStatus.DISABLED},
     lambda box: box.status is HealthStatus.NOT_SYNCED, "mailbox.enable"),
    ("pause", {"status": HealthStatus.ACTIVE},
     lambda box: box.status is HealthStatus.PAUSED, "mailbox.pause"),
    ("resume", {"status": HealthStatus.PAUSED, "paused_at": utcnow()},
     lambda box: box.status is HealthStatus.NOT_SYNCED and box.paused_at is None,
     "mailbox.resume"),
    ("force", {"status": HealthStatus.ACTIVE},
     lambda box: box.last_forced_at is not None, "mailbox.force_sync"),
    ("reset", {"status": HealthStatus.ACTIVE, "last_synced_at": utcnow(),
               "consecutive_failures": 4},
     lambda box: box.status is HealthStatus.NOT_SYNCED and box.last_synced_at is None
     and box.consecutive_failures == 0, "mailbox.reset"),
    ("relaunch", {"status": HealthStatus.FAILED_UNKNOWN, "next_sync_at": None},
     lambda box: box.next_sync_at is not None, "mailbox.relaunch"),
    ("approve", {"status": HealthStatus.ACTIVE},
     lambda box: box.mass_change_approved_at is not None, "mailbox.approve_mass_change"),
    ("revoke", {"status": HealthStatus.ACTIVE},
     lambda box: box.status is HealthStatus.FAILED_AUTH and box.status_reason == "revoked"
     and box.credentials_encrypted is None, "mailbox.revoke"),
]  # fmt: skip


@pytest.mark.parametrize(("action", "before", "check", "audited"), BULK_CASES)
def test_each_bulk_action_changes_the_selected_mailboxes_and_audits(
    client, kim, session, resources, tenant, action, before, check, audited
) -> None:
    chosen = [_mailbox(session, resources, tenant, f"{name}@contoso.test", **before)
              for name in ("anna", "ben")]  # fmt: skip
    other = _mailbox(session, resources, tenant, "cara@contoso.test", **before)
    if action == "approve":
        for box in (*chosen, other):
            _held(session, box)
    untouched = {column: getattr(other, column) for column in ("status", "credentials_encrypted")}

    page = _bulk(client, action, *chosen).get_data(as_text=True)

    assert re.search(rf"2 {re.escape(_done(action))}\.", page), page
    for box in chosen:
        session.refresh(box)
        assert check(box)
    session.refresh(other)
    assert {column: getattr(other, column) for column in untouched} == untouched
    assert not check(other)
    assert sorted(e.target_id for e in _audit(session, audited)) == sorted(
        str(box.id) for box in chosen
    )


def _done(action: str) -> str:
    from backend.web.admin_bulk import ACTIONS

    return ACTIONS[action].done


def test_force_sync_queues_runs(client, kim, session, resources, tenant, redis_conn) -> None:
    anna = _mailbox(session, resources, tenant, "anna@contoso.test", status=HealthStatus.ACTIVE)
    ben = _mailbox(session, resources, tenant, "ben@contoso.test", status=HealthStatus.ACTIVE)
    _bulk(client, "force", anna, ben)
    assert Queue(queues.SYNC, connection=redis_conn).count == 2
    again = _bulk(client, "force", anna).get_data(as_text=True)
    assert "0 queued for a sync; 1 refused: anna@contoso.test: A sync was started less" in again


@pytest.mark.parametrize(
    ("action", "before", "reason"),
    [
        ("enable", {"status": HealthStatus.ACTIVE}, "Only disabled mailboxes can be enabled"),
        ("relaunch", {"status": HealthStatus.ACTIVE}, "Only mailboxes whose sync failed"),
        ("approve", {"status": HealthStatus.ACTIVE}, "no mass change is held for approval"),
        ("resume", {"status": HealthStatus.ACTIVE}, "cannot resume a mailbox in status ACTIVE"),
        ("revoke", {"credentials_encrypted": None}, "its access is already revoked"),
    ],
)
def test_refused_bulk_actions_change_nothing_and_say_why(
    client, kim, session, resources, tenant, action, before, reason
) -> None:
    anna = _mailbox(session, resources, tenant, "anna@contoso.test", **before)
    page = _bulk(client, action, anna).get_data(as_text=True)
    assert f"1 refused: anna@contoso.test: {reason}" in page
    assert 'class="toast toast-error"' in page
    assert session.scalars(select(AuditEvent)).all() == []


def test_bulk_without_selection_or_with_an_unknown_action(client, kim) -> None:
    assert "Select at least one mailbox" in _bulk(client, "pause").get_data(as_text=True)
    assert _bulk(client, "explode", kim).status_code == 400


def test_a_key_user_of_another_tenant_cannot_touch_these_mailboxes(
    app, session, resources, tenant
) -> None:
    anna = _mailbox(session, resources, tenant, "anna@contoso.test", status=HealthStatus.ACTIVE)
    fabrikam = factories.tenant(session, resources.cipher, "fabrikam")
    own = factories.mailbox(session, resources.cipher, fabrikam, "olga@fabrikam.test")
    boss = factories.mailbox(
        session, resources.cipher, fabrikam, "max@fabrikam.test", Role.KEY_USER
    )
    session.commit()
    client = sign_in(app, app.test_client(), session.get(User, boss.user_id))

    for action in ("pause", "revoke", "reset"):
        assert _bulk(client, action, anna).status_code == 404
        assert _bulk(client, action, own, anna).status_code == 404
    page = client.get("/admin/").get_data(as_text=True)
    assert "anna@contoso.test" not in page and "olga@fabrikam.test" in page

    session.refresh(anna)
    session.refresh(own)
    assert anna.status is HealthStatus.ACTIVE and anna.credentials_encrypted is not None
    assert own.status is HealthStatus.NOT_SYNCED
    assert session.scalars(select(AuditEvent)).all() == []


def test_a_bulk_post_without_csrf_token_is_refused(client, kim, session, resources, tenant):
    anna = _mailbox(session, resources, tenant, "anna@contoso.test", status=HealthStatus.ACTIVE)
    answer = client.post("/admin/bulk", data={"action": "pause", "mailbox_id": str(anna.id)})
    assert answer.status_code == 400
    session.refresh(anna)
    assert anna.status is HealthStatus.ACTIVE
    assert session.scalars(select(AuditEvent)).all() == []


@pytest.mark.parametrize(
    ("action", "question", "words"),
    [
        ("revoke", "Revoke access for 2 mailboxes?", "Access is revoked at the provider"),
        ("reset", "Reset 2 mailboxes?", "Sync progress is forgotten"),
        ("approve", "Approve the held mass change of 2 mailboxes?", "This cannot be undone"),
    ],
)
def test_destructive_bulk_actions_ask_first_saying_how_many_and_what_happens(
    client, kim, session, resources, tenant, action, question, words
) -> None:
    anna, ben = (_mailbox(session, resources, tenant, name) for name in ("anna", "ben"))
    before = [(box.status, box.credentials_encrypted) for box in (anna, ben)]
    data = {"csrf_token": csrf_token(client, "/admin/"), "action": action,
            "mailbox_id": [str(anna.id), str(ben.id)], "back": "status=ACTIVE"}  # fmt: skip
    asked = client.post("/admin/bulk", data=data)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert f'id="confirm-title">{question}<' in page
    assert words in page
    assert f"<li>{anna.address}</li>" in page and f"<li>{ben.address}</li>" in page
    assert 'href="/admin/?status=ACTIVE"' in page, "Cancel goes back to the same view"
    session.expire_all()
    assert [(box.status, box.credentials_encrypted) for box in (anna, ben)] == before
    assert _audit(session, f"mailbox.{action}") == []

    confirm = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page))
    assert confirm["confirmed"] == "yes" and confirm["action"] == action
    ids = re.findall(r'name="mailbox_id" value="(\d+)"', page)
    assert sorted(ids) == sorted([str(anna.id), str(ben.id)])
    answered = client.post("/admin/bulk", data={**confirm, "mailbox_id": ids},
                           follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert re.search(r'class="toast toast-\w+" role="status">\d+ ', answered), "it ran"
    assert 'id="confirm-title"' not in answered


def test_the_users_page_offers_the_confirmation_dialog(client, kim) -> None:
    page = client.get("/admin/").get_data(as_text=True)
    assert '<dialog class="confirm" id="bulk-confirm"' in page
    assert re.search(r'value="revoke"[^>]*data-warning="Access is revoked', page)
    assert not re.search(r'value="pause"[^>]*data-warning', page)

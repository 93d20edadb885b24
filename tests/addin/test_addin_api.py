"""The add-in API against a real sync: the C4C and EWS emulators, the engine, the Save dialog."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from exchangelib import Contact
from exchangelib.indexed_properties import EmailAddress
from sqlalchemy import event, select

from backend.addin.item_status import ews_item_id
from backend.models import AddinToken, AuditEvent, Issue, Mailbox, User
from backend.models.issue import Resolution
from backend.models.mailbox import HealthStatus
from backend.models.run import Trigger
from backend.models.user import Role
from backend.storage.db import utcnow
from backend.sync.runs import execute_run
from backend.tenants.onboarding import add_user
from emulators.ews.seed import add_message
from tests.addin.conftest import contact_missing_last_name, token_for
from tests.support.run_bodies import mail_server_busy
from tests.support.statements import statements_run
from tests.support.world import ADDRESS


def rest_id(ews_id: str) -> str:
    """What Office.js hands over in Outlook on the web: the REST form of an EWS id."""
    return ews_id.replace("/", "-").replace("+", "_")


def stranger_mail(ews, sync_now):
    """An e-mail tracked in SAP from a sender C4C does not know: "Account missing" after a run."""
    box = ews.store.mailbox(ADDRESS)
    message = add_message(box, "Hello from nowhere", "stranger@nowhere.test", categories=["SAP"])
    sync_now()
    return message


def test_an_item_with_an_issue_shows_it_and_rest_ids_are_accepted(
    pane, ews, sync_now, session, mailbox
) -> None:
    message = stranger_mail(ews, sync_now)
    [issue] = session.scalars(select(Issue).where(Issue.mailbox_id == mailbox.id)).all()

    answer = pane.call("GET", "/item", query_string={"id": rest_id(message.id), "type": "message"})

    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["item"]["state"], body["item"]["type"]) == ("issue", "EMAIL")
    assert body["item"]["id"] == message.id
    [shown] = body["issues"]
    assert (shown["id"], shown["code"], shown["can_fix"], shown["can_retry"]) == (
        issue.id, "NEEDS_INPUT", True, True,
    )  # fmt: skip
    assert shown["recommended_action"]["title"]
    assert body["mailbox"]["status"] == "ACTIVE" and body["mailbox"]["needs_reactivation"] is False
    assert answer.headers["Cache-Control"] == "no-store"


def test_an_item_costs_four_statements_however_many_issues_are_open(
    pane, ews, sync_now, session, mailbox, resources
) -> None:
    """The pane asks this whenever an item is opened: the token with its user, their tenant and
    mailbox and its progress; the item's issues; its pairing; the mailbox's warnings (the first
    call of a minute also stores that the add-in was used)."""
    message = stranger_mail(ews, sync_now)
    for n in range(5):
        add_message(ews.store.mailbox(ADDRESS), f"Hello {n}", f"s{n}@nowhere.test",
                    categories=["SAP"])  # fmt: skip
    sync_now()
    assert session.query(Issue).filter(Issue.resolved_at.is_(None)).count() == 6
    asked = {"id": message.id, "type": "message"}
    assert pane.call("GET", "/item", query_string=asked).status_code == 200
    with statements_run(resources.engine) as executed:
        shown = pane.call("GET", "/item", query_string=asked)
    assert shown.status_code == 200 and shown.json["item"]["state"] == "issue"
    assert len(executed) <= 4, [" ".join(s.split()[:3]) for s in executed]


def _autocommits(dbapi_connection) -> bool:
    flag = getattr(dbapi_connection, "autocommit", None)
    if isinstance(flag, bool):  # psycopg
        return flag
    return dbapi_connection.isolation_level is None  # sqlite3


def test_an_items_state_is_read_without_a_transaction_and_still_records_the_add_ins_use(
    pane, ews, sync_now, session, mailbox, anna, resources
) -> None:
    """No ``BEGIN`` and ``ROLLBACK`` around the pane's reads; the one row it may write (the
    add-in's last use) is written; the pooled connection goes back to transactions after."""
    message = stranger_mail(ews, sync_now)
    anna.last_addin_use_at = None
    session.commit()
    ran: list[tuple[str, object, object]] = []

    def seen(conn, _cursor, statement, *_args) -> None:
        mode = conn.get_execution_options().get("isolation_level")
        ran.append((statement.split()[0], mode, conn.connection.dbapi_connection))

    event.listen(resources.engine, "before_cursor_execute", seen)
    try:
        first = pane.call("GET", "/item", query_string={"id": message.id, "type": "message"})
        again = pane.call("GET", "/item", query_string={"id": message.id, "type": "message"})
    finally:
        event.remove(resources.engine, "before_cursor_execute", seen)

    assert first.status_code == again.status_code == 200
    assert ("UPDATE", "AUTOCOMMIT") in {(verb, mode) for verb, mode, _ in ran}
    session.expire_all()
    assert session.get(User, anna.id).last_addin_use_at is not None
    last = [(verb, mode) for verb, mode, _ in ran[-4:]]
    assert last == [("SELECT", "AUTOCOMMIT")] * 4, last  # the second call: reads alone
    assert not any(_autocommits(dbapi) for _, _, dbapi in ran)


def test_a_user_with_no_mailbox_is_told_so_and_is_still_signed_in(client, session, tenant) -> None:
    carl = User(tenant_id=tenant.id, email="carl@contoso.test", name="Carl", role=Role.KEY_USER)
    session.add(carl)
    session.commit()
    bearer = {"Authorization": f"Bearer {token_for(session, carl)}"}

    me = client.get("/addin/api/v1/me", headers=bearer)
    item = client.get("/addin/api/v1/item", headers=bearer,
                      query_string={"id": "AAMkAGI2TG93AAA=", "type": "message"})  # fmt: skip

    assert (me.status_code, me.json["user"]["email"], me.json["mailbox"]) == (
        200, "carl@contoso.test", None,
    )  # fmt: skip
    assert (item.status_code, item.json["error"]) == (404, "no_mailbox")


def test_a_synced_item_and_an_untracked_item(pane, ews, outlook, sync_now, crm) -> None:
    crm.create("CorporateAccountCollection", {"Name": "Fabrikam", "Email": "info@fabrikam.test"},
               "seed-1")  # fmt: skip
    crm.create("ContactCollection", {"FirstName": "Jane", "LastName": "Doe",
               "Email": "jane@fabrikam.test"}, "seed-2")  # fmt: skip
    box = ews.store.mailbox(ADDRESS)
    linked = add_message(box, "Quote", "jane@fabrikam.test", categories=["SAP"])
    private = add_message(box, "Lunch?", "friend@example.org")
    sync_now()

    synced = pane.item(linked.id)
    assert synced["state"] == "synced" and synced["c4c_link"] and not synced["can_track"]
    untracked = pane.item(private.id)
    assert (untracked["state"], untracked["can_track"]) == ("not_tracked", True)


def test_track_in_sap_adds_the_category_and_the_next_run_syncs_it(
    pane, ews, outlook, sync_now, crm, session, mailbox
) -> None:
    crm.create("ContactCollection", {"FirstName": "Jane", "LastName": "Doe",
               "Email": "jane@fabrikam.test"}, "seed-2")  # fmt: skip
    box = ews.store.mailbox(ADDRESS)
    message = add_message(box, "Order 4711", "jane@fabrikam.test", categories=["Blue"])
    sync_now()

    tracked = pane.call("POST", "/item/track", json={"id": rest_id(message.id), "type": "message"})

    assert tracked.status_code == 202, tracked.json
    assert tracked.json["item"]["state"] == "pending"
    [seen] = [m for m in outlook.inbox.all() if m.subject == "Order 4711"]
    assert seen.categories == ["Blue", "SAP"]
    assert pane.item(message.id)["state"] == "pending"
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "item.track")).all()
    assert event.details == {"mailbox_id": mailbox.id, "item_type": "EMAIL"}
    sync_now()
    assert pane.item(message.id)["state"] == "synced"


def test_track_is_refused_with_a_reason(pane, ews, session, mailbox) -> None:
    contact_like = pane.call("POST", "/item/track", json={"id": "QUJDREVGR0g=", "type": "contact"})
    assert contact_like.status_code == 409
    assert "folder" in contact_like.json["message"]

    gone = pane.call("POST", "/item/track", json={"id": base64.b64encode(b"ITM" + b"x" * 16)
                     .decode(), "type": "message"})  # fmt: skip
    assert gone.status_code == 409
    assert "no longer in your mailbox" in gone.json["message"]

    mailbox.status = HealthStatus.FAILED_AUTH
    session.commit()
    stopped = pane.call("POST", "/item/track", json={"id": "QUJDREVGR0g=", "type": "message"})
    assert (stopped.status_code, stopped.json["error"]) == (409, "track_refused")
    assert "re-activate" in stopped.json["message"]
    assert session.scalars(select(AuditEvent)).all() == []


def test_the_save_dialog_links_the_account_and_resolves_the_issue(
    pane, ews, outlook, sync_now, crm, session, mailbox
) -> None:
    fabrikam = crm.create("CorporateAccountCollection", {"Name": "Nowhere Ltd"}, "seed-1")
    message = stranger_mail(ews, sync_now)
    [issue] = session.scalars(select(Issue).where(Issue.mailbox_id == mailbox.id)).all()

    form = pane.call("GET", f"/issues/{issue.id}/form")
    assert form.status_code == 200, form.json
    assert form.json["related"]["required"] is True
    assert form.json["related"]["object_id"] is None
    found = pane.call("GET", f"/issues/{issue.id}/related?q=Nowhere").json["candidates"]
    assert [(c["object_id"], c["name"]) for c in found] == [(fabrikam["ObjectID"], "Nowhere Ltd")]

    saved = pane.call("POST", f"/issues/{issue.id}/form",
                      json={"values": {}, "related_id": fabrikam["ObjectID"]})  # fmt: skip

    assert saved.status_code == 200, saved.json
    assert (saved.json["ok"], saved.json["status"]) == (True, "SYNCED")
    session.refresh(issue)
    assert issue.resolution is Resolution.USER_FIX
    [seen] = [m for m in outlook.inbox.all() if m.subject == "Hello from nowhere"]
    assert seen.categories == ["SAP"]
    assert pane.item(message.id)["state"] == "synced"


def test_a_refused_save_answers_422_with_the_form_and_what_was_typed(
    pane, outlook, sync_now, session, mailbox
) -> None:
    issue = contact_missing_last_name(outlook, sync_now, session, mailbox)

    refused = pane.call("POST", f"/issues/{issue.id}/form",
                        json={"values": {"LastName": "S" * 41, "FirstName": "Nola"}})  # fmt: skip

    assert refused.status_code == 422
    fields = {f["name"]: f for f in refused.json["form"]["fields"]}
    assert fields["LastName"]["value"] == "S" * 41
    assert "at most 40 characters" in fields["LastName"]["error"]
    assert fields["FirstName"]["value"] == "Nola"
    session.refresh(issue)
    assert issue.is_open


def test_a_duplicate_contact_saved_as_it_is_is_refused_and_with_its_own_address_syncs(
    pane, outlook, sync_now, session, mailbox, crm
) -> None:
    """Two contacts with one address: the Save dialog never pairs the second with the SAP
    contact the first is synced with (the run would fail on the pairing from then on)."""
    for _ in range(2):
        Contact(folder=outlook.contacts / "SAP Contacts", account=outlook, given_name="Ann",
                surname="Customer", display_name="Ann Customer",
                email_addresses=[EmailAddress(email="ann@fabrikam.test")]).save()  # fmt: skip
    sync_now()
    [issue] = session.scalars(select(Issue).where(Issue.mailbox_id == mailbox.id)).all()
    assert issue.backend_code == "DuplicateInMailbox"
    form = pane.call("GET", f"/issues/{issue.id}/form")
    assert form.status_code == 200, form.json

    same = pane.call("POST", f"/issues/{issue.id}/form", json={"values": {}})

    assert same.status_code == 422, same.json
    fields = {field["name"]: field for field in same.json["form"]["fields"]}
    assert "already synced with the SAP record" in fields["Email"]["error"]
    session.refresh(issue)
    assert issue.is_open
    own = pane.call("POST", f"/issues/{issue.id}/form",
                    json={"values": {"Email": "ann.private@fabrikam.test"}})  # fmt: skip
    assert own.status_code == 200, own.json
    assert sorted(c["Email"] for c in crm.read("ContactCollection")) == [
        "ann.private@fabrikam.test", "ann@fabrikam.test",
    ]  # fmt: skip
    assert sync_now().issues_opened == 0


def test_retry_queues_the_item(pane, ews, sync_now, session, mailbox, redis_conn) -> None:
    stranger_mail(ews, sync_now)
    [issue] = session.scalars(select(Issue).where(Issue.mailbox_id == mailbox.id)).all()
    answer = pane.call("POST", f"/issues/{issue.id}/retry")
    assert (answer.status_code, answer.json) == (202, {"queued": True})


def test_retry_and_the_form_of_a_resolved_issue_say_so(
    pane, ews, sync_now, session, mailbox, redis_conn
) -> None:
    stranger_mail(ews, sync_now)
    [issue] = session.scalars(select(Issue).where(Issue.mailbox_id == mailbox.id)).all()
    issue.resolved_at = utcnow()
    session.commit()
    retried = pane.call("POST", f"/issues/{issue.id}/retry")
    assert (retried.status_code, retried.json["error"]) == (409, "already_resolved")
    opened = pane.call("GET", f"/issues/{issue.id}/form")
    assert (opened.status_code, opened.json["error"]) == (409, "already_fixed")
    assert opened.json["message"].startswith("This issue is already fixed")


def test_bad_requests_get_a_clear_400(pane) -> None:
    known = "id=QUJDREVGR0g%3D"
    for query in ("", "?id=x&type=message", f"?{known}&type=fax", f"?{known}&type=message&x=1",
                  "?id=<script>&type=message"):  # fmt: skip
        answer = pane.call("GET", f"/item{query}")
        assert answer.status_code == 400, query
        assert answer.json["error"] == "invalid_request"
        assert answer.json["message"].startswith("Check the request")
    assert pane.call("POST", "/item/track", data="not json").status_code == 400
    assert pane.call("POST", "/item/track", json=["a list"]).status_code == 400
    too_short = pane.call("GET", "/issues/1/related?q=a")
    assert too_short.status_code in (400, 404)


def test_another_users_issue_is_404(pane, ews, sync_now, session, tenant, resources) -> None:
    stranger_mail(ews, sync_now)
    [issue] = session.scalars(select(Issue)).all()
    ben = add_user(session, tenant, email="ben@contoso.test", name="Ben", cipher=resources.cipher,
                   mailbox_credentials={"password": "x"})  # fmt: skip
    session.commit()
    pane.token = token_for(session, ben)
    for method, path in (("GET", f"/issues/{issue.id}/form"), ("POST", f"/issues/{issue.id}/retry"),
                         ("GET", f"/issues/{issue.id}/related?q=Nowhere")):  # fmt: skip
        answer = pane.call(method, path)
        assert (answer.status_code, answer.json["error"]) == (404, "not_found"), path


def test_tokens_forged_expired_revoked_or_missing_get_401(
    client, pane, session, anna, resources, mailbox
) -> None:
    def status_of(headers):
        answer = client.get("/addin/api/v1/me", headers=headers)
        return answer.status_code, answer.json["error"], answer.headers.get("WWW-Authenticate", "")

    assert status_of({})[:2] == (401, "invalid_token")
    assert status_of({"Authorization": "Bearer ssa_forged"})[:2] == (401, "invalid_token")
    assert status_of({"Authorization": "Basic YTpi"})[:2] == (401, "invalid_token")
    _code, _error, challenge = status_of({"Authorization": "Bearer " + "x" * 50})
    assert challenge.startswith('Bearer realm="ssi-sync add-in", error="invalid_token"')

    expired = token_for(session, anna)
    row = session.scalars(select(AddinToken).order_by(AddinToken.id.desc())).first()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert status_of({"Authorization": f"Bearer {expired}"})[:2] == (401, "token_expired")

    assert pane.call("GET", "/me").status_code == 200
    assert pane.call("DELETE", "/token").status_code == 204
    assert pane.call("GET", "/me").json["error"] == "invalid_token"


def test_the_session_cookie_opens_nothing_and_a_token_opens_nothing_else(
    app, client, pane, anna
) -> None:
    from tests.support.web import sign_in

    sign_in(app, client, anna)
    assert client.get("/").status_code == 200
    assert client.get("/addin/api/v1/me").status_code == 401
    other = app.test_client()
    bearer = {"Authorization": f"Bearer {pane.token}"}
    assert other.get("/api/v1/issues", headers=bearer).status_code == 401
    assert other.get("/", headers=bearer).status_code == 302


def test_refresh_swaps_the_token_and_records_add_in_use(pane, session, anna) -> None:
    old = pane.token
    me = pane.call("GET", "/me").json
    assert (me["user"]["email"], me["mailbox"]["address"]) == (ADDRESS, ADDRESS)
    fresh = pane.call("POST", "/token/refresh")
    assert fresh.status_code == 200
    pane.token = fresh.json["token"]
    assert pane.call("GET", "/me").status_code == 200
    pane.token = old
    assert pane.call("GET", "/me").status_code == 401
    session.refresh(anna)
    assert anna.last_addin_use_at is not None


def test_an_outdated_add_in_is_told_to_update(client, pane, resources) -> None:
    assert client.get("/addin/api/v1/version").json == {"current": "1.0.0", "minimum": "1.0.0"}
    old = pane.call("GET", "/me", headers={"X-Addin-Version": "0.9"})
    assert (old.status_code, old.json["error"], old.json["minimum"]) == (
        426, "addin_outdated", "1.0.0",
    )  # fmt: skip


def test_revoking_the_mailbox_ends_every_add_in_sign_in(
    pane, session, mailbox, tenant, resources
) -> None:
    from backend.actions import mailbox as mailbox_actions

    kim = session.scalars(select(User).where(User.role == Role.KEY_USER)).one()
    mailbox_actions.revoke(session, session.get(Mailbox, mailbox.id), kim, resources.cipher,
                           lambda credentials: False)  # fmt: skip
    session.commit()
    answer = pane.call("GET", "/me")
    assert (answer.status_code, answer.json["error"]) == (401, "invalid_token")
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "mailbox.revoke")).all()
    assert event.details["addin_sign_ins_ended"] == 1


def test_item_ids_in_both_formats() -> None:
    ews = "AAMkAGI2+TItMzk1/MS00NDk3=="
    assert ews_item_id(ews) == ews
    assert ews_item_id(rest_id(ews)) == ews


def test_a_key_user_fixes_another_users_item_and_the_audit_names_them(
    pane, outlook, sync_now, session, mailbox
) -> None:
    issue = contact_missing_last_name(outlook, sync_now, session, mailbox)
    kim = session.scalars(select(User).where(User.role == Role.KEY_USER)).one()
    pane.token = token_for(session, kim)

    saved = pane.call("POST", f"/issues/{issue.id}/form", json={"values": {"LastName": "Smith"}})

    assert (saved.status_code, saved.json["status"]) == (200, "SYNCED")
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "savedialog.submit"))
    assert (event.actor, event.details["outcome"]) == (kim.email, "SYNCED")
    [seen] = outlook.contacts.glob("SAP Contacts").all()
    assert seen.surname == "Smith"


def test_an_appointment_is_tracked_by_its_category(pane, outlook, sync_now) -> None:
    from exchangelib import CalendarItem, EWSDateTime, EWSTimeZone

    start = EWSDateTime.now(tz=EWSTimeZone("UTC")).replace(microsecond=0)
    meeting = CalendarItem(folder=outlook.calendar, account=outlook, subject="Visit Fabrikam",
                           start=start, end=start + timedelta(hours=1))  # fmt: skip
    meeting.save(send_meeting_invitations="SendToNone")
    sync_now()
    assert pane.item(meeting.id, "appointment")["state"] == "not_tracked"

    tracked = pane.call("POST", "/item/track", json={"id": meeting.id, "type": "appointment"})

    assert tracked.status_code == 202
    meeting.refresh()
    assert meeting.categories == ["SAP"]
    sync_now()
    assert pane.item(meeting.id, "appointment")["state"] == "synced"


def test_a_mailbox_that_needs_reactivation_says_so_with_every_item(
    pane, ews, sync_now, session, mailbox
) -> None:
    message = add_message(ews.store.mailbox(ADDRESS), "Lunch?", "friend@example.org")
    sync_now()
    mailbox.status, mailbox.status_reason = HealthStatus.FAILED_AUTH, "revoked"
    session.commit()
    shown = pane.call("GET", "/item", query_string={"id": message.id, "type": "message"}).json
    assert shown["mailbox"]["needs_reactivation"] and shown["mailbox"]["sync_stopped"]
    assert shown["mailbox"]["reactivate_url"] == "http://localhost/reactivate/"
    assert shown["mailbox"]["label"] == "Needs re-activation"


@pytest.mark.parametrize("kind", ["graph"])
def test_an_exchange_online_item_is_found_and_tracked_by_the_id_office_js_gives(
    pane, graph, sync_now
) -> None:
    box = graph.store.mailboxes[ADDRESS]
    stranger = box.receive("Hello from nowhere", "stranger@nowhere.test", categories=["SAP"])
    private = box.receive("Lunch?", "friend@example.org", categories=["Blue"])
    sync_now()

    # Office.js names items by their EWS id; Graph by the same bytes in URL-safe base64.
    ews_form = stranger.id.replace("-", "/").replace("_", "+")
    for given in (ews_form, stranger.id):
        found = pane.item(given)
        assert (found["state"], found["id"]) == ("issue", stranger.id)

    ews_private = private.id.replace("-", "/").replace("_", "+")
    tracked = pane.call("POST", "/item/track", json={"id": ews_private, "type": "message"})
    assert tracked.status_code == 202, tracked.json
    assert box.items[private.id].fields["categories"] == ["Blue", "SAP"]
    sync_now()
    assert pane.item(ews_private)["state"] == "issue", "tracked, synced, and its sender unknown"


def test_the_save_dialog_links_only_an_account_a_search_offered(
    pane, ews, c4c, sync_now, crm, session, mailbox
) -> None:
    private = crm.create("IndividualCustomerCollection", {"FirstName": "Pat", "LastName": "P"},
                         "seed-private")  # fmt: skip
    guessed = crm.create("CorporateAccountCollection", {"Name": "Not Offered"}, "seed-2")
    stranger_mail(ews, sync_now)
    [issue] = session.scalars(select(Issue).where(Issue.mailbox_id == mailbox.id)).all()
    c4c.log.clear()
    for related_id in (f"x/../IndividualCustomerCollection('{private['ObjectID']}')",
                       guessed["ObjectID"]):  # fmt: skip
        saved = pane.call("POST", f"/issues/{issue.id}/form",
                          json={"values": {}, "related_id": related_id})  # fmt: skip
        assert saved.status_code == 422 and saved.json["ok"] is False
        assert saved.json["form"]["related"]["error"].startswith("Search for the account")
    assert not [e for e in c4c.log.entries() if "IndividualCustomer" in e.path]
    assert not [e for e in c4c.log.entries() if guessed["ObjectID"] in e.path]


def test_the_pane_is_told_what_will_break_the_sync_and_never_another_users_warnings(
    pane, session, mailbox, resources, tenant
) -> None:
    assert pane.call("GET", "/me").json["mailbox"]["warnings"] == []
    ben = add_user(session, tenant, email="ben@contoso.test", name="Ben", cipher=resources.cipher)
    session.commit()
    ben_box = session.scalars(select(Mailbox).where(Mailbox.user_id == ben.id)).one()
    for _ in range(3):
        execute_run(session, ben_box, mail_server_busy, trigger=Trigger.SCHEDULE,
                    settings=resources.settings)  # fmt: skip
    assert pane.call("GET", "/me").json["mailbox"]["warnings"] == [], "Ben's, not Anna's"
    for _ in range(3):
        execute_run(session, mailbox, mail_server_busy, trigger=Trigger.SCHEDULE,
                    settings=resources.settings)  # fmt: skip
    [warning] = pane.call("GET", "/me").json["mailbox"]["warnings"]
    assert warning["kind"] == "FAILURES_RISING" and warning["ends_at"] is None
    assert warning["detail"].startswith(f"3 of the last 3 runs of {ADDRESS} failed. The sync")
    link = {"label": "See recent runs", "url": "http://127.0.0.1:8000/#history"}
    assert warning["link"] == link

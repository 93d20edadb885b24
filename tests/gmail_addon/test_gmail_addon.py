"""The Gmail add-on end to end: Gmail (played by the tests, with Google-signed ID tokens) opens a
message, the card shows its issue, the Save dialog card fixes it in C4C and in the Google
emulator's mailbox. Every answer is checked against typed models of the card format."""

from __future__ import annotations

import time

from backend.auth.credentials import mailbox_credentials, store_mailbox_credentials
from backend.crm.c4c import C4CClient
from backend.gmail_addon import verify
from backend.models import Issue, Tenant, User
from backend.models.issue import Resolution
from backend.models.mailbox import HealthStatus
from backend.models.run import RunOutcome
from backend.storage.db import utcnow
from backend.sync import issues as issue_service
from backend.sync import warnings
from backend.tenants import people
from backend.web import gmail_addon
from emulators.base import Fault
from emulators.identity.keys import Keyring
from tests.support.cards import PUBLIC, SERVICE_ACCOUNT, GmailHost, RenderActions
from tests.support.owners import MailboxOwner

HOME, MESSAGE, ACTION = (f"{PUBLIC}/gmail-addon/{path}" for path in ("home", "message", "action"))


def unknown_sender(owner: MailboxOwner, sync_now, session, mailbox) -> tuple[str, Issue]:
    """An e-mail from someone C4C does not know, synced: its message id and its issue."""
    message = owner.receive("Trade fair leads", "someone@unknown.test", picked=True)
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    [issue] = issue_service.open_issues(session, mailbox.id)
    return message, issue


def test_an_issue_is_fixed_from_the_message_in_the_save_dialog_card(
    gmail: GmailHost, owner, crm: C4CClient, sync_now, session, mailbox
) -> None:
    fabrikam = crm.create("CorporateAccountCollection", {"Name": "Fabrikam"}, "seed-1")
    message, issue = unknown_sender(owner, sync_now, session, mailbox)
    assert owner.email_tags(message) == {"SAP E-Mails", "SAP E-Mails/Sync Error"}

    card = gmail.open(message)
    assert card.name == "issue" and card.header.title == "Trade fair leads"
    assert "Fill in the account" in card.texts() and "SAP E-Mails/Sync Error" in card.texts()
    assert set(card.buttons()) == {"Fix", "Retry"}

    form = gmail.click(card, "Fix").card
    assert form.name == "form" and "Search" in form.buttons()
    searched = gmail.click(form, "Search", {"related_query": "Fabri"}).card
    [choice] = searched.choices().values()
    assert [(item.text, item.value) for item in choice.items] == [
        ("Fabrikam", fabrikam["ObjectID"])
    ]
    done = gmail.click(searched, "Save and sync", {"related_id": fabrikam["ObjectID"]})
    assert done.action.notification is not None
    assert done.action.notification.text == "Saved and synced."
    assert done.card.name == "saved"

    session.refresh(issue)
    assert (issue.resolution, issue.is_open) == (Resolution.USER_FIX, False)
    assert owner.email_tags(message) == {"SAP E-Mails"}, "the red label is gone"
    [email] = crm.read("EMailCollection")
    assert email["AccountID"] == fabrikam["AccountID"]
    again = gmail.open(message)
    assert "is in SAP Cloud for Customer" in again.texts()


def test_the_homepage_lists_open_issues_and_opens_one(
    gmail: GmailHost, owner, sync_now, session, mailbox
) -> None:
    assert "Everything is in sync" in gmail.home().texts()
    owner.add_contact("Lena")
    owner.receive("Trade fair leads", "someone@unknown.test", picked=True)
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    home = gmail.home()
    assert "Open issues (2)" in home.texts() and "Trade fair leads" in home.texts()
    assert "Lena" in home.texts() and "Fill in the last name" in home.texts()
    opened = gmail.click(home, "Open").card  # the newest first
    assert opened.name == "issue"
    assert gmail.click(opened, "Retry").action.notification.text.startswith("It will be tried")


def test_an_untracked_message_is_tracked_in_sap(gmail: GmailHost, owner, redis_conn) -> None:
    message = owner.receive("Lunch?", "friend@example.org", picked=False)
    card = gmail.open(message)
    assert "is not tracked in SAP" in card.texts()
    tracked = gmail.click(card, "Track in SAP")
    assert tracked.action.notification.text == "Tracked: it syncs now."
    assert "waiting for the next sync" in tracked.card.texts()
    assert owner.email_tags(message) == {"SAP E-Mails"}


def test_a_stopped_mailbox_is_asked_to_reactivate(gmail: GmailHost, session, mailbox) -> None:
    mailbox.status = HealthStatus.FAILED_AUTH
    session.commit()
    card = gmail.home()
    assert card.name == "reactivation"
    link = card.buttons()["Re-activate"].onClick.openLink
    assert link is not None and link.url == f"{PUBLIC}/reactivate/"


def refused(answer) -> bool:
    return answer.status_code == 401 and answer.get_data() == b""


def test_requests_google_did_not_sign_for_this_endpoint_get_nothing(gmail: GmailHost) -> None:
    event = gmail.event()
    assert gmail.post(HOME, event).status_code == 200
    assert refused(gmail.post(HOME, event, aud=MESSAGE)), "a token for another endpoint"
    assert refused(gmail.post(HOME, event, email="someone@evil.test")), "another account"
    assert refused(gmail.post(HOME, event, exp=int(time.time()) - 120)), "expired"
    assert gmail.post(HOME, event, exp=int(time.time()) - 10).status_code == 200, "clock skew"
    assert refused(gmail.post(HOME, event, iss="https://evil.test")), "another issuer"
    assert refused(gmail.post(HOME, event, email_verified=False)), "unverified"
    no_header = gmail.client.post("/gmail-addon/home", json=event)
    assert refused(no_header)
    assert refused(gmail.client.post("/gmail-addon/home", data="nope",
                                     headers={"Authorization": "Bearer x"}))  # fmt: skip


def test_the_users_token_must_be_googles_and_name_one_of_our_users(gmail: GmailHost) -> None:
    event = gmail.event()
    event["authorizationEventObject"]["userIdToken"] = gmail.token("another-client")
    assert refused(gmail.post(HOME, event)), "a user token for another client"
    event["authorizationEventObject"].pop("userIdToken")
    assert refused(gmail.post(HOME, event)), "no user token"
    stranger = GmailHost(gmail.client, gmail.google, "stranger@contoso.test")
    assert refused(stranger.post(HOME, stranger.event())), "no such user"


def test_a_removed_user_gets_nothing(gmail: GmailHost, session, resources, mailbox) -> None:
    assert gmail.post(HOME, gmail.event()).status_code == 200
    user = session.get(User, mailbox.user_id)
    people.remove_person(
        session, session.get(Tenant, user.tenant_id), user, actor="operator",
        cipher=resources.cipher,
    )  # fmt: skip
    session.commit()
    assert refused(gmail.post(HOME, gmail.event()))


def test_a_new_google_key_is_fetched_and_a_key_google_never_published_is_refused(
    gmail: GmailHost, google, monkeypatch
) -> None:
    assert gmail.post(HOME, gmail.event()).status_code == 200
    google.store.oauth.keys.rotate()  # a key id not seen for a minute: the certificates again
    monkeypatch.setattr(verify, "REFETCH_AFTER_SECONDS", 0)
    assert gmail.post(HOME, gmail.event()).status_code == 200
    now = int(time.time())
    claims = {"aud": HOME, "iss": "https://accounts.google.com", "sub": "109", "iat": now,
              "exp": now + 300, "email": SERVICE_ACCOUNT, "email_verified": True}  # fmt: skip
    forged = Keyring().sign(claims)
    answer = gmail.client.post("/gmail-addon/home", json=gmail.event(),
                               headers={"Authorization": f"Bearer {forged}"})  # fmt: skip
    assert refused(answer)


def test_made_up_key_ids_do_not_make_us_call_google_each_time(gmail: GmailHost, google) -> None:
    assert gmail.post(HOME, gmail.event()).status_code == 200
    google.log.clear()
    now = int(time.time())
    for _ in range(5):
        forged = Keyring().sign({"aud": HOME, "iss": "https://accounts.google.com", "iat": now,
                                 "exp": now + 300, "email": SERVICE_ACCOUNT,
                                 "email_verified": True})  # fmt: skip
        answer = gmail.client.post("/gmail-addon/home", json=gmail.event(),
                                   headers={"Authorization": f"Bearer {forged}"})  # fmt: skip
        assert refused(answer)
    assert google.log.entries("GET", "/oauth2/v1/certs") == [], "kept for a minute"


def test_buttons_only_work_with_their_own_signed_state(
    gmail: GmailHost, owner, sync_now, session, mailbox
) -> None:
    _message, issue = unknown_sender(owner, sync_now, session, mailbox)
    card = gmail.click(gmail.home(), "Open").card
    fix = card.buttons()["Fix"].onClick.action
    parameters = {p.key: p.value for p in fix.parameters}

    unknown = gmail.post(ACTION, gmail.event(parameters={**parameters, "action": "delete_all"}))
    assert unknown.status_code == 200, "Gmail shows a generic error for anything else"
    shown = RenderActions.model_validate(unknown.get_json())
    assert shown.action.notification.text == gmail_addon.UNKNOWN_BUTTON
    assert shown.card.name == "home"
    other = gmail.post(ACTION, gmail.event(parameters={**parameters, "action": "retry"}))
    assert RenderActions.model_validate(other.get_json()).action.notification.text == (
        gmail_addon.UNKNOWN_BUTTON
    ), "a state is for its own button only"
    signed, _, signature = parameters["state"].rpartition(".")
    forged = ("A" if signature[0] != "A" else "B") + signature[1:]  # six whole bits change
    tampered = {**parameters, "state": f"{signed}.{forged}"}
    assert refused(gmail.post(ACTION, gmail.event(parameters=tampered)))
    kim = GmailHost(gmail.client, gmail.google, "kim@contoso.test")
    assert refused(kim.post(ACTION, kim.event(parameters=parameters))), "another user's button"
    opened = gmail.post(ACTION, gmail.event(parameters=parameters))
    assert opened.status_code == 200
    form = RenderActions.model_validate(opened.get_json()).card
    assert form.name == "form" and form.header.title == f"Fix: {issue.title}"


def test_a_contact_without_last_name_keeps_what_was_typed_until_sap_accepts_it(
    gmail: GmailHost, owner, crm: C4CClient, sync_now, session, mailbox, c4c
) -> None:
    lena = owner.add_contact("Lena", email="lena@fabrikam.test", tags=("Follow up",))
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    form = gmail.click(gmail.click(gmail.home(), "Open").card, "Fix").card
    last = form.inputs()["LastName"]
    assert (last.label, last.value) == ("Last Name *", "")
    assert last.hintText == "Mandatory field 'LastName' is not filled"
    assert form.inputs()["FirstName"].value == "Lena"

    too_long = gmail.click(form, "Save and sync", {"LastName": "S" * 41, "FirstName": "Lina"})
    again = too_long.card
    assert again.inputs()["LastName"].value == "S" * 41
    assert "at most 40 characters" in (again.inputs()["LastName"].hintText or "")
    assert again.inputs()["FirstName"].value == "Lina"
    assert list(crm.read("ContactCollection")) == []

    c4c.faults.add(Fault(path="ContactCollection", method="POST", status=503, times=100))
    unavailable = gmail.click(again, "Save and sync", {"LastName": "Smith"})
    assert "What you typed is kept" in unavailable.action.notification.text
    assert unavailable.card.inputs()["LastName"].value == "Smith"
    c4c.faults.clear()

    saved = gmail.click(again, "Save and sync", {"LastName": "Smith", "FirstName": "Lena"})
    assert saved.card.name == "saved"
    assert [c["LastName"] for c in crm.read("ContactCollection")] == ["Smith"]
    assert owner.contact(lena).tags == {"Follow up"}
    assert issue_service.open_issues(session, mailbox.id) == []


def test_a_user_whose_mailbox_is_on_exchange_is_told_so(gmail: GmailHost, mailbox) -> None:
    kim = GmailHost(gmail.client, gmail.google, "kim@contoso.test")
    card = kim.render(MESSAGE, kim.event("18c1f0a")).card
    assert card.name == "elsewhere" and "on Exchange" in card.texts()


def test_a_card_left_open_too_long_shows_the_latest_instead(
    gmail: GmailHost, owner, sync_now, session, mailbox, monkeypatch
) -> None:
    unknown_sender(owner, sync_now, session, mailbox)
    card = gmail.click(gmail.home(), "Open").card
    monkeypatch.setattr(gmail_addon, "STATE_SECONDS", -1)
    later = gmail.click(card, "Fix")
    assert later.card.name == "home" and "out of date" in later.action.notification.text


def test_code_lists_are_picked_from_a_list_in_the_card(
    gmail: GmailHost, owner, crm: C4CClient, sync_now
) -> None:
    owner.add_task("")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    form = gmail.click(gmail.click(gmail.home(), "Open").card, "Fix").card
    status = form.choices()["LifeCycleStatusCode"]
    assert status.type == "DROPDOWN" and ("Canceled", "4") in {
        (item.text, item.value) for item in status.items
    }
    assert [item.value for item in status.items if item.selected] == ["1"]
    assert "Subject" in form.inputs() and "LifeCycleStatusCode" not in form.inputs()
    saved = gmail.click(form, "Save and sync", {"Subject": "Call back", "LifeCycleStatusCode": "3"})
    assert saved.card.name == "saved"
    [task] = crm.read("TasksCollection")
    assert (task["Subject"], task["LifeCycleStatusCode"]) == ("Call back", "3")


def test_an_account_picked_before_a_refused_save_stays_picked(
    gmail: GmailHost, owner, crm: C4CClient, sync_now, session, mailbox
) -> None:
    fabrikam = crm.create("CorporateAccountCollection", {"Name": "Fabrikam"}, "seed-1")
    message, _issue = unknown_sender(owner, sync_now, session, mailbox)
    form = gmail.click(gmail.open(message), "Fix").card
    searched = gmail.click(form, "Search", {"related_query": "Fabrikam"}).card
    refused = gmail.click(searched, "Save and sync",
                          {"related_id": fabrikam["ObjectID"], "Subject": ""})  # fmt: skip
    assert refused.card.name == "form" and "Fabrikam" in refused.card.texts()
    saved = gmail.click(refused.card, "Save and sync", {"Subject": "Trade fair leads"})
    assert saved.card.name == "saved"
    [email] = crm.read("EMailCollection")
    assert email["AccountID"] == fabrikam["AccountID"]


def test_the_homepage_warns_before_the_sync_breaks(
    gmail: GmailHost, session, mailbox, resources
) -> None:
    stored = mailbox_credentials(mailbox, resources.cipher)
    ends = int(time.time()) + 2 * 86400
    store_mailbox_credentials(mailbox, {**stored, "refresh_expires_at": ends}, resources.cipher)
    session.commit()
    assert "Warnings" not in gmail.home().texts(), "nothing is known before the check"
    tenant = session.get(Tenant, mailbox.tenant_id)
    warnings.check_tenant(session, resources.settings, tenant, utcnow())
    home = gmail.home()
    assert "Warnings (1)" in home.texts()
    assert "Google access for the sync ends on" in home.texts()
    link = home.buttons()["Re-activate"].onClick.openLink
    assert link is not None and link.url.endswith("/reactivate/")
    assert "Open issues (0)" in home.texts(), "issues listed as before"

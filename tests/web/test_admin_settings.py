"""The admin settings form (round trip, checks, audit of changes) and the audit log page."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from backend.demo.data import CONTOSO_ENTRA_TENANT_ID
from backend.models import AuditEvent, User
from backend.models.audit import record_audit
from backend.models.tenant import (
    ConflictPolicy,
    ExchangeSignIn,
    ForbiddenPolicy,
    FromSap,
    Reminder,
    TenantSettings,
)
from backend.models.types import Direction, ItemType
from backend.storage.db import utcnow
from backend.web.admin_audit import detail_lines
from backend.web.admin_forms import parse_settings, values_of
from tests.support import factories
from tests.support.web import csrf_token


def _form(client) -> dict[str, str | list[str]]:
    """What the settings page would post as it is shown (ticked boxes send "on")."""
    page = client.get("/admin/settings").get_data(as_text=True)
    data: dict[str, str | list[str]] = {"csrf_token": csrf_token(client, "/admin/settings")}
    for tag in re.findall(r"<input [^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = "on"
        else:
            data[name.group(1)] = re.search(r'value="([^"]*)"', tag).group(1)
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        data[name] = re.search(r'<option value="([^"]*)" selected', body).group(1)
    data["extra_recipients"] = re.search(r"<textarea [^>]*>(.*?)</textarea>", page, re.S).group(1)
    return data


def test_the_form_shows_the_defaults_and_saving_them_changes_nothing(client, kim, session):
    data = _form(client)
    assert data["item_types.EMAIL.direction"] == "UP"
    assert data["item_types.CONTACT.enabled"] == "on"
    assert data["mass_change_percent"] == "20" and data["mass_change_minimum"] == "25"
    assert data["notify_failure_threshold"] == "" and data["forbidden_policy.DELETE"] == "RETRY"
    answer = client.post("/admin/settings", data=data, follow_redirects=True)
    assert "Nothing changed" in answer.get_data(as_text=True)
    assert session.scalars(select(AuditEvent)).all() == []


def test_settings_round_trip_and_the_audit_names_each_change(client, kim, session, tenant):
    data = _form(client)
    data.pop("item_types.TASK.enabled")
    data.pop("delete_copies")
    data.update({
        "item_types.CONTACT.direction": "DOWN",
        "item_types.APPOINTMENT.conflict_policy": "C4C_WINS",
        "notify_failure_threshold": "5",
        "reminder": "WEEKLY",
        "extra_recipients": "IT@contoso.test, boss@contoso.test\nit@contoso.test",
        "mass_change_percent": "12.5",
        "mass_change_minimum": "40",
        "forbidden_policy.UPDATE": "ROLL_BACK",
        "forbidden_policy.DELETE": "IGNORE",
        "hide_other_users_titles": "on",
    })  # fmt: skip
    answer = client.post("/admin/settings", data=data, follow_redirects=True)
    assert "Settings saved (12 changed)" in answer.get_data(as_text=True)

    session.refresh(tenant)
    config = tenant.config
    assert config.item_types[ItemType.CONTACT].direction is Direction.DOWN
    assert config.item_types[ItemType.APPOINTMENT].conflict_policy is ConflictPolicy.C4C_WINS
    assert config.item_types[ItemType.TASK].enabled is False
    assert config.notify_failure_threshold == 5 and config.reminder is Reminder.WEEKLY
    assert config.extra_recipients == ["it@contoso.test", "boss@contoso.test"]
    assert config.mass_change_share == 0.125 and config.mass_change_minimum == 40
    assert config.forbidden_policy == {"UPDATE": ForbiddenPolicy.ROLL_BACK,
                                       "DELETE": ForbiddenPolicy.IGNORE}  # fmt: skip
    assert config.delete_copies is False and config.hide_other_users_titles is True

    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "tenant.settings"))
    assert event.actor == "kim@contoso.test" and event.target_id == str(tenant.id)
    changes = event.details["changes"]
    assert changes["item_types.CONTACT.direction"] == {"old": "BOTH", "new": "DOWN"}
    assert changes["mass_change_share"] == {"old": 0.2, "new": 0.125}
    assert changes["notify_failure_threshold"] == {"old": None, "new": 5}
    assert len(changes) == 12

    shown = _form(client)
    assert shown["mass_change_percent"] == "12.5"
    assert shown["item_types.CONTACT.direction"] == "DOWN"
    assert "item_types.TASK.enabled" not in shown
    assert shown["extra_recipients"] == "it@contoso.test\nboss@contoso.test"


def test_invalid_input_is_kept_and_explained_next_to_each_field(client, kim, session, tenant):
    data = _form(client)
    data.update({
        "mass_change_percent": "abc",
        "mass_change_minimum": "0",
        "notify_failure_threshold": "-3",
        "extra_recipients": "boss@contoso.test, not-an-address",
        "item_types.TASK.direction": "SIDEWAYS",
    })  # fmt: skip
    data.pop("delete_copies")
    answer = client.post("/admin/settings", data=data)
    page = answer.get_data(as_text=True)

    assert answer.status_code == 422
    assert "were not saved" in page
    assert re.search(r'id="error-mass_change_percent">Enter a number\.<', page)
    assert re.search(r'id="error-mass_change_minimum">Enter 1 or more\.<', page)
    assert re.search(r'id="error-notify_failure_threshold">Enter 1 or more\.<', page)
    assert re.search(r'id="error-extra_recipients">Not an e-mail address: not-an-address\.<', page)
    assert re.search(r'id="error-item_types-TASK-direction">Choose one of the options\.<', page)
    assert 'name="mass_change_percent" value="abc"' in page
    assert "boss@contoso.test, not-an-address</textarea>" in page
    assert re.search(r'name="delete_copies" value="on" >', page)
    session.refresh(tenant)
    assert tenant.config == factories.tenant_settings()
    assert session.scalars(select(AuditEvent)).all() == []


def test_limits_read_like_numbers(client, kim, session, tenant) -> None:
    data = _form(client)
    data["mass_change_percent"] = "250"
    page = client.post("/admin/settings", data=data).get_data(as_text=True)
    assert re.search(r'id="error-mass_change_percent">Enter at most 100\.<', page)
    assert "100.0" not in page


def test_the_sign_in_directories_are_lists_of_tenant_ids_and_domains(client, kim, session, tenant):
    other = "7E1F0C2D-9A4B-4C3D-8E5F-6A7B8C9D0E1F"
    shown = _form(client)
    assert shown["entra_tenant_ids"] == CONTOSO_ENTRA_TENANT_ID
    assert shown["google_domains"] == shown["email_domains"] == "contoso.test"
    data = {**shown, "entra_tenant_ids": f"{CONTOSO_ENTRA_TENANT_ID}, {other}",
            "google_domains": "contoso.test fabrikam.test",
            "email_domains": "contoso.test, Contoso.EU"}  # fmt: skip
    answer = client.post("/admin/settings", data=data, follow_redirects=True)
    assert "Settings saved (3 changed)" in answer.get_data(as_text=True)
    session.refresh(tenant)
    assert tenant.config.entra_tenant_ids == [CONTOSO_ENTRA_TENANT_ID, other.lower()]
    assert tenant.config.google_domains == ["contoso.test", "fabrikam.test"]
    assert tenant.config.email_domains == ["contoso.test", "contoso.eu"]

    refused = client.post("/admin/settings", data={**data, "entra_tenant_ids": "contoso.test",
                                                   "google_domains": "x/../y"})  # fmt: skip
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'id="error-entra_tenant_ids">Not a Microsoft Entra tenant id', page)
    assert re.search(r'id="error-google_domains">Not a domain: x/../y', page)


def test_a_key_user_cannot_remove_the_directory_they_signed_in_from(client, kim, session, tenant):
    kim.oidc_directory = CONTOSO_ENTRA_TENANT_ID
    session.commit()
    data = {**_form(client), "entra_tenant_ids": ""}
    refused = client.post("/admin/settings", data=data)
    assert refused.status_code == 422
    assert "You signed in from " + CONTOSO_ENTRA_TENANT_ID in refused.get_data(as_text=True)
    session.refresh(tenant)
    assert tenant.config.entra_tenant_ids == [CONTOSO_ENTRA_TENANT_ID]


def test_saving_the_form_keeps_the_application_permissions_it_does_not_show(
    client, kim, session, tenant
):
    config = tenant.config
    config.graph_app_tenant_id = CONTOSO_ENTRA_TENANT_ID
    tenant.config = config
    session.commit()
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="graph_app_tenant_id"' not in page, "never typed"
    assert f"<code>{CONTOSO_ENTRA_TENANT_ID}</code>" in page
    data = {**_form(client), "reminder": "DAILY", "graph_app_tenant_id": "evil.onmicrosoft.com"}
    answer = client.post("/admin/settings", data=data, follow_redirects=True)
    assert "Settings saved (1 changed)" in answer.get_data(as_text=True)
    session.refresh(tenant)
    assert tenant.config.graph_app_tenant_id == CONTOSO_ENTRA_TENANT_ID


def test_settings_post_without_csrf_token_changes_nothing(client, kim, session, tenant):
    data = _form(client)
    data.pop("csrf_token")
    data["reminder"] = "DAILY"
    assert client.post("/admin/settings", data=data).status_code == 400
    session.refresh(tenant)
    assert tenant.config.reminder is Reminder.NONE


def test_form_values_parse_back_to_the_same_settings() -> None:
    settings = TenantSettings(mass_change_share=0.333, extra_recipients=["a@b.test"],
                              notify_failure_threshold=7, reminder=Reminder.DAILY)  # fmt: skip
    parsed, errors = parse_settings(values_of(settings))
    assert errors == {} and parsed == settings
    only_contacts = TenantSettings.model_validate({"item_types": {"CONTACT": {}}})
    shown = values_of(only_contacts)
    assert shown["item_types.CONTACT.enabled"] is True
    assert shown["item_types.TASK.enabled"] is False


def test_the_audit_log_lists_the_tenants_events_newest_first_with_filters(
    client, kim, session, resources, tenant
) -> None:
    fabrikam = factories.tenant(session, resources.cipher, "fabrikam")
    anna = factories.mailbox(session, resources.cipher, tenant, "anna@contoso.test")
    session.commit()
    anna_user = session.get(User, anna.user_id)
    moments = iter(utcnow() - timedelta(minutes=n) for n in range(10, 0, -1))
    for actor, action, owner, details in (
        (kim, "mailbox.pause", tenant, {"address": "anna@contoso.test"}),
        (anna_user, "mailbox.resume", tenant, {"address": "anna@contoso.test"}),
        (kim, "tenant.settings", tenant, {"changes": {"reminder": {"old": "NONE",
                                                                   "new": "DAILY"}}}),
        (None, "mailbox.pause", fabrikam, {"address": "olga@fabrikam.test"}),
    ):  # fmt: skip
        made = record_audit(session, tenant_id=owner.id, actor=actor, action=action,
                            target_type="mailbox", target_id="1", details=details)  # fmt: skip
        made.created_at = next(moments)
    session.commit()

    page = client.get("/admin/audit").get_data(as_text=True)
    assert re.findall(r"<code>([\w.]+)</code>", page) == [
        "tenant.settings", "mailbox.resume", "mailbox.pause"
    ]  # fmt: skip
    assert "reminder:</span> NONE → DAILY" in page
    assert "olga@fabrikam.test" not in page
    filtered = client.get("/admin/audit?action=mailbox.pause").get_data(as_text=True)
    assert re.findall(r"<code>([\w.]+)</code>", filtered) == ["mailbox.pause"]
    by_anna = client.get("/admin/audit?actor=ANNA@").get_data(as_text=True)
    assert re.findall(r"<code>([\w.]+)</code>", by_anna) == ["mailbox.resume"]


def test_detail_lines_read_as_words() -> None:
    assert detail_lines({"at_provider": False, "address": "a@b.test", "n": None}) == [
        ("at_provider", "no"), ("address", "a@b.test"), ("n", "—")
    ]  # fmt: skip
    assert detail_lines({"changes": {"x": {"old": [1], "new": {"a": True}}}}) == [
        ("x", '[1] → {"a": true}')
    ]


def test_which_sap_records_reach_mailboxes_is_a_choice_per_type(client, kim, session, tenant):
    data = _form(client)
    assert data["item_types.TASK.from_sap"] == "THEIRS"
    assert data["item_types.EMAIL.from_sap"] == "THEIRS", "e-mails show no choice, keep theirs"
    data["item_types.TASK.from_sap"] = "LINKED"
    answer = client.post("/admin/settings", data=data, follow_redirects=True)
    assert "Settings saved (1 changed)" in answer.get_data(as_text=True)
    session.refresh(tenant)
    assert tenant.config.item_types[ItemType.TASK].from_sap is FromSap.LINKED

    data["item_types.CONTACT.from_sap"] = "EVERYONES"
    refused = client.post("/admin/settings", data=data)
    assert refused.status_code == 422
    assert re.search(
        r'id="error-item_types-CONTACT-from_sap">Choose one of the options\.<',
        refused.get_data(as_text=True),
    )
    session.refresh(tenant)
    assert tenant.config.item_types[ItemType.CONTACT].from_sap is FromSap.THEIRS


def test_saving_the_form_keeps_what_connections_keep(client, kim, session, tenant) -> None:
    ends = date(2030, 6, 1)
    tenant.config = tenant.config.model_copy(
        update={"exchange_sign_in": ExchangeSignIn.NTLM, "c4c_password_expires_on": ends,
                "microsoft_secret_expires_on": ends}
    )  # fmt: skip
    session.commit()
    data = {**_form(client), "reminder": "DAILY"}
    answer = client.post("/admin/settings", data=data, follow_redirects=True)
    assert "Settings saved (1 changed)" in answer.get_data(as_text=True)
    session.refresh(tenant)
    assert tenant.config.exchange_sign_in is ExchangeSignIn.NTLM
    assert (
        tenant.config.c4c_password_expires_on == tenant.config.microsoft_secret_expires_on == ends
    )


def test_when_to_warn_is_a_setting_checked_like_the_others(client, kim, session, tenant) -> None:
    data = _form(client)
    assert (data["warn_days_before"], data["trend_failures"], data["trend_runs"]) == (
        "14, 3, 1", "3", "5",
    )  # fmt: skip
    bad = {**data, "warn_days_before": "14, soon", "trend_failures": "6"}
    page = client.post("/admin/settings", data=bad).get_data(as_text=True)
    assert re.search(r'id="error-warn_days_before">Days must be whole numbers\.<', page)
    runs = r'id="error-trend_runs">Enter at least 6, the failures that make a trend\.<'
    assert re.search(runs, page)
    too_many = {**data, "warn_days_before": "1 2 3 4 5 6"}
    page = client.post("/admin/settings", data=too_many).get_data(as_text=True)
    assert "Give one to five numbers of days, each from 1 to 90." in page
    good = {**data, "warn_days_before": "7 30", "trend_failures": "2", "trend_runs": "4"}
    answer = client.post("/admin/settings", data=good, follow_redirects=True)
    assert "Settings saved (3 changed)" in answer.get_data(as_text=True)
    session.refresh(tenant)
    config = tenant.config
    assert (config.warn_days_before, config.trend_failures, config.trend_runs) == ([30, 7], 2, 4)
    assert _form(client)["warn_days_before"] == "30, 7"

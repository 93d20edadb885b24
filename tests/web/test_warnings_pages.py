"""Warnings on the pages: a user sees their mailbox's, a key user also the company's on the
dashboard and all of them in the Admin panel; nobody sees another user's or another company's.
Opening the dashboard counts as looking at one's issues."""

from __future__ import annotations

from datetime import timedelta

from backend.models import Issue, Tenant, User
from backend.models.issue import Source
from backend.models.mailbox import Provider
from backend.models.run import Trigger
from backend.models.types import IssueCode, ItemType
from backend.models.user import Role
from backend.storage.db import utcnow
from backend.sync import digest, warnings
from backend.sync.runs import execute_run
from tests.support import factories
from tests.support.run_bodies import mail_server_busy
from tests.support.web import sign_in


def _ending(session, resources, tenant: Tenant, email: str, days: float):
    """A Gmail mailbox whose Google consent ends in ``days``."""
    ends = int((utcnow() + timedelta(days=days)).timestamp())
    credentials = {"kind": "oauth", "provider": "google", "refresh_token": "r",
                   "refresh_expires_at": ends}  # fmt: skip
    box = factories.mailbox(session, resources.cipher, tenant, email, credentials=credentials,
                            provider=Provider.GMAIL)  # fmt: skip
    session.commit()
    return box


def _company_and_people(session, resources, tenant: Tenant):
    anna = _ending(session, resources, tenant, "anna@contoso.test", 2)
    ben = factories.mailbox(session, resources.cipher, tenant, "ben@contoso.test")
    old = utcnow() - timedelta(days=10)
    ben_user = session.get(User, ben.user_id)
    session.add(Issue(tenant_id=tenant.id, user_id=ben_user.id, mailbox_id=ben.id,
                      item_type=ItemType.CONTACT, item_key="mbx:1", code=IssueCode.NEEDS_INPUT,
                      source=Source.C4C, first_seen_at=old, last_seen_at=old))  # fmt: skip
    tenant.config = tenant.config.model_copy(
        update={"c4c_password_expires_on": (utcnow() + timedelta(days=12)).date()}
    )
    session.commit()
    warnings.check_tenant(session, resources.settings, tenant, utcnow(), notify=False)
    return anna, ben


def test_each_person_sees_the_warnings_that_are_theirs_to_act_on(
    app, client, session, resources, tenant, kim_box
) -> None:
    anna, ben = _company_and_people(session, resources, tenant)
    kim_home = client.get("/").get_data(as_text=True)
    assert 'id="warnings"' in kim_home
    assert "SAP integration user&#39;s password ends on" in kim_home, "the company's, to Kim"
    assert "Google access for the sync" not in kim_home, "Anna's mailbox, not Kim's"
    admin = client.get("/admin/").get_data(as_text=True)
    for words in ("SAP integration user&#39;s password ends on", "Google access for the sync",
                  "Ben has 1 issue open for over a week"):  # fmt: skip
        assert words in admin
    assert 'href="http://127.0.0.1:8000/admin/connections/"' in admin

    sign_in(app, client, session.get(User, anna.user_id))
    anna_home = client.get("/").get_data(as_text=True)
    assert "Google access for the sync ends on" in anna_home and "(in 2 days)" in anna_home
    assert "SAP integration user" not in anna_home and "Ben has" not in anna_home
    assert client.get("/admin/").status_code == 403

    sign_in(app, client, session.get(User, ben.user_id))
    ben_home = client.get("/").get_data(as_text=True)
    assert 'id="warnings"' not in ben_home, "told to the key users, not shown to Ben"


def test_another_companys_key_user_sees_none_of_them(
    app, client, session, resources, tenant
) -> None:
    _company_and_people(session, resources, tenant)
    other = factories.tenant(session, resources.cipher, slug="fabrikam")
    boss = factories.mailbox(session, resources.cipher, other, "boss@fabrikam.test", Role.KEY_USER)
    session.commit()
    sign_in(app, client, session.get(User, boss.user_id))
    for path in ("/", "/admin/"):
        page = client.get(path).get_data(as_text=True)
        assert 'id="warnings"' not in page and "Contoso" not in page


def test_opening_the_dashboard_resolves_the_warning_that_nobody_looks(
    app, client, session, resources, tenant, kim_box
) -> None:
    _anna, ben = _company_and_people(session, resources, tenant)
    ben_user = session.get(User, ben.user_id)
    assert ben_user.last_dashboard_at is None
    sign_in(app, client, ben_user)
    assert client.get("/issues").status_code == 200
    session.refresh(ben_user)
    assert ben_user.last_dashboard_at is not None
    kinds = {w.kind for w in warnings.check_tenant(session, resources.settings, tenant, utcnow())}
    assert "ISSUES_UNSEEN" not in kinds and "C4C_PASSWORD_ENDS" in kinds


def test_a_mail_server_in_trouble_for_everyone_lists_the_first_warnings_and_how_many(
    app, client, session, resources, tenant, kim_box
) -> None:
    boxes = [factories.mailbox(session, resources.cipher, tenant, f"user{n:02d}@contoso.test")
             for n in range(warnings.SHOWN + 5)]  # fmt: skip
    session.commit()
    for box in boxes:
        for _ in range(3):
            execute_run(session, box, mail_server_busy, trigger=Trigger.SCHEDULE,
                        settings=resources.settings)  # fmt: skip
    page = client.get("/admin/").get_data(as_text=True)
    assert "Warnings before a sync breaks <span" in page and "(25)</span>" in page
    assert page.count('class="warning"') == warnings.SHOWN
    assert "The 20 that end soonest or concern the whole company, of 25." in page
    found = digest.weekly(session, tenant, utcnow(), resources.settings.public_base_url)
    assert (len(found.warnings), found.warnings_total) == (warnings.SHOWN, 25)

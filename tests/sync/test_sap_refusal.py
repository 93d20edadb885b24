"""SAP refusing the company's integration user pauses the whole tenant once: one e-mail to the
key users, no mailbox stopped for re-activation, nothing scheduled; fixing the connection
resumes every mailbox."""

from __future__ import annotations

from sqlalchemy import select

from backend.jobs.runtime import use_app
from backend.jobs.schedule import enqueue_due_mailboxes
from backend.models import AuditEvent, Mailbox, Tenant, User
from backend.models.issue import Source
from backend.models.mailbox import HealthStatus
from backend.models.run import RunOutcome
from backend.models.types import IssueCode
from backend.storage.db import utcnow
from emulators.c4c import C4CEmulator
from emulators.smtp import MailCatcher
from tests.support.web import csrf_token, sign_in
from tests.support.world import C4C_USER


def test_a_changed_integration_password_pauses_the_tenant_once_and_fixing_it_resumes(
    app, client, session, tenant: Tenant, mailbox: Mailbox, c4c: C4CEmulator, sync_now,
    mail: MailCatcher,
) -> None:  # fmt: skip
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    c4c.service.security.users[C4C_USER] = "rotated-in-sap"

    for _ in range(2):
        run = sync_now()
        assert (run.outcome, run.error_code, run.error_source) == (
            RunOutcome.FAILED, IssueCode.AUTH, Source.C4C
        )  # fmt: skip
    session.refresh(tenant)
    session.refresh(mailbox)
    assert tenant.c4c_refused_since is not None
    assert mailbox.status is HealthStatus.FAILED_UNKNOWN, "not stopped for re-activation"
    assert "integration user" in mailbox.status_reason
    (notice,) = mail.messages
    assert notice.recipients == ("kim@contoso.test",)
    assert notice.subject == "Contoso: SAP refuses the integration user, syncing is paused"
    assert "/admin/connections/" in notice.body

    use_app(app)
    session.query(Mailbox).update({"next_sync_at": utcnow()})
    session.commit()
    assert enqueue_due_mailboxes() == 0, "nothing runs while SAP refuses the integration user"
    kim = session.scalars(select(User).where(User.email == "kim@contoso.test")).one()
    sign_in(app, client, kim)
    page = client.get("/").get_data(as_text=True)
    assert 'id="sap-paused"' in page and "Fix the connection" in page

    answer = client.post("/admin/connections/", data={
        "csrf_token": csrf_token(client), "action": "save", "c4c_base_url": c4c.base_url,
        "c4c_username": C4C_USER, "c4c_password": "rotated-in-sap",
        "mail_endpoint": tenant.mail_endpoint,
    })  # fmt: skip
    assert answer.status_code == 200
    assert "The connection works" in answer.get_data(as_text=True)
    session.refresh(tenant)
    assert tenant.c4c_refused_since is None
    assert enqueue_due_mailboxes() == 2, "Anna's and Kim's mailboxes are due again"
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["tenant.sap_refused", "tenant.connections", "tenant.sap_resumed"]
    assert len(mail.messages) == 1


def test_with_oauth_a_rotated_client_secret_pauses_the_tenant_and_the_new_one_resumes(
    app, client, session, tenant: Tenant, mailbox: Mailbox, c4c: C4CEmulator, sync_now,
    mail: MailCatcher,
) -> None:  # fmt: skip
    kim = session.scalars(select(User).where(User.email == "kim@contoso.test")).one()
    sign_in(app, client, kim)
    oauth = c4c.service.security.oauth

    def save(secret: str) -> str:
        return client.post("/admin/connections/", data={
            "csrf_token": csrf_token(client), "action": "save", "c4c_base_url": c4c.base_url,
            "c4c_username": C4C_USER, "mail_endpoint": tenant.mail_endpoint, "c4c_auth": "OAUTH",
            "oauth_client_id": "SSI_SYNC", "oauth_client_secret": secret,
            "oauth_issuer": "ssi-sync-contoso", "oauth_audience": oauth.service_provider,
            "oauth_scope": "UIWC:CC_HOME",
        }).get_data(as_text=True)  # fmt: skip

    save("first-secret")
    session.expire_all()
    certificate = client.get("/admin/connections/certificate.pem").get_data(as_text=True)
    oauth.trust("ssi-sync-contoso", certificate)
    oauth.register("SSI_SYNC", "first-secret", "ssi-sync-contoso", {"UIWC:CC_HOME"})
    c4c.log.clear()
    for _ in range(2):
        assert sync_now().outcome is RunOutcome.SUCCEEDED
    odata = [e for e in c4c.log.entries() if "/c4codataapi/" in e.path]
    assert odata and all(e.headers["Authorization"].startswith("Bearer ") for e in odata)

    oauth.register("SSI_SYNC", "second-secret", "ssi-sync-contoso", {"UIWC:CC_HOME"})
    oauth.expire_tokens()
    run = sync_now()
    assert (run.outcome, run.error_code, run.error_source) == (
        RunOutcome.FAILED, IssueCode.AUTH, Source.C4C
    )  # fmt: skip
    session.refresh(tenant)
    assert tenant.c4c_refused_since is not None and len(mail.messages) == 1
    assert "The connection works" in save("second-secret")
    session.refresh(tenant)
    assert tenant.c4c_refused_since is None
    assert sync_now().outcome is RunOutcome.SUCCEEDED

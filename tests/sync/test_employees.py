"""Users matched to their C4C employees by e-mail address: read only, twenty addresses per
request, and a C4C that cannot be read changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from backend.crm.c4c import C4CClient
from backend.models import User
from backend.models.types import IssueCode
from backend.sync import employees
from backend.sync import issues as issue_service
from emulators.base import Fault
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_employees
from tests.support.web import sign_in
from tests.support.world import C4C_PASSWORD, C4C_USER


def test_users_get_the_employee_with_their_address_twenty_addresses_a_request(
    session, resources, tenant, mailbox, c4c: C4CEmulator
) -> None:
    people = [("Anna", "Sales", "anna@contoso.test"), ("Ona", "OBrien", "o'brien@contoso.test")]
    seed_employees(c4c.service.store, tuple(people))
    for number in range(22):
        session.add(User(tenant_id=tenant.id, email=f"p{number}@contoso.test", name=f"P{number}"))
    session.add(User(tenant_id=tenant.id, email="o'brien@contoso.test", name="Ona"))
    session.commit()
    client = C4CClient(c4c.base_url, user=C4C_USER, password=C4C_PASSWORD)

    waiting = employees.unmatched(session, tenant.id)
    assert len(waiting) == 25  # Kim, Anna, Ona and 22 more
    assert employees.match(client, waiting) == 2
    found = dict(session.execute(select(User.email, User.c4c_employee_id)).all())
    ids = {e["Email"].lower(): e["EmployeeID"] for e in c4c.service.store.all("EmployeeCollection")}
    assert found["anna@contoso.test"] == ids["anna@contoso.test"]
    assert found["o'brien@contoso.test"] == ids["o'brien@contoso.test"]
    assert found["kim@contoso.test"] is None
    assert c4c.log.count("GET", r"EmployeeCollection") == 2, "25 addresses: two requests"
    assert {e.method for e in c4c.log.entries()} == {"GET"}

    c4c.log.clear()
    assert employees.match(client, employees.unmatched(session, tenant.id)) == 0
    assert c4c.log.count("GET", r"EmployeeCollection") == 2, "the unmatched are asked again"


def test_a_c4c_that_cannot_be_read_now_changes_nothing(
    session, resources, tenant, mailbox, c4c: C4CEmulator
) -> None:
    seed_employees(c4c.service.store, (("Anna", "Sales", "anna@contoso.test"),))
    c4c.faults.add(Fault(path=r"EmployeeCollection", status=503, times=10))
    assert employees.match_tenant(session, tenant, resources.cipher, resources.settings) == 0
    assert session.scalars(select(User.c4c_employee_id)).all() == [None, None]
    c4c.faults.clear()
    tenant.c4c_refused_since = tenant.created_at
    assert employees.match_tenant(session, tenant, resources.cipher, resources.settings) == 0
    assert c4c.log.count("GET", r"EmployeeCollection") == 1, "a paused tenant is not asked"
    tenant.c4c_refused_since = None
    assert employees.match_tenant(session, tenant, resources.cipher, resources.settings) == 1


def test_a_user_without_an_employee_has_an_issue_until_the_match_finds_them(
    app, client, session, resources, tenant, mailbox, c4c: C4CEmulator
) -> None:
    assert employees.match_tenant(session, tenant, resources.cipher, resources.settings) == 0
    session.commit()
    (issue,) = issue_service.open_issues(session, mailbox.id)
    assert (issue.code, issue.backend_code, issue.item_type) == (
        IssueCode.NOT_FOUND, "NoEmployee", None
    )  # fmt: skip
    assert issue.action_title == "Ask your key user to check your SAP employee"
    sign_in(app, client, session.get(User, mailbox.user_id))
    assert "Ask your key user to check your SAP employee" in client.get("/issues").get_data(
        as_text=True
    )

    seed_employees(c4c.service.store, (("Anna", "Sales", mailbox.address),))
    assert employees.match_tenant(session, tenant, resources.cipher, resources.settings) == 1
    session.commit()
    assert issue_service.open_issues(session, mailbox.id) == []

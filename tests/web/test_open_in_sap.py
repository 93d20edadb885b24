""" "Open in SAP": our link asks C4C for the object's business ID and redirects to C4C's own
deep link; only objects the person's items name are looked up."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from backend.models import Issue, SyncItem, Tenant, User
from backend.models.types import ItemType
from emulators.base import Fault
from tests.support.web import sign_in
from tests.support.world import contoso


@pytest.fixture
def tenant(session, resources, c4c, ews) -> Tenant:
    """Contoso on the emulators (the engine's world), not the web tests' bare tenant."""
    return contoso(session, resources.cipher, c4c, ews)


def synced_contact(owner, sync_now, session, mailbox) -> SyncItem:
    owner.add_contact("Jane", "Doe", email="jane@fabrikam.test")
    sync_now()
    return session.scalars(
        select(SyncItem).where(
            SyncItem.mailbox_id == mailbox.id, SyncItem.item_type == ItemType.CONTACT
        )
    ).one()


def test_open_in_sap_redirects_to_the_deep_link_with_the_contact_id(
    app, client, owner, sync_now, session, mailbox, crm, c4c
) -> None:
    item = synced_contact(owner, sync_now, session, mailbox)
    [row] = crm.read("ContactCollection")
    sign_in(app, client, session.get(User, mailbox.user_id))

    answer = client.get(f"/open/sap/contact/{item.c4c_object_id}")
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}" == c4c.url
    assert target.path == "/sap/public/byd/runtime"
    query = parse_qs(target.query)
    assert query["param.InternalID"] == [row["ContactID"]]
    assert query["param.Type"] == ["COD_CONTACT_TT"]
    assert query["operation"] == ["OnExtInspect"]


def test_the_dashboards_issue_links_go_through_the_lookup(
    app, client, owner, sync_now, session, mailbox
) -> None:
    owner.add_contact("Lena")
    sync_now()
    issue = session.scalars(select(Issue)).one()
    issue.c4c_object_id = "00163E0ABC"
    session.commit()
    sign_in(app, client, session.get(User, mailbox.user_id))
    page = client.get("/issues").get_data(as_text=True)
    assert 'href="http://localhost/open/sap/contact/00163E0ABC"' in page
    assert "from SAP Sync" in page or "from SAP Cloud for Customer" in page
    assert "C4c" not in page


def test_objects_the_person_does_not_have_answer_404_without_asking_c4c(
    app, client, owner, sync_now, session, mailbox, tenant, c4c
) -> None:
    item = synced_contact(owner, sync_now, session, mailbox)
    kim = session.scalars(select(User).where(User.email == "kim@contoso.test")).one()
    colleague = User(tenant_id=tenant.id, email="ben@contoso.test", name="Ben")
    session.add(colleague)
    session.commit()
    c4c.log.clear()

    sign_in(app, client, colleague)
    assert client.get(f"/open/sap/contact/{item.c4c_object_id}").status_code == 404
    sign_in(app, client, session.get(User, mailbox.user_id))
    assert client.get("/open/sap/contact/00000000000000000000000000000000").status_code == 404
    assert client.get(f"/open/sap/account/{item.c4c_object_id}").status_code == 404
    assert client.get(f"/open/sap/folder/{item.c4c_object_id}").status_code == 404
    assert client.get("/open/sap/contact/" + "A" * 200).status_code == 404
    assert c4c.log.count() == 0, "nothing was asked of C4C"
    sign_in(app, client, kim)
    assert client.get(f"/open/sap/contact/{item.c4c_object_id}").status_code == 302


def test_signed_out_people_sign_in_first(client, owner, sync_now, session, mailbox) -> None:
    item = synced_contact(owner, sync_now, session, mailbox)
    answer = client.get(f"/open/sap/contact/{item.c4c_object_id}")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_deleted_object_or_an_unreachable_c4c_says_so(
    app, client, owner, sync_now, session, mailbox, crm, c4c
) -> None:
    item = synced_contact(owner, sync_now, session, mailbox)
    sign_in(app, client, session.get(User, mailbox.user_id))
    c4c.faults.add(Fault(path=r".*ContactCollection.*", status=503, times=10))
    down = client.get(f"/open/sap/contact/{item.c4c_object_id}")
    assert down.status_code == 503 and "cannot be reached" in down.get_data(as_text=True)
    c4c.faults.clear()
    crm.delete("ContactCollection", item.c4c_object_id)
    gone = client.get(f"/open/sap/contact/{item.c4c_object_id}")
    assert gone.status_code == 404 and "no longer exists" in gone.get_data(as_text=True)

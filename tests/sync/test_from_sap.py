"""Records created in SAP reach their owner's mailbox, on every mail system.

Anna is matched to her C4C employee as a connection test matches people; a colleague works in
C4C. What is Anna's in SAP (she owns it, processes it, or owns its account) is copied into her
mailbox where the product keeps such items, changes there when it changes in SAP, and is left
alone by the runs after; what is somebody else's never reaches her.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.actions.retry import request_retry
from backend.crm.c4c import C4CClient
from backend.extensions import Resources
from backend.models import Issue, Mailbox, Run, SyncItem, Tenant, User
from backend.models.run import RunOutcome
from backend.models.tenant import ConflictPolicy, FromSap
from backend.models.types import Direction, IssueCode, ItemType
from backend.storage import db
from backend.sync import employees
from backend.sync import issues as issue_service
from emulators.base import Emulator, Fault
from emulators.c4c import C4CEmulator
from emulators.c4c.json_format import entity_json
from emulators.c4c.schema import ENTITY_SETS
from emulators.c4c.seed import seed_employees
from emulators.ews import soap as ews_soap
from tests.support.owners import MailboxOwner
from tests.support.statements import statements_run
from tests.support.world import (
    ADDRESS,
    app_config_for,
    both_mail_systems,
    contacts_go_up_only,
    type_settings,
)
from tests.support.writes import writes

pytestmark = both_mail_systems

RECORDED = json.loads((Path(__file__).parent / "classifiers" / "c4c_error_bodies.json").read_text())
"""C4C's error answers as recorded from the service."""
ANSWER_WAIT = 5
"""Seconds the product waits for an answer here (the least the setting allows)."""


@pytest.fixture
def app_config(request: pytest.FixtureRequest, kind: str) -> dict[str, object]:
    return {
        **app_config_for(request, kind),
        "READ_TIMEOUT_SECONDS": ANSWER_WAIT,
        "C4C_RECONCILE_MINUTES": 0,  # every read of C4C also looks for deleted objects
    }


COUNTERS = ("created", "updated", "deleted", "failed", "issues_opened", "issues_resolved")


@pytest.fixture
def people(
    session: Session, resources: Resources, c4c: C4CEmulator, tenant: Tenant, mailbox: Mailbox
) -> dict[str, str]:
    """Anna and Kim as C4C employees, matched to their users the way a connection test does."""
    seed_employees(
        c4c.service.store,
        (("Anna", "Sales", ADDRESS), ("Kim", "Keyuser", "kim@contoso.test")),
    )
    employees.match_tenant(session, tenant, resources.cipher, resources.settings)
    session.commit()
    return {user.name: user.c4c_employee_id for user in session.scalars(select(User))}


def _tomorrow(hour: int) -> datetime:
    day = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    return day.replace(hour=hour)


def _sap_records(crm: C4CClient, people: dict[str, str]) -> dict[str, dict]:
    anna, kim = people["Anna"], people["Kim"]
    account = crm.create("CorporateAccountCollection", {"Name": "Fabrikam", "OwnerID": anna}, None)
    other = crm.create("CorporateAccountCollection", {"Name": "Globex", "OwnerID": kim}, None)
    return {
        "contact": crm.create(
            "ContactCollection",
            {"FirstName": "Jane", "LastName": "Doe", "AccountID": account["AccountID"]},
            None,
        ),
        "colleague's contact": crm.create(
            "ContactCollection",
            {"FirstName": "Gus", "LastName": "Globex", "AccountID": other["AccountID"]},
            None,
        ),
        "task": crm.create(
            "TasksCollection", {"Subject": "Call Jane back", "ProcessorPartyID": anna}, None
        ),
        "colleague's task": crm.create(
            "TasksCollection", {"Subject": "Kim's own task", "OwnerPartyID": kim}, None
        ),
        "appointment": crm.create(
            "AppointmentCollection",
            {
                "Subject": "Visit Fabrikam",
                "OwnerPartyID": anna,
                "StartDateTime": _tomorrow(9).isoformat(),
                "EndDateTime": _tomorrow(10).isoformat(),
            },
            None,
        ),
    }


def _quiet(run: Run) -> dict[str, int]:
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    return {name: getattr(run, name) for name in COUNTERS if getattr(run, name)}


def _two_quiet_runs(sync_now: Callable[[], Run], mail: Emulator, c4c: C4CEmulator) -> None:
    """Two more runs, each of which changes nothing and writes nothing on either side."""
    for _round in range(2):
        mail.log.clear()
        c4c.log.clear()
        assert _quiet(sync_now()) == {}
        assert writes(mail) == [] and writes(c4c) == []


def _kims_globex_with_gus(crm: C4CClient, people: dict[str, str]) -> dict:
    """Kim's account Globex, with its contact Gus (nobody's but the account's)."""
    account = crm.create("CorporateAccountCollection", {"Name": "Globex", "OwnerID": people["Kim"]},
                         None)  # fmt: skip
    crm.create("ContactCollection", {"FirstName": "Gus", "LastName": "Globex",
                                     "AccountID": account["AccountID"]}, None)  # fmt: skip
    return account


def test_the_users_sap_records_reach_their_mailbox_and_nobody_elses(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
) -> None:
    records = _sap_records(crm, people)
    run = sync_now()
    assert run.outcome is RunOutcome.SUCCEEDED, run.error_message
    assert owner.contact_names() == ["Jane Doe"]
    assert owner.task_subjects() == ["Call Jane back"]
    assert owner.meeting_subjects() == ["Visit Fabrikam"]
    assert run.created == 4, "the account, its contact, the task and the appointment"
    assert owner.invitations_sent() == 0

    crm.update("TasksCollection", records["task"]["ObjectID"], {"Subject": "Call Jane"}, None)
    assert _quiet(sync_now()) == {"updated": 1}
    assert owner.task_subjects() == ["Call Jane"]

    _two_quiet_runs(sync_now, mail_emulator, c4c)


def test_nothing_comes_down_where_the_tenant_says_only_what_is_in_sync(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    session: Session,
    tenant: Tenant,
) -> None:
    config = tenant.config
    for item_type in (ItemType.CONTACT, ItemType.TASK, ItemType.APPOINTMENT, ItemType.ACCOUNT):
        config.item_types[item_type].from_sap = FromSap.LINKED
    tenant.config = config
    session.commit()
    _sap_records(crm, people)
    assert _quiet(sync_now()) == {}
    assert owner.contact_names() == owner.task_subjects() == owner.meeting_subjects() == []


def test_a_copy_whose_answer_was_lost_is_linked_next_run_not_made_twice(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    session: Session,
    kind: str,
) -> None:
    crm.create("TasksCollection", {"Subject": "Send the offer", "OwnerPartyID": people["Anna"]},
               None)  # fmt: skip
    path, body = {"exchange": ("/EWS/", "CreateItem"), "graph": ("/todo/lists/", ""),
                  "gmail": ("/tasks/v1/lists/", "")}[kind]  # fmt: skip
    mail_emulator.faults.add(
        Fault(path=path, method="POST", containing=body, after_app=True, hang=True)
    )
    first = sync_now()
    assert first.created == 0 and first.failed == 1, "the answer never came: not sent again"
    assert owner.task_subjects() == ["Send the offer"], "the mail system made it all the same"

    second = sync_now()
    assert second.outcome is RunOutcome.SUCCEEDED, second.error_message
    assert owner.task_subjects() == ["Send the offer"]
    [item] = session.scalars(select(SyncItem).where(SyncItem.item_type == ItemType.TASK))
    assert item.mailbox_item_id is not None and item.state.value == "SYNCED"
    assert _quiet(sync_now()) == {}


def test_the_sync_makes_what_it_creates_in_sap_the_users_own(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
) -> None:
    owner.add_task("Prepare the demo")
    assert sync_now().created == 1
    [task] = crm.read("TasksCollection")
    assert task["OwnerPartyID"] == people["Anna"]


def test_a_record_deleted_in_sap_leaves_the_mailbox_on_the_second_miss(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
) -> None:
    task = crm.create("TasksCollection", {"Subject": "Drop me", "OwnerPartyID": people["Anna"]},
                      None)  # fmt: skip
    crm.create("TasksCollection", {"Subject": "Keep me", "OwnerPartyID": people["Anna"]}, None)
    assert sync_now().created == 2
    crm.delete("TasksCollection", task["ObjectID"])

    missed = sync_now()
    assert missed.outcome is RunOutcome.SUCCEEDED, missed.error_message
    assert owner.task_subjects() == ["Drop me", "Keep me"], "kept one more run"
    gone = sync_now()
    assert (gone.deleted, owner.task_subjects()) == (1, ["Keep me"])
    assert _quiet(sync_now()) == {}


def test_a_copy_no_longer_the_users_leaves_on_the_next_run_unless_they_changed_it(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    session: Session,
    mailbox: Mailbox,
) -> None:
    anna, kim = people["Anna"], people["Kim"]
    handed = crm.create("ContactCollection", {"FirstName": "Hal", "LastName": "Handed",
                                              "OwnerID": anna}, None)  # fmt: skip
    edited = crm.create("ContactCollection", {"FirstName": "Eve", "LastName": "Edited",
                                              "OwnerID": anna}, None)  # fmt: skip
    assert sync_now().created == 2
    [eve] = [i for i in owner.contact_ids() if owner.contact(i).first == "Eve"]
    owner.edit_contact(eve, job_title="Buyer")
    assert _quiet(sync_now()) == {"updated": 1}

    for contact in (handed, edited):
        crm.update("ContactCollection", contact["ObjectID"], {"OwnerID": kim}, None)
    marked = sync_now()
    assert marked.outcome is RunOutcome.SUCCEEDED, marked.error_message
    assert owner.contact_names() == ["Eve Edited", "Hal Handed"], "both kept one more run"
    gone = sync_now()
    assert (gone.deleted, owner.contact_names()) == (1, ["Eve Edited"])
    [kept] = [issue for issue in issue_service.open_issues(session, mailbox.id)
              if issue.backend_code == "LeftScopeEdited"]  # fmt: skip
    assert kept.title == "Eve Edited"
    assert _quiet(sync_now()) == {}
    crm.update("ContactCollection", edited["ObjectID"], {"JobTitle": "Head buyer"}, None)
    still = sync_now()
    assert _quiet(still) == {"updated": 1, "issues_resolved": 1}, "the kept copy still syncs"


def test_the_contacts_of_an_account_that_becomes_the_users_come_with_it(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
) -> None:
    account = _kims_globex_with_gus(crm, people)
    assert _quiet(sync_now()) == {}
    assert owner.contact_names() == []

    crm.update("CorporateAccountCollection", account["ObjectID"], {"OwnerID": people["Anna"]}, None)
    assert _quiet(sync_now()) == {"created": 2}, "the account and its contact"
    assert owner.contact_names() == ["Gus Globex"]
    assert _quiet(sync_now()) == {}


def _sap_moves(crm: C4CClient, contact: dict, account: dict) -> None:
    """SAP moves ``contact`` to ``account``, and changes nothing else."""
    crm.update("ContactCollection", contact["ObjectID"], {"AccountID": account["AccountID"]}, None)


def _account_in_sap(crm: C4CClient, contact: dict) -> str | None:
    """The ``AccountID`` SAP links ``contact`` to now."""
    return crm.get("ContactCollection", contact["ObjectID"])["AccountID"]


def test_a_contact_moved_to_another_account_moves_on_the_other_side_too(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
) -> None:
    anna = people["Anna"]
    accounts = {
        name: crm.create("CorporateAccountCollection", {"Name": name, "OwnerID": anna}, None)
        for name in ("Fabrikam", "Globex", "Initech")
    }
    jane = crm.create("ContactCollection", {"FirstName": "Jane", "LastName": "Doe",
                                            "AccountID": accounts["Fabrikam"]["AccountID"]},
                      None)  # fmt: skip
    sync_now()
    [copy] = [i for i in owner.contact_ids() if owner.contact(i).first == "Jane"]
    assert owner.contact(copy).company == "Fabrikam"

    owner.edit_contact(copy, company="Globex")
    assert _quiet(sync_now()) == {"updated": 1}, "only the account changed, in the mailbox"
    moved = crm.get("ContactCollection", jane["ObjectID"])
    assert moved["AccountID"] == accounts["Globex"]["AccountID"]
    assert _quiet(sync_now()) == {}

    _sap_moves(crm, jane, accounts["Initech"])
    assert _quiet(sync_now()) == {"updated": 1}, "only the account changed, in SAP"
    assert owner.contact(copy).company == "Initech"
    assert _quiet(sync_now()) == {}
    assert _account_in_sap(crm, jane) == accounts["Initech"]["AccountID"]


def _jane_at_fabrikam(
    owner: MailboxOwner, crm: C4CClient, people: dict[str, str], sync_now: Callable[[], Run]
) -> tuple[dict, dict, dict, str]:
    """Anna's accounts Fabrikam and Globex, and Jane of Fabrikam, copied into her mailbox:
    ``(fabrikam, globex, jane, the copy's id)``."""
    fabrikam, globex = (
        crm.create("CorporateAccountCollection", {"Name": name, "OwnerID": people["Anna"]}, None)
        for name in ("Fabrikam", "Globex")
    )
    jane = crm.create("ContactCollection", {"FirstName": "Jane", "LastName": "Doe",
                                            "AccountID": fabrikam["AccountID"]}, None)  # fmt: skip
    sync_now()
    [copy] = [i for i in owner.contact_ids() if owner.contact(i).first == "Jane"]
    return fabrikam, globex, jane, copy


def test_a_contact_edited_in_the_mailbox_keeps_its_account_when_the_company_is_not_what_changed(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
) -> None:
    """Jane's copy says she is at Fabrikam; SAP renames the account to Fabrikam Inc. (Jane
    herself does not change there). A new job title in the mailbox changes her job title in
    SAP and nothing else: the mailbox still names an account SAP no longer calls so, which
    is no reason to take Jane out of it. Naming another company there still moves her; one
    SAP has no account of leaves her where she is, until SAP makes that account."""
    fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    crm.update("CorporateAccountCollection", fabrikam["ObjectID"], {"Name": "Fabrikam Inc."},
               None)  # fmt: skip
    sync_now()
    assert owner.contact(copy).company == "Fabrikam", "her copy did not change"

    before = crm.get("ContactCollection", jane["ObjectID"])
    owner.edit_contact(copy, job_title="Buyer")
    assert _quiet(sync_now()) == {"updated": 1}
    after = crm.get("ContactCollection", jane["ObjectID"])
    mapped = ("FirstName", "LastName", "JobTitle", "Email", "Phone", "Mobile", "AccountID")
    assert {name: after[name] for name in mapped} == {
        **{name: before[name] for name in mapped},
        "JobTitle": "Buyer",
    }
    assert after["AccountID"] == fabrikam["AccountID"]
    _two_quiet_runs(sync_now, mail_emulator, c4c)
    crm.update("ContactCollection", jane["ObjectID"], {"StatusCode": "2"}, None)
    _two_quiet_runs(sync_now, mail_emulator, c4c)  # nothing the mailbox holds changed in SAP

    owner.edit_contact(copy, company="Globex")
    assert _quiet(sync_now()) == {"updated": 1}
    assert _account_in_sap(crm, jane) == globex["AccountID"]
    _two_quiet_runs(sync_now, mail_emulator, c4c)

    owner.edit_contact(copy, company="Initech")  # no account in SAP: she stays at Globex there
    assert _quiet(sync_now()) == {"updated": 1}
    assert _account_in_sap(crm, jane) == globex["AccountID"]
    _two_quiet_runs(sync_now, mail_emulator, c4c)
    anna = people["Anna"]
    initech = crm.create("CorporateAccountCollection", {"Name": "Initech", "OwnerID": anna}, None)
    sync_now()  # the account reaches the mailbox
    owner.edit_contact(copy, job_title="Head of buying")  # and her next edit links her to it
    assert _quiet(sync_now()) == {"updated": 1}
    assert _account_in_sap(crm, jane) == initech["AccountID"]
    _two_quiet_runs(sync_now, mail_emulator, c4c)


def test_a_move_to_another_account_that_met_a_passing_failure_is_sent_again(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
) -> None:
    """Jane moves from Fabrikam to Globex in the mailbox while SAP answers 503: the next run
    moves her in SAP (the company is in no field the retry compares)."""
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    owner.edit_contact(copy, company="Globex")
    c4c.faults.add(Fault(path="ContactCollection", method="PATCH", status=503, times=50))
    assert _quiet(sync_now()) == {"failed": 1}
    c4c.faults.clear()
    assert _quiet(sync_now()) == {"updated": 1}
    assert _account_in_sap(crm, jane) == globex["AccountID"]
    _two_quiet_runs(sync_now, mail_emulator, c4c)


def test_an_edit_sap_refuses_on_the_retry_after_a_passing_failure_waits_for_a_change(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
) -> None:
    """Jane's last name emptied in the mailbox meets a 503, then SAP's refusal on the retry:
    an issue, and then quiet runs (no automatic retry until the item or the data changes)."""
    jane = crm.create("ContactCollection", {"FirstName": "Jane", "LastName": "Doe",
                                            "OwnerID": people["Anna"]}, None)  # fmt: skip
    sync_now()
    [copy] = [i for i in owner.contact_ids() if owner.contact(i).first == "Jane"]
    owner.edit_contact(copy, last="")
    c4c.faults.add(Fault(path="ContactCollection", method="PATCH", status=503, times=50))
    assert _quiet(sync_now()) == {"failed": 1}
    c4c.faults.clear()
    assert _quiet(sync_now()) == {"failed": 1, "issues_opened": 1}
    _two_quiet_runs(sync_now, mail_emulator, c4c)
    assert crm.get("ContactCollection", jane["ObjectID"])["LastName"] == "Doe"


def _sap_answers_a_contacts_change(c4c: C4CEmulator, answer: str) -> None:
    """C4C answers the next change of a contact with its recorded ``answer``."""
    recorded = RECORDED[answer]
    c4c.faults.add(
        Fault(path=r"ContactCollection\(", method="PATCH", status=recorded["status"],
              body=recorded["body"], content_type=recorded["headers"]["Content-Type"])
    )  # fmt: skip


def test_a_move_that_meets_a_412_over_a_change_of_nothing_mapped_is_sent_again(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
) -> None:
    """Jane moves from Fabrikam to Globex in the mailbox, and C4C answers 412 (its ETag moved
    on, nothing the mailbox shows changed): her fields in SAP equal the mailbox's, but her
    account does not. The move is sent again over the fresh ETag, not taken as landed."""
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    owner.edit_contact(copy, company="Globex")
    _sap_answers_a_contacts_change(c4c, "etag_mismatch")
    assert _quiet(sync_now()) == {"updated": 1}
    assert _account_in_sap(crm, jane) == globex["AccountID"]
    _two_quiet_runs(sync_now, mail_emulator, c4c)


@pytest.mark.parametrize("up_only", [False, True], ids=["both ways", "up only"])
def test_a_move_sap_refused_is_sent_again_when_the_person_asks_to_retry(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
    mailbox: Mailbox,
    up_only: bool,
) -> None:
    """Jane's move to Globex, made in the mailbox, is refused by SAP (the field is read-only
    for the integration user): an issue, and quiet runs after it. Once SAP lets it through,
    the person's Retry sends the move, and its issue is resolved; also where contacts only go
    up (the run reads C4C's version of Jane to see that it holds another account)."""
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    if up_only:
        contacts_go_up_only(session, tenant)
    owner.edit_contact(copy, company="Globex")
    _sap_answers_a_contacts_change(c4c, "read_only")
    assert _quiet(sync_now()) == {"failed": 1, "issues_opened": 1}
    _two_quiet_runs(sync_now, mail_emulator, c4c)

    assert _the_person_retries(session, mailbox, sync_now) == {"updated": 1, "issues_resolved": 1}
    assert _account_in_sap(crm, jane) == globex["AccountID"]
    _two_quiet_runs(sync_now, mail_emulator, c4c)


def _the_person_retries(
    session: Session, mailbox: Mailbox, sync_now: Callable[[], Run]
) -> dict[str, int]:
    """The person asks to retry the mailbox's one open issue (as its Retry button does), and
    the run that follows: what it counted."""
    [issue] = issue_service.open_issues(session, mailbox.id)
    assert request_retry(session, issue)
    session.commit()
    return _quiet(sync_now())


MAILBOX_UPDATES = {
    "exchange": {"path": "/EWS/", "method": "POST", "containing": "UpdateItem"},
    "graph": {"path": "contacts/", "method": "PATCH"},
    "gmail": {"path": "updateContact", "method": "PATCH"},
}
"""How each mail system is asked to change a contact."""


def test_a_conflict_sap_won_whose_copy_failed_for_a_moment_keeps_saps_version(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    session: Session,
    tenant: Tenant,
    kind: str,
) -> None:
    """Jane moves to Globex in the mailbox while SAP makes her CFO, and SAP wins conflicts;
    the mailbox answers 503 to SAP's version. The retry writes SAP's version down; it does
    not send the mailbox's up for the move it carried."""
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=ConflictPolicy.C4C_WINS)
    fabrikam, _globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    owner.edit_contact(copy, company="Globex")
    crm.update("ContactCollection", jane["ObjectID"], {"JobTitle": "CFO"}, None)
    mail_emulator.faults.add(Fault(status=503, times=50, **MAILBOX_UPDATES[kind]))
    assert sync_now().failed == 1
    mail_emulator.faults.clear()
    sync_now()
    held = crm.get("ContactCollection", jane["ObjectID"])
    assert (held["JobTitle"], held["AccountID"]) == ("CFO", fabrikam["AccountID"])
    assert (owner.contact(copy).job_title, owner.contact(copy).company) == ("CFO", "Fabrikam")


def test_a_move_made_in_sap_whose_copy_failed_for_a_moment_reaches_the_mailbox(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    kind: str,
) -> None:
    """SAP moves Jane from Fabrikam to Globex and nothing else; the mailbox answers 503 to the
    change. The next run writes the move down (it is in no field the retry compares)."""
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    _sap_moves(crm, jane, globex)
    mail_emulator.faults.add(Fault(status=503, times=50, **MAILBOX_UPDATES[kind]))
    assert _quiet(sync_now()) == {"failed": 1}
    mail_emulator.faults.clear()
    assert _quiet(sync_now()) == {"updated": 1}
    assert owner.contact(copy).company == "Globex"
    _two_quiet_runs(sync_now, mail_emulator, c4c)
    assert _account_in_sap(crm, jane) == globex["AccountID"]


def _mailbox_refuses_a_contacts_change(kind: str) -> Fault:
    """The mail system refuses the next change of a contact, in its own words (no passing
    failure: Exchange's mailbox is over its quota, the others find a value invalid)."""
    if kind == "exchange":
        refusal = ews_soap.error("UpdateItem", ews_soap.EwsError(
            "ErrorQuotaExceeded", "The mailbox has exceeded its quota."))  # fmt: skip
        body = ews_soap.envelope(ews_soap.response("UpdateItem", [refusal])).decode()
        return Fault(status=200, body=body, content_type="text/xml; charset=utf-8",
                     **MAILBOX_UPDATES[kind])  # fmt: skip
    error = (
        {"code": "ErrorInvalidProperty", "message": "Invalid value for the property."}
        if kind == "graph"
        else {"code": 400, "message": "Invalid value.", "status": "INVALID_ARGUMENT"}
    )
    return Fault(status=400, body=json.dumps({"error": error}), **MAILBOX_UPDATES[kind])


def _conflicts(session: Session) -> int:
    return len(session.scalars(select(Issue).where(Issue.code == IssueCode.CONFLICT)).all())


def test_a_move_made_in_sap_whose_copy_was_refused_lands_on_the_persons_retry(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    mailbox: Mailbox,
    kind: str,
) -> None:
    """SAP moves Jane to Globex and the mail system refuses her copy's change: an issue, quiet
    runs. The person's Retry writes the move down; it does not send the mailbox's account up."""
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    _sap_moves(crm, jane, globex)
    mail_emulator.faults.add(_mailbox_refuses_a_contacts_change(kind))
    assert _quiet(sync_now()) == {"failed": 1, "issues_opened": 1}
    _two_quiet_runs(sync_now, mail_emulator, c4c)

    assert _the_person_retries(session, mailbox, sync_now) == {"updated": 1, "issues_resolved": 1}
    assert owner.contact(copy).company == "Globex"
    assert _account_in_sap(crm, jane) == globex["AccountID"]
    _two_quiet_runs(sync_now, mail_emulator, c4c)


@pytest.mark.parametrize("refused", [False, True], ids=["503", "refused"])
def test_a_move_made_in_sap_not_yet_in_the_mailbox_meets_its_edit_as_a_conflict(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
    kind: str,
    refused: bool,
) -> None:
    """SAP moves Jane to Globex; her copy meets a 503, or the mail system refuses it. Jane gets
    a new job title in the mailbox before the next run, whose write to C4C meets a 503 in turn:
    a conflict, the mailbox wins (the tenant's policy), and the run after sends its version.
    Neither side's change is dropped without a conflict saying so. (Under "newer wins" the
    outcome would hang on which second each side's change fell in.)"""
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=ConflictPolicy.MAILBOX_WINS)
    fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    _sap_moves(crm, jane, globex)
    mail_emulator.faults.add(
        _mailbox_refuses_a_contacts_change(kind) if refused
        else Fault(status=503, times=50, **MAILBOX_UPDATES[kind])
    )  # fmt: skip
    assert sync_now().failed == 1
    mail_emulator.faults.clear()
    owner.edit_contact(copy, job_title="Buyer")
    c4c.faults.add(Fault(path=r"ContactCollection\(", method="PATCH", status=503, times=50))
    assert sync_now().failed == 1
    assert _conflicts(session) == 1
    c4c.faults.clear()
    sync_now()
    held = crm.get("ContactCollection", jane["ObjectID"])
    assert (held["JobTitle"], held["AccountID"]) == ("Buyer", fabrikam["AccountID"])
    assert (owner.contact(copy).job_title, owner.contact(copy).company) == ("Buyer", "Fabrikam")
    _two_quiet_runs(sync_now, mail_emulator, c4c)


@pytest.mark.parametrize("together", [False, True], ids=["edit first", "together"])
def test_a_move_made_in_sap_reaches_a_mailbox_whose_edits_do_not_go_up(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
    together: bool,
) -> None:
    """Contacts come from SAP only. Jane's new job title in the mailbox stays there; SAP then
    moves her to Globex (after a run, or before the same run), and the move reaches her copy
    (the edit that cannot go up is no conflict)."""
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    type_settings(session, tenant, ItemType.CONTACT, direction=Direction.DOWN)
    owner.edit_contact(copy, job_title="Buyer")
    if not together:
        assert _quiet(sync_now()) == {}
    _sap_moves(crm, jane, globex)
    assert _quiet(sync_now()) == {"updated": 1}
    assert owner.contact(copy).company == "Globex"
    _two_quiet_runs(sync_now, mail_emulator, c4c)


@pytest.mark.parametrize("typed", [None, "Freelance"], ids=["account's name", "typed"])
def test_a_contact_sap_takes_out_of_its_account_stays_out_after_a_mailbox_edit(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    typed: str | None,
) -> None:
    """SAP takes Jane out of Fabrikam (she stays Anna's, her owner now): her copy names no
    company any more, so a new job title in the mailbox goes up without putting her back. A
    company typed in the mailbox that names no account in SAP (C4C kept Fabrikam) stays."""
    _fabrikam, _globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    if typed:
        owner.edit_contact(copy, company=typed)
        assert _quiet(sync_now()) == {"updated": 1}
    crm.update("ContactCollection", jane["ObjectID"],
               {"AccountID": "", "OwnerID": people["Anna"]}, None)  # fmt: skip
    assert _quiet(sync_now()) == {"updated": 1}
    assert (owner.contact(copy).company or None) == typed
    _two_quiet_runs(sync_now, mail_emulator, c4c)
    owner.edit_contact(copy, job_title="Buyer")
    assert _quiet(sync_now()) == {"updated": 1}
    held = crm.get("ContactCollection", jane["ObjectID"])
    assert (held["JobTitle"], held["AccountID"] or None) == ("Buyer", None)
    _two_quiet_runs(sync_now, mail_emulator, c4c)


def test_a_conflict_sap_wins_by_taking_a_contact_out_of_its_account_clears_her_new_company(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
) -> None:
    """Jane is moved to Globex in the mailbox while SAP takes her out of Fabrikam: a conflict,
    which SAP wins by the tenant's policy (she stays Anna's, her owner now). Her copy names no
    company then, though Globex is an account SAP knows, so a new job title in the mailbox goes
    up without linking her again."""
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=ConflictPolicy.C4C_WINS)
    _fabrikam, _globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    owner.edit_contact(copy, company="Globex")
    crm.update("ContactCollection", jane["ObjectID"],
               {"AccountID": "", "OwnerID": people["Anna"]}, None)  # fmt: skip
    conflict = {"updated": 1, "issues_opened": 1, "issues_resolved": 1}  # logged, settled
    assert _quiet(sync_now()) == conflict
    assert owner.contact(copy).company is None
    assert crm.get("ContactCollection", jane["ObjectID"])["AccountID"] == ""
    _two_quiet_runs(sync_now, mail_emulator, c4c)
    owner.edit_contact(copy, job_title="Buyer")
    assert _quiet(sync_now()) == {"updated": 1}
    held = crm.get("ContactCollection", jane["ObjectID"])
    assert (held["JobTitle"], held["AccountID"] or None) == ("Buyer", None)
    _two_quiet_runs(sync_now, mail_emulator, c4c)


def _jane_with_an_address(
    owner: MailboxOwner, crm: C4CClient, people: dict[str, str], sync_now: Callable[[], Run]
) -> tuple[dict, dict, str]:
    """Anna's account Fabrikam and Jane of Fabrikam, Anna's too, with an address C4C finds
    her by, copied into her mailbox: ``(fabrikam, jane, the copy's id)``."""
    fabrikam = crm.create("CorporateAccountCollection",
                          {"Name": "Fabrikam", "OwnerID": people["Anna"]}, None)  # fmt: skip
    jane = crm.create("ContactCollection", {
        "FirstName": "Jane", "LastName": "Doe", "Email": "jane@fabrikam.test",
        "AccountID": fabrikam["AccountID"], "OwnerID": people["Anna"],
    }, None)  # fmt: skip
    sync_now()
    [copy] = owner.contact_ids()
    assert owner.contact(copy).company == "Fabrikam"
    return fabrikam, jane, copy


@pytest.mark.parametrize("failure", ["unavailable", "read_only"])
def test_a_mailbox_move_still_to_go_up_meets_sap_taking_her_out_as_a_conflict(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
    failure: str,
) -> None:
    """Jane's move to Globex, made in the mailbox, meets a 503 or SAP's refusal; then SAP takes
    her out of Fabrikam. The mailbox sends nothing new, but its move still to go up meets SAP's
    change as a conflict, which the mailbox wins by the tenant's policy: Globex on both sides,
    not cleared from the mailbox."""
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=ConflictPolicy.MAILBOX_WINS)
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    owner.edit_contact(copy, company="Globex")
    if failure == "unavailable":  # on every try of the run
        c4c.faults.add(Fault(path="ContactCollection", method="PATCH", status=503, times=50))
    else:
        _sap_answers_a_contacts_change(c4c, failure)
    assert _quiet(sync_now())["failed"] == 1
    c4c.faults.clear()
    crm.update("ContactCollection", jane["ObjectID"],
               {"AccountID": "", "OwnerID": people["Anna"]}, None)  # fmt: skip
    assert _quiet(sync_now())["updated"] == 1
    assert (owner.contact(copy).company, _account_in_sap(crm, jane)) == (
        "Globex", globex["AccountID"],
    )  # fmt: skip
    assert _conflicts(session) == 1
    _two_quiet_runs(sync_now, mail_emulator, c4c)


@pytest.mark.parametrize("company", ["Globex", "Nowhere Ltd"], ids=["same move", "typed"])
def test_a_mailbox_company_still_to_go_up_that_moves_nothing_in_sap_is_no_conflict(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
    company: str,
) -> None:
    """Jane's company is changed in the mailbox, which SAP refuses: to Globex, where SAP then
    moves her too, or to a name SAP has no account of (which moves nothing). SAP also sets her
    phone. Nothing conflicts (the mailbox would not move her from where SAP has her): her
    phone comes down, and stays in SAP, though the mailbox wins conflicts here."""
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=ConflictPolicy.MAILBOX_WINS)
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    owner.edit_contact(copy, company=company)
    _sap_answers_a_contacts_change(c4c, "read_only")
    assert _quiet(sync_now())["failed"] == 1
    changes = {"Phone": "+49 30 1"}
    if company == "Globex":
        changes["AccountID"] = globex["AccountID"]
    crm.update("ContactCollection", jane["ObjectID"], changes, None)
    assert _quiet(sync_now())["updated"] == 1
    assert crm.get("ContactCollection", jane["ObjectID"])["Phone"] == "+49 30 1"
    assert _conflicts(session) == 0
    _two_quiet_runs(sync_now, mail_emulator, c4c)


@pytest.mark.parametrize("then", ["title undone", "SAP's edit"])
def test_a_company_clear_sap_refused_goes_up_with_the_next_change_of_either_side(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
    mailbox: Mailbox,
    then: str,
) -> None:
    """Jane's company is cleared in the mailbox, which SAP refuses. Then a job title edited
    with it is undone in the mailbox (the sides' fields agree again, her account not), or SAP
    changes her phone (her company alone is ahead in the mailbox: a conflict, which the
    mailbox wins by the tenant's policy): the clear goes up, and she is out of Fabrikam on
    both sides."""
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=ConflictPolicy.MAILBOX_WINS)
    _fabrikam, jane, copy = _jane_with_an_address(owner, crm, people, sync_now)
    owner.edit_contact(
        copy, company="", **({"job_title": "Buyer"} if then == "title undone" else {})
    )
    _sap_answers_a_contacts_change(c4c, "read_only")
    assert _quiet(sync_now()) == {"failed": 1, "issues_opened": 1}
    if then == "title undone":
        owner.edit_contact(copy, job_title="")
    else:
        crm.update("ContactCollection", jane["ObjectID"], {"Phone": "+49 30 1"}, None)
    assert _quiet(sync_now())["updated"] == 1
    assert (owner.contact(copy).company or None, _account_in_sap(crm, jane) or None) == (None, None)
    assert issue_service.open_issues(session, mailbox.id) == []
    _two_quiet_runs(sync_now, mail_emulator, c4c)


TWO_WAY_POLICIES = [ConflictPolicy.C4C_WINS, ConflictPolicy.MAILBOX_WINS]


@pytest.mark.parametrize("policy", TWO_WAY_POLICIES)
@pytest.mark.parametrize("first", ["refused", "refused twice", "unavailable"])
def test_a_company_clear_still_to_go_up_goes_when_sap_then_makes_the_rest_of_the_change(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
    mailbox: Mailbox,
    policy: ConflictPolicy,
    first: str,
) -> None:
    """Jane's company is cleared in the mailbox with a new job title, which SAP refuses (or
    answers 503); then SAP gives her the same job title. The sides' fields agree, her account
    not: SAP's change is in the mailbox's version already, so nothing conflicts whatever the
    policy, and the clear goes up. Where SAP refuses it again, its issue stays open (the pair
    is not taken as settled while SAP keeps her at Fabrikam)."""
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=policy)
    fabrikam, jane, copy = _jane_with_an_address(owner, crm, people, sync_now)
    owner.edit_contact(copy, company="", job_title="Buyer")
    if first == "unavailable":  # on every try of the run
        c4c.faults.add(Fault(path="ContactCollection", method="PATCH", status=503, times=50))
        assert _quiet(sync_now()) == {"failed": 1}
        c4c.faults.clear()
    else:
        _sap_answers_a_contacts_change(c4c, "read_only")
        assert _quiet(sync_now()) == {"failed": 1, "issues_opened": 1}
    crm.update("ContactCollection", jane["ObjectID"], {"JobTitle": "Buyer"}, None)
    if first == "refused twice":
        _sap_answers_a_contacts_change(c4c, "read_only")
        assert _quiet(sync_now()) == {"failed": 1}
        assert [i.code for i in issue_service.open_issues(session, mailbox.id)] == [
            IssueCode.FORBIDDEN
        ]
        assert _account_in_sap(crm, jane) == fabrikam["AccountID"]
    else:
        resolved = {"issues_resolved": 1} if first == "refused" else {}
        assert _quiet(sync_now()) == {"updated": 1, **resolved}
        assert _account_in_sap(crm, jane) in ("", None)
        assert issue_service.open_issues(session, mailbox.id) == []
    assert crm.get("ContactCollection", jane["ObjectID"])["JobTitle"] == "Buyer"
    assert (owner.contact(copy).company or None, owner.contact(copy).job_title) == (None, "Buyer")
    assert _conflicts(session) == 0
    _two_quiet_runs(sync_now, mail_emulator, c4c)


@pytest.mark.parametrize("policy", TWO_WAY_POLICIES)
@pytest.mark.parametrize("moved", ["in the mailbox", "in SAP"])
def test_a_move_on_one_side_with_the_same_edit_on_both_is_no_conflict(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
    policy: ConflictPolicy,
    moved: str,
) -> None:
    """Between two runs, both sides give Jane the job title Buyer, and one of them moves her
    from Fabrikam to Globex. Each side's version holds all the other's but the move, so the
    move goes across whatever the policy: Globex and Buyer on both sides, no conflict."""
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=policy)
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    sap = {"JobTitle": "Buyer"}
    if moved == "in SAP":
        sap["AccountID"] = globex["AccountID"]
        owner.edit_contact(copy, job_title="Buyer")
    else:
        owner.edit_contact(copy, job_title="Buyer", company="Globex")
    crm.update("ContactCollection", jane["ObjectID"], sap, None)
    assert _quiet(sync_now()) == {"updated": 1}
    assert (owner.contact(copy).company, owner.contact(copy).job_title) == ("Globex", "Buyer")
    held = crm.get("ContactCollection", jane["ObjectID"])
    assert (held["AccountID"], held["JobTitle"]) == (globex["AccountID"], "Buyer")
    assert _conflicts(session) == 0
    _two_quiet_runs(sync_now, mail_emulator, c4c)


@pytest.mark.parametrize("policy", TWO_WAY_POLICIES)
@pytest.mark.parametrize("first", ["refused", "unavailable"])
def test_a_typed_company_still_to_go_up_meets_a_move_in_sap_as_a_conflict(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
    policy: ConflictPolicy,
    first: str,
) -> None:
    """Jane's company becomes "Nowhere Ltd" in the mailbox (no account in SAP) with a new job
    title, which SAP refuses or answers 503 to; then SAP gives her the same title and moves her
    to Globex. The fields agree, but both sides changed her company: a conflict, settled by
    the policy, never SAP's move written over the typed company without a word."""
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=policy)
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    owner.edit_contact(copy, company="Nowhere Ltd", job_title="Buyer")
    if first == "unavailable":
        c4c.faults.add(Fault(path="ContactCollection", method="PATCH", status=503, times=50))
    else:
        _sap_answers_a_contacts_change(c4c, "read_only")
    assert _quiet(sync_now())["failed"] == 1
    c4c.faults.clear()
    crm.update("ContactCollection", jane["ObjectID"],
               {"JobTitle": "Buyer", "AccountID": globex["AccountID"]}, None)  # fmt: skip
    sync_now()
    assert _conflicts(session) == 1
    kept = "Nowhere Ltd" if policy is ConflictPolicy.MAILBOX_WINS else "Globex"
    assert (owner.contact(copy).company, owner.contact(copy).job_title) == (kept, "Buyer")
    assert _account_in_sap(crm, jane) == globex["AccountID"]
    _two_quiet_runs(sync_now, mail_emulator, c4c)


@pytest.mark.parametrize("refused", [False, True], ids=["lands", "refused, retried"])
def test_a_company_cleared_in_the_mailbox_takes_a_contact_with_an_address_out_of_its_account(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    mailbox: Mailbox,
    refused: bool,
) -> None:
    """Jane of Fabrikam has an address, which C4C finds her by (her own address names her own
    account). Her company cleared in the mailbox takes her out of Fabrikam, at once or, where
    SAP refused it, on the person's Retry; a later job title goes up without putting her back."""
    _fabrikam, jane, copy = _jane_with_an_address(owner, crm, people, sync_now)

    owner.edit_contact(copy, company="")
    if refused:
        _sap_answers_a_contacts_change(c4c, "read_only")
        assert _quiet(sync_now()) == {"failed": 1, "issues_opened": 1}
        _two_quiet_runs(sync_now, mail_emulator, c4c)
        landed = _the_person_retries(session, mailbox, sync_now)
        assert landed == {"updated": 1, "issues_resolved": 1}
    else:
        assert _quiet(sync_now()) == {"updated": 1}
    assert _account_in_sap(crm, jane) in ("", None)
    _two_quiet_runs(sync_now, mail_emulator, c4c)
    owner.edit_contact(copy, job_title="Buyer")
    assert _quiet(sync_now()) == {"updated": 1}
    held = crm.get("ContactCollection", jane["ObjectID"])
    assert (held["JobTitle"], held["AccountID"] or None) == ("Buyer", None)
    assert not owner.contact(copy).company


def test_a_contact_paired_by_its_address_keeps_the_account_its_copy_never_named(
    owner: MailboxOwner,
    crm: C4CClient,
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
) -> None:
    """Jane is in SAP, of Fabrikam; the person's own contact of her, with her address and no
    company, pairs with her. Neither that nor a later job title takes her out of Fabrikam."""
    fabrikam = crm.create("CorporateAccountCollection", {"Name": "Fabrikam"}, None)
    jane = crm.create("ContactCollection", {
        "FirstName": "Jane", "LastName": "Doe", "Email": "jane@fabrikam.test",
        "AccountID": fabrikam["AccountID"],
    }, None)  # fmt: skip
    copy = owner.add_contact("Jane", "Doe", email="jane@fabrikam.test")
    assert _quiet(sync_now()).get("created", 0) == 0
    assert crm.get("ContactCollection", jane["ObjectID"])["AccountID"] == fabrikam["AccountID"]
    owner.edit_contact(copy, job_title="Buyer")
    assert _quiet(sync_now()) == {"updated": 1}
    held = crm.get("ContactCollection", jane["ObjectID"])
    assert (held["JobTitle"], held["AccountID"]) == ("Buyer", fabrikam["AccountID"])
    assert [contact["ObjectID"] for contact in crm.read("ContactCollection")] == [jane["ObjectID"]]
    _two_quiet_runs(sync_now, mail_emulator, c4c)


MAILBOX_READS = {
    "exchange": {"path": "/EWS/", "method": "POST", "containing": "GetItem"},
    "graph": {"path": r"/contacts/(?!delta)[^/?]+", "method": "GET"},
    "gmail": {"path": r"/people/(?!me)[^/:?]+", "method": "GET"},
}
"""How each mail system is asked for one contact."""


def test_a_conflict_whose_mailbox_read_failed_for_a_moment_keeps_saps_move_pending(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
    tenant: Tenant,
    kind: str,
) -> None:
    """SAP wins conflicts. Jane's new job title meets a 503 from C4C; SAP then moves her to
    Globex: a conflict, whose read of the mailbox's copy meets a 503 in turn. The run after
    settles the conflict as the policy says: SAP's version, move and all, reaches the mailbox,
    and the mailbox's account does not go up over it."""
    type_settings(session, tenant, ItemType.CONTACT, conflict_policy=ConflictPolicy.C4C_WINS)
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    owner.edit_contact(copy, job_title="Buyer")
    c4c.faults.add(Fault(path=r"ContactCollection\(", method="PATCH", status=503, times=50))
    assert _quiet(sync_now()) == {"failed": 1}
    c4c.faults.clear()
    _sap_moves(crm, jane, globex)
    mail_emulator.faults.add(Fault(status=503, times=3, **MAILBOX_READS[kind]))
    assert _quiet(sync_now()) == {"failed": 1}
    mail_emulator.faults.clear()
    sync_now()
    assert _conflicts(session) == 1
    assert owner.contact(copy).company == "Globex"
    assert _account_in_sap(crm, jane) == globex["AccountID"]
    _two_quiet_runs(sync_now, mail_emulator, c4c)


def test_a_mailbox_edit_that_met_a_passing_failure_meets_a_move_made_in_sap_as_a_conflict(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
    session: Session,
) -> None:
    """Jane's new job title meets a 503 from C4C; SAP then moves her to Globex. Both changed
    since the last sync: a conflict, SAP's (newer) version wins, and it is told."""
    _fabrikam, globex, jane, copy = _jane_at_fabrikam(owner, crm, people, sync_now)
    owner.edit_contact(copy, job_title="Buyer")
    c4c.faults.add(Fault(path=r"ContactCollection\(", method="PATCH", status=503, times=50))
    assert _quiet(sync_now()) == {"failed": 1}
    c4c.faults.clear()
    _sap_moves(crm, jane, globex)
    assert _quiet(sync_now()) == {"updated": 1, "issues_opened": 1, "issues_resolved": 1}
    assert _conflicts(session) == 1
    assert owner.contact(copy).company == "Globex"
    _two_quiet_runs(sync_now, mail_emulator, c4c)


TEAM, PARTIES = "CorporateAccountTeamCollection", "AppointmentInvolvedPartiesCollection"


def test_a_team_member_gets_the_account_and_its_contacts_and_loses_them_leaving_the_team(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    c4c: C4CEmulator,
) -> None:
    store = c4c.service.store
    account = _kims_globex_with_gus(crm, people)
    assert _quiet(sync_now()) == {}

    member = store.create(TEAM, {"ParentObjectID": account["ObjectID"],
                                 "EmployeeID": people["Anna"], "PartyRoleCode": "142"})  # fmt: skip
    assert _quiet(sync_now()) == {"created": 2}, "the account and its contact"
    assert owner.contact_names() == ["Gus Globex"]
    assert _quiet(sync_now()) == {}

    store.delete(TEAM, member["ObjectID"])
    marked = sync_now()
    assert marked.outcome is RunOutcome.SUCCEEDED, marked.error_message
    assert owner.contact_names() == ["Gus Globex"], "kept one more run"
    gone = sync_now()
    assert (gone.deleted, owner.contact_names()) == (2, [])
    assert _quiet(sync_now()) == {}


def test_a_contact_leaves_with_its_account_when_the_account_is_given_to_a_colleague(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
) -> None:
    account = crm.create("CorporateAccountCollection",
                         {"Name": "Fabrikam", "OwnerID": people["Anna"]}, None)  # fmt: skip
    jane = crm.create("ContactCollection", {"FirstName": "Jane", "LastName": "Doe",
                                            "AccountID": account["AccountID"]}, None)  # fmt: skip
    crm.create("ContactCollection", {"FirstName": "Mia", "LastName": "Mine", "AccountID":
                                     account["AccountID"], "OwnerID": people["Anna"]},
               None)  # fmt: skip
    assert _quiet(sync_now()) == {"created": 3}

    crm.update("CorporateAccountCollection", account["ObjectID"], {"OwnerID": people["Kim"]}, None)
    marked = sync_now()
    assert marked.outcome is RunOutcome.SUCCEEDED, marked.error_message
    assert owner.contact_names() == ["Jane Doe", "Mia Mine"], "kept one more run"
    gone = sync_now()
    assert gone.deleted == 2, "the account and Jane, who is nobody's but the account's"
    assert owner.contact_names() == ["Mia Mine"], "Mia is Anna's own"
    assert crm.get("ContactCollection", jane["ObjectID"])["LastName"] == "Doe", "SAP keeps it"
    assert _quiet(sync_now()) == {}


def test_an_appointment_the_user_attends_reaches_their_calendar_and_invites_nobody(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    c4c: C4CEmulator,
) -> None:
    store = c4c.service.store
    kims = {}
    for subject, hour in (("Review with Anna", 9), ("Kim alone", 11)):
        start, end = _tomorrow(hour).isoformat(), _tomorrow(hour + 1).isoformat()
        kims[subject] = crm.create("AppointmentCollection", {
            "Subject": subject, "OwnerPartyID": people["Kim"], "StartDateTime": start,
            "EndDateTime": end,
        }, None)  # fmt: skip
    review = kims["Review with Anna"]["ObjectID"]
    for party in (people["Kim"], people["Anna"]):
        store.create(PARTIES, {"ParentObjectID": review, "PartyID": party, "RoleCode": "55"})
    assert _quiet(sync_now()) == {"created": 1}
    assert owner.meeting_subjects() == ["Review with Anna"]
    assert owner.invitations_sent() == 0
    assert _quiet(sync_now()) == {}

    [anna] = [row for row in store.all(PARTIES) if row["PartyID"] == people["Anna"]]
    store.delete(PARTIES, anna["ObjectID"])
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert owner.meeting_subjects() == ["Review with Anna"], "kept one more run"
    gone = sync_now()
    assert (gone.deleted, owner.meeting_subjects()) == (1, [])
    assert owner.invitations_sent() == 0, "nor is anybody told it was cancelled"
    assert _quiet(sync_now()) == {}


def test_an_answer_that_leaves_out_the_team_takes_nobody_off_it(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    c4c: C4CEmulator,
) -> None:
    store = c4c.service.store
    account = _kims_globex_with_gus(crm, people)
    store.create(TEAM, {"ParentObjectID": account["ObjectID"], "EmployeeID": people["Anna"],
                        "PartyRoleCode": "142"})  # fmt: skip
    assert _quiet(sync_now()) == {"created": 2}

    changed = store.update("CorporateAccountCollection", account["ObjectID"],
                           {"Name": "Globex Corp"})  # fmt: skip
    accounts = ENTITY_SETS["CorporateAccountCollection"]
    unexpanded = entity_json(c4c.base_url, accounts, changed)  # the team deferred, not read
    c4c.faults.add(Fault(path=r"CorporateAccountCollection$", method="GET", status=200,
                         body=json.dumps({"d": {"results": [unexpanded]}})))  # fmt: skip
    assert _quiet(sync_now()) == {"updated": 1}, "the new name, and nothing else"
    assert not c4c.faults.pending(), "the delta read got the answer without the team"
    for _round in range(2):
        assert _quiet(sync_now()) == {}
    assert owner.contact_names() == ["Gus Globex"], "Anna is still in the team: nothing left"


def test_a_copy_the_user_removed_does_not_come_back_when_its_account_merely_changes(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    session: Session,
    tenant: Tenant,
) -> None:
    config = tenant.config
    config.delete_copies = False  # a copy removed in the mailbox is only unlinked
    tenant.config = config
    session.commit()
    account = crm.create("CorporateAccountCollection",
                         {"Name": "Fabrikam", "OwnerID": people["Anna"]}, None)  # fmt: skip
    crm.create("ContactCollection", {"FirstName": "Jane", "LastName": "Doe",
                                     "AccountID": account["AccountID"]}, None)  # fmt: skip
    assert _quiet(sync_now()) == {"created": 2}
    [jane] = [i for i in owner.contact_ids() if owner.contact(i).first == "Jane"]
    owner.delete_contact(jane)
    for _round in range(2):
        assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert owner.contact_names() == []

    crm.update("CorporateAccountCollection", account["ObjectID"], {"Phone": "+49 30 9"}, None)
    assert _quiet(sync_now()) == {"updated": 1}, "the account's copy changes, Jane stays away"
    assert owner.contact_names() == []


def test_records_edited_in_the_mailbox_keep_what_the_mailbox_cannot_hold_as_sap_has_it(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    mail_emulator: Emulator,
    c4c: C4CEmulator,
) -> None:
    """SAP's first task is *Immediate* and *Canceled*, from 9:00 to 15:00 tomorrow; the mailbox
    shows it *High* and *Deferred* on two days (Google Tasks: no importance, no start, not done),
    and the second, *Urgent* and *In Process*, alike; both are of Kim's account Globex and its
    contact Gus, and so is an appointment, whose copy has no attendees. Renaming all three in
    the mailbox (the tasks' changes go up together) renames them in SAP and changes nothing
    else; completing a task there changes its status alone."""
    globex = _kims_globex_with_gus(crm, people)
    [gus] = [c for c in crm.read("ContactCollection") if c["LastName"] == "Globex"]
    links = {"AccountID": globex["AccountID"], "PrimaryContactID": gus["ContactID"]}
    start, due = _tomorrow(9).isoformat(), _tomorrow(15).isoformat()
    tasks = [
        crm.create("TasksCollection", {"Subject": subject, "ProcessorPartyID": people["Anna"],
                                       "PriorityCode": priority, "LifeCycleStatusCode": status,
                                       "StartDateTime": start, "DueDateTime": due, **links}, None)
        for subject, priority, status in (("Call Jane", "1", "4"), ("Send the offer", "2", "2"))
    ]  # fmt: skip
    visit = crm.create("AppointmentCollection", {"Subject": "Visit Globex", "StartDateTime": start,
                                                 "EndDateTime": due, "OwnerPartyID": people["Anna"],
                                                 **links}, None)  # fmt: skip
    shown = ("Subject", "PriorityCode", "LifeCycleStatusCode", "StartDateTime", "DueDateTime",
             "AccountID", "PrimaryContactID")  # fmt: skip

    def in_sap() -> list[dict[str, object]]:
        fresh = [crm.get("TasksCollection", task["ObjectID"]) for task in tasks]
        meeting = crm.get("AppointmentCollection", visit["ObjectID"])
        return [*({name: values[name] for name in shown} for values in fresh),
                {name: meeting.get(name) for name in shown}]  # fmt: skip

    assert _quiet(sync_now()) == {"created": 3}
    _two_quiet_runs(sync_now, mail_emulator, c4c)  # the copies are no change, whatever they lack
    first, second, meeting = in_sap()
    assert (first["AccountID"], meeting["PrimaryContactID"]) == tuple(links.values())
    owner.edit_task("Call Jane", to="Call Jane today")
    owner.edit_task("Send the offer", to="Send the offer today")
    owner.rename_meeting("Visit Globex", to="Visit Globex and Gus")
    assert _quiet(sync_now()) == {"updated": 3}
    assert in_sap() == [
        {**first, "Subject": "Call Jane today"},
        {**second, "Subject": "Send the offer today"},
        {**meeting, "Subject": "Visit Globex and Gus"},
    ]

    _two_quiet_runs(sync_now, mail_emulator, c4c)

    owner.edit_task("Send the offer today", done=True)
    assert _quiet(sync_now()) == {"updated": 1}
    assert in_sap()[1] == {**second, "Subject": "Send the offer today", "LifeCycleStatusCode": "3"}


def test_a_tasks_rename_whose_answer_was_lost_is_found_held_by_sap_not_in_conflict(
    owner: MailboxOwner,
    crm: C4CClient,
    people: dict[str, str],
    sync_now: Callable[[], Run],
    session: Session,
    mailbox: Mailbox,
    c4c: C4CEmulator,
) -> None:
    """The rename of an *Urgent* task (no importance in Google Tasks) lands in SAP but its
    answer is lost. The next run meets a 412, reads SAP's task, finds the mailbox's version
    there as the mailbox holds it, and marks it synced: no conflict, no issue, no write."""
    values = {"Subject": "Call Jane", "PriorityCode": "2", "ProcessorPartyID": people["Anna"],
              "StartDateTime": _tomorrow(9).isoformat()}  # fmt: skip
    task = crm.create("TasksCollection", values, None)
    assert _quiet(sync_now()) == {"created": 1}
    owner.edit_task("Call Jane", to="Call Jane today")
    c4c.faults.add(Fault(path=r"TasksCollection\(", method="PATCH", after_app=True, drop=True))

    lost = sync_now()

    held = crm.get("TasksCollection", task["ObjectID"])
    assert (held["Subject"], held["PriorityCode"]) == ("Call Jane today", "2"), "it landed"
    assert (lost.outcome, lost.updated, lost.failed) == (RunOutcome.SUCCEEDED, 0, 1), "unsure"
    settled = sync_now()
    assert settled.outcome is RunOutcome.SUCCEEDED, settled.error_message
    assert (settled.updated, settled.issues_opened, settled.failed) == (0, 0, 0)
    assert issue_service.open_issues(session, mailbox.id) == []
    c4c.log.clear()
    assert _quiet(sync_now()) == {}
    assert writes(c4c) == []


def test_a_first_sync_that_pairs_its_contacts_renews_the_statistics_of_their_rows(
    owner: MailboxOwner,
    crm: C4CClient,
    sync_now: Callable[[], Run],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SAP has the mailbox's contacts already: the first sync pairs them (it creates none) and
    adds their rows all the same, so on PostgreSQL it renews the statistics of those rows (with
    a threshold of three rows here, not a thousand)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner statistics; the suite runs on SQLite")
    monkeypatch.setattr(db, "STALE_AFTER_ROWS", 3)
    session.execute(text("ANALYZE sync_item"))  # counted as it is now, whatever ran before
    session.commit()
    for n in range(4):
        address = f"buyer{n}@fabrikam.test"
        values = {"FirstName": "Buyer", "LastName": f"No{n}", "Email": address}
        crm.create("ContactCollection", values, None)
        owner.add_contact("Buyer", f"No{n}", email=address)
    with statements_run(session.get_bind()) as statements:
        run = sync_now()

    assert (run.created, run.updated) == (0, 0), "paired, not created"
    assert 'ANALYZE "sync_item"' in statements

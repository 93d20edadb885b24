"""The tenant's C4C feed: C4C read once for all mailboxes, nothing kept twice, a cut-short first
read continued where it stopped, and each mailbox handed only what concerns it; the feeds read
ahead in a thread of their own."""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, event, func, inspect, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CError
from backend.crm.transport import RetryPolicy
from backend.models import C4CFeed, C4CParty, C4CRecord, Tenant
from backend.storage.db import utcnow
from backend.sync import feed
from backend.sync.mapping.accounts import MAPPING as ACCOUNTS
from backend.sync.mapping.contacts import MAPPING as CONTACTS
from backend.sync.mapping.tasks import MAPPING as TASKS
from backend.sync.read_ahead import THREAD_NAME, ReadAhead
from emulators.base import Fault
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_contacts, seed_employees
from tests.support.statements import commits_sent, statements_run
from tests.support.threads import alive
from tests.support.world import C4C_PASSWORD, C4C_USER


@pytest.fixture
def integration(c4c: C4CEmulator) -> C4CClient:
    """C4C as the sync reads it, failing at once (no retries) where a test breaks it."""
    return C4CClient(
        c4c.base_url, user=C4C_USER, password=C4C_PASSWORD, retry=RetryPolicy(attempts=1)
    )


def _collection_reads(c4c: C4CEmulator) -> int:
    return sum(1 for entry in c4c.log.entries("GET") if entry.path.endswith("Collection"))


def _kept(session: Session, tenant: Tenant, entity_set: str) -> int:
    return session.scalar(
        select(func.count(C4CRecord.id)).where(
            C4CRecord.tenant_id == tenant.id, C4CRecord.entity_set == entity_set
        )
    )


def test_c4c_is_read_once_for_every_run_due_before_the_read(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    seed_contacts(c4c.service.store, 3)
    due = utcnow() - timedelta(seconds=30)
    for _mailbox in range(5):
        feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=due)
    assert _collection_reads(c4c) == 1
    assert _kept(session, tenant, "ContactCollection") == 3

    feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    assert _collection_reads(c4c) == 2, "a run asked for after the read reads again"


def test_a_version_c4c_sends_again_is_not_kept_again(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    seed_contacts(c4c.service.store, 3)
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    assert kept.seq == 3
    for _round in range(3):
        kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    assert kept.seq == 3, "the newest row comes again with every delta, unchanged"

    [first, *_rest] = c4c.service.store.all("ContactCollection")
    c4c.service.store.update("ContactCollection", first["ObjectID"], {"JobTitle": "Buyer"})
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    assert kept.seq == 4
    record = session.scalars(select(C4CRecord).where(C4CRecord.seq == 4)).one()
    assert feed.decode(record.values)["JobTitle"] == "Buyer"


def test_a_page_of_new_records_is_kept_in_one_statement_as_c4c_sent_it(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    seed_contacts(c4c.service.store, 300)
    awkward = 'O\'Brien, "Jr." {ä} \\ NULL'
    [first, *_rest] = c4c.service.store.all("ContactCollection")
    c4c.service.store.update("ContactCollection", first["ObjectID"], {"LastName": awkward})
    with statements_run(session.get_bind()) as statements:
        kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO C4C_RECORD")]
    assert len(inserts) == 1, "a page's new records go together"
    if session.get_bind().dialect.name == "postgresql":
        assert inserts[0].count("%(") < 20, "one document, not a parameter per value"
    assert kept.seq == 300 and _kept(session, tenant, "ContactCollection") == 300
    session.expire_all()
    record = session.scalars(
        select(C4CRecord).where(C4CRecord.object_id == first["ObjectID"])
    ).one()
    entity = feed.decode(record.values)
    assert entity["LastName"] == awkward and entity["Email"] == first["Email"]
    assert isinstance(entity["EntityLastChangedOn"], datetime), "date-times kept as such"
    assert record.etag is not None and record.deleted_at is None
    assert sorted(session.scalars(select(C4CRecord.seq))) == list(range(1, 301))


def test_a_value_text_cannot_hold_is_kept_as_c4c_sent_it(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    """JSON carries a NUL (``\\u0000``) or a lone surrogate, which a database's text cannot:
    the record is kept all the same, and its page with it."""
    seed_contacts(c4c.service.store, 3)
    first, second, _third = c4c.service.store.all("ContactCollection")
    c4c.service.store.update("ContactCollection", first["ObjectID"], {"LastName": "a\x00b"})
    c4c.service.store.update("ContactCollection", second["ObjectID"], {"LastName": "a\ud83db"})
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    assert kept.seq == 3
    session.expire_all()
    names = {
        record.object_id: feed.decode(record.values)["LastName"]
        for record in session.scalars(select(C4CRecord))
    }
    assert (names[first["ObjectID"]], names[second["ObjectID"]]) == ("a\x00b", "a\ud83db")


def test_an_object_sent_twice_in_a_page_keeps_its_last_version_and_team(
    session: Session, tenant: Tenant
) -> None:
    state = feed._feed(session, tenant.id, ACCOUNTS.entity_set)
    sent = [
        {"ObjectID": "A1", "Name": "Fabrikam", "__metadata": {"etag": 'W/"1"'}, "OwnerID": "E0",
         "CorporateAccountTeam": {"results": [{"EmployeeID": "E1"}, {"EmployeeID": "E2"}]}},
        {"ObjectID": "A1", "Name": "Fabrikam AG", "__metadata": {"etag": 'W/"2"'}, "OwnerID": "E0",
         "CorporateAccountTeam": {"results": [{"EmployeeID": "E2"}, {"EmployeeID": "E3"}]}},
    ]  # fmt: skip
    feed._keep(session, state, ACCOUNTS, sent, refill=False)
    session.commit()
    [record] = session.scalars(select(C4CRecord)).all()
    assert (record.etag, record.values["Name"]) == ('W/"2"', "Fabrikam AG")
    team = session.scalars(select(C4CParty.employee_id).where(C4CParty.record_id == record.id))
    assert sorted(team) == ["E2", "E3"]


def test_a_first_read_cut_short_continues_where_it_stopped(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    seed_contacts(c4c.service.store, 2500)
    c4c.faults.add(Fault(path="ContactCollection$", method="GET", status=None, times=2))
    c4c.faults.add(Fault(path="ContactCollection$", method="GET", status=500, times=1))
    with pytest.raises(C4CError):
        feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    session.rollback()
    assert _kept(session, tenant, "ContactCollection") == 2000, "two pages kept"
    state = session.get(C4CFeed, (tenant.id, "ContactCollection"))
    assert state is not None and state.read_at is None and state.since is not None

    c4c.log.clear()
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    assert _kept(session, tenant, "ContactCollection") == 2500
    assert kept.seq == 2500, "nothing kept twice"
    assert _collection_reads(c4c) == 1, "the rest only, in one page"


@pytest.fixture
def small_pages(c4c: C4CEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """C4C sends two records a page, and the feed keeps them two at a time."""
    monkeypatch.setattr(feed, "PAGE", 2)
    monkeypatch.setattr(c4c.service, "page_size", 2)


@pytest.mark.usefixtures("small_pages")
def test_a_read_cut_short_keeps_the_pages_of_accounts_with_no_team(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    """An account's team comes with it (``$expand``), and an empty team replaces none: such a
    page kept its records all the same, and is committed before C4C fails."""
    for number in range(6):
        c4c.service.store.create("CorporateAccountCollection", {"Name": f"Account {number}"})
    path = "CorporateAccountCollection$"
    c4c.faults.add(Fault(path=path, method="GET", status=None, times=2))
    c4c.faults.add(Fault(path=path, method="GET", status=500, times=1))
    with pytest.raises(C4CError):
        feed.refresh(session, tenant.id, integration, ACCOUNTS, fresh_since=utcnow())
    session.rollback()
    assert _kept(session, tenant, "CorporateAccountCollection") == 4, "two pages kept"

    kept = feed.refresh(session, tenant.id, integration, ACCOUNTS, fresh_since=utcnow())
    assert _kept(session, tenant, "CorporateAccountCollection") == 6
    assert kept.seq == 6, "nothing kept twice"


def test_each_mailbox_gets_what_is_linked_to_it_or_its_users_own(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    store = c4c.service.store
    seed_employees(store, (("Anna", "Sales", "anna@contoso.test"), ("Kim", "Key", "k@c.test")))
    anna, kim = (row["EmployeeID"] for row in store.all("EmployeeCollection"))
    mine = store.create("TasksCollection", {"Subject": "Mine", "ProcessorPartyID": anna})
    store.create("TasksCollection", {"Subject": "Kim's", "OwnerPartyID": kim})
    kept = feed.refresh(session, tenant.id, integration, TASKS, fresh_since=utcnow())

    first = feed.concerning(session, kept, 1, TASKS, None, anna)
    assert [entity["Subject"] for entity in first.entities] == ["Mine"]
    assert first.mine == {mine["ObjectID"]} and first.upto == 2
    assert feed.concerning(session, kept, 1, TASKS, first.upto, anna).entities == []
    assert feed.concerning(session, kept, 1, TASKS, None, None).entities == []


def test_objects_deleted_in_c4c_are_found_by_the_reconcile_and_handed_on_once(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    seed_contacts(c4c.service.store, 90)
    rows = c4c.service.store.all("ContactCollection")
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    for row in rows[10:13]:
        c4c.service.store.delete("ContactCollection", row["ObjectID"])
    c4c.log.clear()
    daily = timedelta(days=1)
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow(),
                        reconcile_every=daily)  # fmt: skip
    assert _collection_reads(c4c) == 1, "a whole first read needs no reconcile"

    kept.reconciled_at = utcnow() - daily
    session.commit()
    c4c.log.clear()
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow(),
                        reconcile_every=daily)  # fmt: skip
    assert _collection_reads(c4c) == 1, "the delta"
    assert c4c.log.count("POST", r"/\$batch$") == 1, "then 90 objects, 40 to a query, at once"
    assert kept.seq == 93
    gone = session.scalars(select(C4CRecord.object_id).where(C4CRecord.deleted_at.is_not(None)))
    assert set(gone) == {row["ObjectID"] for row in rows[10:13]}
    news = feed.concerning(session, kept, 1, CONTACTS, 90, None)
    assert news.entities == [], "no mailbox has them linked"


def test_a_feed_another_run_starts_at_the_same_moment_is_used_not_made_again(
    session: Session, resources, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    """Two runs of the tenant start the same feed at once: the second one's insert meets the
    row the first committed between its look and its write, and uses that row."""

    raced: list[bool] = []

    def the_other_run_commits_first(*_args: object) -> None:
        if raced:
            return
        raced.append(True)
        other = resources.session_factory()
        try:
            other.add(C4CFeed(tenant_id=tenant.id, entity_set="ContactCollection", seq=0))
            other.commit()
        finally:
            other.close()

    event.listen(session, "before_flush", the_other_run_commits_first)
    seed_contacts(c4c.service.store, 2)
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    event.remove(session, "before_flush", the_other_run_commits_first)
    assert raced, "the other run committed between the look and the write"
    assert kept.seq == 2
    assert session.scalar(select(func.count()).select_from(C4CFeed)) == 1


def test_a_whole_read_again_fills_what_was_not_read_and_renumbers_only_whom_it_concerns(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    """As after migration 0010: the accounts' feed starts over with its parties forgotten. An
    account with nobody but its owner keeps its number (no mailbox takes it for a change); one
    whose team has someone else is renumbered, so that person's mailbox learns it is theirs."""
    store = c4c.service.store
    seed_employees(store, (("Anna", "Sales", "anna@contoso.test"),
                           ("Kim", "Keyuser", "kim@contoso.test")))  # fmt: skip
    anna, kim = (row["EmployeeID"] for row in store.all("EmployeeCollection"))
    alone = store.create("CorporateAccountCollection", {"Name": "Alone", "OwnerID": kim})
    teamed = store.create("CorporateAccountCollection", {"Name": "Teamed", "OwnerID": kim})
    for account, member in ((alone, kim), (teamed, anna)):
        store.create("CorporateAccountTeamCollection", {
            "ParentObjectID": account["ObjectID"], "EmployeeID": member, "PartyRoleCode": "142",
        })  # fmt: skip
    kept = feed.refresh(session, tenant.id, integration, ACCOUNTS, fresh_since=utcnow())
    numbers = dict(session.execute(select(C4CRecord.object_id, C4CRecord.seq)).all())
    session.execute(delete(C4CParty))
    kept.since = None
    session.commit()

    kept = feed.refresh(session, tenant.id, integration, ACCOUNTS, fresh_since=utcnow())
    after = dict(session.execute(select(C4CRecord.object_id, C4CRecord.seq)).all())
    assert after[alone["ObjectID"]] == numbers[alone["ObjectID"]], "no change for anybody"
    assert after[teamed["ObjectID"]] > numbers[teamed["ObjectID"]], "Anna must learn it"
    assert set(session.scalars(select(C4CParty.employee_id))) == {anna, kim}, "parties filled"
    assert kept.reconciled_at is not None


def test_a_read_that_brings_nothing_new_commits_only_its_time(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    seed_contacts(c4c.service.store, 3)
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    read_at = kept.read_at
    with statements_run(session.get_bind()) as sent, commits_sent(session.get_bind()) as commits:
        kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    assert kept.seq == 3 and kept.read_at > read_at
    writes = [s for s in sent if not s.lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE C4C_FEED")
    assert len(commits) == 1, "the read's time, not the page that kept nothing"

    c4c.service.store.update(
        "ContactCollection", c4c.service.store.all("ContactCollection")[0]["ObjectID"],
        {"JobTitle": "Buyer"},
    )  # fmt: skip
    with commits_sent(session.get_bind()) as commits:
        kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    assert kept.seq == 4
    assert len(commits) == 2, "a page that kept something is committed at once"


def test_a_mailbox_with_nothing_new_in_the_feed_is_answered_without_a_query(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    store = c4c.service.store
    seed_employees(store, (("Anna", "Sales", "anna@contoso.test"),))
    [anna] = (row["EmployeeID"] for row in store.all("EmployeeCollection"))
    account = store.create("CorporateAccountCollection", {"Name": "Globex", "OwnerID": anna})
    store.create("ContactCollection", {"FirstName": "Gus", "LastName": "Globex",
                                       "AccountID": account["AccountID"]})  # fmt: skip
    accounts = feed.refresh(session, tenant.id, integration, ACCOUNTS, fresh_since=utcnow())
    contacts = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    upto, accounts_upto = contacts.seq, accounts.seq

    with statements_run(session.get_bind()) as sent:
        quiet = feed.concerning(session, contacts, 1, CONTACTS, upto, anna, accounts_upto,
                                accounts_upto)  # fmt: skip
    assert (quiet.entities, quiet.mine, quiet.upto, sent) == ([], set(), upto, [])

    # The contact did not change, its account did (it became Anna's): Gus comes, whether the
    # accounts' feed number is known or not.
    for known in (accounts_upto, None):
        news = feed.concerning(session, contacts, 1, CONTACTS, upto, anna, accounts_upto - 1, known)
        assert [entity["LastName"] for entity in news.entities] == ["Globex"], known


def test_a_feed_another_process_read_since_the_run_began_is_not_read_again(
    session: Session, resources, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    """A run reads the tenant's feeds as it begins (``feed.load``); another worker's run reads
    C4C before this one comes to a type: this run reads the row again, finds it fresh, and
    does not read C4C."""
    seed_contacts(c4c.service.store, 3)
    feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    due = utcnow()
    held = feed.load(session, tenant.id)
    other = resources.session_factory()
    try:
        feed.refresh(other, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    finally:
        other.close()
    c4c.log.clear()
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=due)
    assert _collection_reads(c4c) == 0
    assert kept in held and kept.read_at >= due, "the row as the other run left it"


@pytest.mark.usefixtures("small_pages")
def test_a_read_told_to_stop_ends_after_its_page_and_the_next_read_continues(
    session: Session, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    seed_contacts(c4c.service.store, 5)
    told = iter([False])  # not before the first page (asked once the lock is had), then told
    feed.refresh(
        session, tenant.id, integration, CONTACTS, fresh_since=utcnow(),
        stopping=lambda: next(told, True),
    )  # fmt: skip
    session.rollback()
    assert _kept(session, tenant, "ContactCollection") == 2, "one page kept"
    state = session.get(C4CFeed, (tenant.id, "ContactCollection"))
    assert state is not None and state.read_at is None, "not read to its end"

    c4c.log.clear()
    kept = feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    assert _kept(session, tenant, "ContactCollection") == 5
    assert kept.seq == 5, "nothing kept twice"
    assert kept.read_at is not None


def _read(tenant: Tenant, integration: C4CClient, lock: feed.Lock = feed.no_lock) -> Any:
    def read(session: Session, mapping: Any, stopping: Any) -> C4CFeed:
        return feed.refresh(session, tenant.id, integration, mapping, fresh_since=utcnow(),
                            lock=lock, stopping=stopping)  # fmt: skip

    return read


def test_a_read_ahead_reads_the_feeds_in_order_in_a_session_of_its_own(
    session: Session, resources, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    seed_contacts(c4c.service.store, 3)
    ahead = ReadAhead(
        resources.session_factory, tenant.id, _read(tenant, integration),
        [ACCOUNTS, CONTACTS, TASKS],
    ).start()  # fmt: skip
    try:
        contacts = ahead.feed("ContactCollection")
        accounts = ahead.feed("CorporateAccountCollection")
        ahead.finish()
    finally:
        ahead.close()
    assert not alive(THREAD_NAME), "closed: the thread is gone"
    assert contacts is not None and accounts is not None
    assert inspect(contacts).detached, "handed over out of the thread's session"
    assert (contacts.seq, _kept(session, tenant, "ContactCollection")) == (3, 3)
    stored = session.get(C4CFeed, (tenant.id, "ContactCollection"))
    assert stored is not None and (stored.seq, stored.read_at) == (3, contacts.read_at)
    read = [entry.path.rsplit("/", 1)[1] for entry in c4c.log.entries("GET")]
    assert read == ["CorporateAccountCollection", "ContactCollection", "TasksCollection"]
    assert ahead.feed("AppointmentCollection") is None, "not asked for"


def test_a_read_ahead_hands_a_failure_over_where_its_feed_is_taken_and_reads_no_further(
    session: Session,
    resources,
    redis_conn,
    tenant: Tenant,
    c4c: C4CEmulator,
    integration: C4CClient,
) -> None:
    seed_contacts(c4c.service.store, 3)
    c4c.faults.add(Fault(path="ContactCollection$", method="GET", status=500, times=1))
    lock = feed.redis_lock(redis_conn)
    ahead = ReadAhead(
        resources.session_factory, tenant.id, _read(tenant, integration, lock),
        [ACCOUNTS, CONTACTS, TASKS],
    ).start()  # fmt: skip
    try:
        assert ahead.feed("CorporateAccountCollection") is not None
        with pytest.raises(C4CError):
            ahead.feed("ContactCollection")
        assert ahead.feed("TasksCollection") is None, "not read after the failure"
    finally:
        ahead.close()
    assert not alive(THREAD_NAME)
    assert not any(entry.path.endswith("TasksCollection") for entry in c4c.log.entries())
    assert not redis_conn.keys("c4c-feed:*"), "every lock let go"
    assert _kept(session, tenant, "ContactCollection") == 0


def test_a_read_ahead_without_a_database_hands_the_failure_to_every_feed(
    tenant: Tenant, c4c: C4CEmulator, integration: C4CClient, tmp_path: Path
) -> None:
    nowhere = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'sync.db'}")
    ahead = ReadAhead(
        sessionmaker(bind=nowhere), tenant.id, _read(tenant, integration), [ACCOUNTS, CONTACTS]
    ).start()
    try:
        for entity_set in ("CorporateAccountCollection", "ContactCollection"):
            with pytest.raises(OperationalError):
                ahead.feed(entity_set)
    finally:
        ahead.close()
        nowhere.dispose()
    assert not alive(THREAD_NAME)
    assert c4c.log.count() == 0


def test_a_feed_read_ahead_whose_lock_was_not_had_is_handed_over_as_the_database_holds_it(
    session: Session, resources, tenant: Tenant, c4c: C4CEmulator, integration: C4CClient
) -> None:
    """A read that waited for the lock in vain (another reader held it all along) returns its
    feed unread and expired: it is loaded before it leaves the thread's session."""
    seed_contacts(c4c.service.store, 3)
    feed.refresh(session, tenant.id, integration, CONTACTS, fresh_since=utcnow())
    session.commit()
    c4c.log.clear()

    def never_had(_name: str, _stopping: Any) -> Any:
        held = feed.Held()
        held.taken = False
        return nullcontext(held)

    ahead = ReadAhead(
        resources.session_factory, tenant.id, _read(tenant, integration, never_had), [CONTACTS]
    ).start()
    try:
        kept = ahead.feed("ContactCollection")
    finally:
        ahead.close()
    assert kept is not None and kept.seq == 3, "the feed as it stands, not read again"
    assert _collection_reads(c4c) == 0


def test_closing_a_read_ahead_ends_its_wait_for_a_lock_another_reader_holds(
    resources,
    redis_conn,
    tenant: Tenant,
    c4c: C4CEmulator,
    integration: C4CClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(feed, "WAIT_SECONDS", 60)
    other = redis_conn.lock(f"c4c-feed:{tenant.id}:CorporateAccountCollection", timeout=60)
    assert other.acquire(blocking=False)
    try:
        ahead = ReadAhead(
            resources.session_factory, tenant.id,
            _read(tenant, integration, feed.redis_lock(redis_conn)), [ACCOUNTS, CONTACTS],
        ).start()  # fmt: skip
        time.sleep(0.5)  # it waits for the lock by now (a second's wait at a time)
        closing = threading.Thread(target=ahead.close)
        closing.start()
        closing.join(timeout=10)
        assert not closing.is_alive(), "closing waited for the other reader's lock"
    finally:
        other.release()
    assert ahead.feed("CorporateAccountCollection") is None
    assert ahead.feed("ContactCollection") is None
    assert _collection_reads(c4c) == 0, "nothing read once told to stop"

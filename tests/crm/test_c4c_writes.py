"""Writes through the real client: CSRF, ETags, business rules, $batch, lost answers."""

from __future__ import annotations

import pytest
import requests

from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CHTTPError
from backend.crm.search import search_accounts
from backend.crm.values import etag_of
from emulators.base import Fault
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_demo

FETCH = r"c4codataapi/$"


def _fetches(emulator: C4CEmulator) -> int:
    return sum(1 for e in emulator.log.entries("GET", FETCH) if e.headers.get("X-Csrf-Token"))


def test_csrf_token_is_fetched_once_and_reused(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    for number in range(3):
        c4c_client.create("ContactCollection", {"LastName": f"Reuse{number}"}, f"ref-{number}")
    assert _fetches(c4c_emulator) == 1
    assert c4c_emulator.log.count("POST") == 3


def test_expired_csrf_token_is_fetched_again_and_the_write_retried_once(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    c4c_client.create("ContactCollection", {"LastName": "Before"}, "ref-before")
    c4c_emulator.service.security.expire_tokens()
    created = c4c_client.create("ContactCollection", {"LastName": "After"}, "ref-after")
    assert created["LastName"] == "After"
    assert [e.status for e in c4c_emulator.log.entries("POST")] == [201, 403, 201]
    assert _fetches(c4c_emulator) == 2


def test_writes_without_token_or_session_are_refused(
    c4c_emulator: C4CEmulator, c4c_auth: tuple[str, str]
) -> None:
    url = c4c_emulator.base_url + "ContactCollection"
    bare = requests.post(url, json={"LastName": "X"}, auth=c4c_auth, timeout=5)
    assert bare.status_code == 403
    assert bare.headers["x-csrf-token"] == "Required"
    fetched = requests.get(
        c4c_emulator.base_url, headers={"x-csrf-token": "Fetch"}, auth=c4c_auth, timeout=5
    )
    token = fetched.headers["x-csrf-token"]
    no_cookie = requests.post(
        url, json={"LastName": "X"}, auth=c4c_auth, headers={"x-csrf-token": token}, timeout=5
    )
    assert no_cookie.status_code == 403
    with_cookie = requests.post(
        url, json={"LastName": "X"}, auth=c4c_auth, headers={"x-csrf-token": token},
        cookies=fetched.cookies, timeout=5,
    )  # fmt: skip
    assert with_cookie.status_code == 201
    assert with_cookie.headers["Location"] == with_cookie.json()["d"]["__metadata"]["uri"]


def test_stale_etag_is_412_and_fresh_etag_works(c4c_client: C4CClient) -> None:
    created = c4c_client.create("ContactCollection", {"LastName": "Etag"}, "ref-etag")
    old_etag = etag_of(created)
    new_etag = c4c_client.update(
        "ContactCollection", created["ObjectID"], {"Phone": "+49 1"}, old_etag
    )
    assert new_etag and new_etag != old_etag
    with pytest.raises(C4CHTTPError) as raised:
        c4c_client.update("ContactCollection", created["ObjectID"], {"Phone": "+49 2"}, old_etag)
    assert raised.value.status == 412
    c4c_client.update("ContactCollection", created["ObjectID"], {"Phone": "+49 3"}, new_etag)
    assert c4c_client.get("ContactCollection", created["ObjectID"])["Phone"] == "+49 3"


def test_read_only_objects_refuse_edit_and_delete(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    seed_demo(c4c_emulator.service.store)
    locked = search_accounts(c4c_client, "Initech")[0]
    for attempt in (
        lambda: c4c_client.update("CorporateAccountCollection", locked["ObjectID"], {"City": "X"},
                                  etag_of(locked)),
        lambda: c4c_client.delete("CorporateAccountCollection", locked["ObjectID"]),
    ):  # fmt: skip
        with pytest.raises(C4CHTTPError) as raised:
            attempt()
        assert raised.value.status == 403
        assert not raised.value.csrf_required
    assert c4c_client.get("CorporateAccountCollection", locked["ObjectID"])["City"] == "Austin"


def test_deleted_objects_are_404(c4c_client: C4CClient) -> None:
    created = c4c_client.create("TasksCollection", {"Subject": "Gone soon"}, "ref-gone")
    c4c_client.delete("TasksCollection", created["ObjectID"], etag_of(created))
    for attempt in (
        lambda: c4c_client.get("TasksCollection", created["ObjectID"]),
        lambda: c4c_client.update("TasksCollection", created["ObjectID"], {"Subject": "x"}, None),
        lambda: c4c_client.delete("TasksCollection", created["ObjectID"]),
    ):
        with pytest.raises(C4CHTTPError) as raised:
            attempt()
        assert raised.value.status == 404


@pytest.mark.parametrize(
    ("entity_set", "values", "field"),
    [
        ("ContactCollection", {"FirstName": "Anna"}, "LastName"),
        ("CorporateAccountCollection", {"City": "Berlin"}, "Name"),
        ("IndividualCustomerCollection", {"FirstName": "Eva"}, "LastName"),
        ("TasksCollection", {"PriorityCode": "3"}, "Subject"),
        ("AppointmentCollection", {"LocationName": "Room 1"}, "Subject"),
        ("EMailCollection", {"FromEmailURI": "a@example.com"}, "Subject"),
        ("ContactCollection", {"LastName": "L" * 41}, "LastName"),
        ("CorporateAccountCollection", {"Name": "Acme", "CountryCode": "XX"}, "CountryCode"),
        ("TasksCollection", {"Subject": "x", "LifeCycleStatusCode": "9"}, "LifeCycleStatusCode"),
        ("ContactCollection", {"LastName": "X", "ContactID": "1"}, "ContactID"),
    ],
)
def test_business_rules_name_the_field(
    c4c_client: C4CClient, entity_set: str, values: dict, field: str
) -> None:
    with pytest.raises(C4CHTTPError) as raised:
        c4c_client.create(entity_set, values, "ref-rule")
    assert raised.value.status == 400
    assert raised.value.fields == (field,)
    assert field in raised.value.message
    assert list(raised.value.field_messages) == [field]
    assert field in raised.value.field_messages[field]


def test_emptying_a_required_field_on_update_is_400(c4c_client: C4CClient) -> None:
    created = c4c_client.create("ContactCollection", {"LastName": "Keep"}, "ref-keep")
    with pytest.raises(C4CHTTPError) as raised:
        c4c_client.update("ContactCollection", created["ObjectID"], {"LastName": ""}, None)
    assert raised.value.fields == ("LastName",)


def test_batch_failing_changeset_leaves_the_others(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    records = [(f"ref-{n}", {"LastName": f"Batch{n}"}) for n in range(5)]
    records[2] = ("ref-2", {"FirstName": "NoLastName"})
    results = c4c_client.create_many("ContactCollection", records)
    assert [result.error is None for result in results] == [True, True, False, True, True]
    assert results[2].error is not None and results[2].error.fields == ("LastName",)
    assert results[0].entity is not None and results[0].entity["ExternalID"] == "ref-0"
    assert len(c4c_emulator.service.store.all("ContactCollection")) == 4
    assert c4c_emulator.log.count("POST", r"\$batch$") == 1


def test_changes_in_one_batch_each_guarded_by_its_etag_and_answered_alone(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    """Four ``PATCH``es in one ``$batch``: a stale ETag is refused (412), a deleted object is
    404, and a change C4C itself refuses inside the batch (a fault planned for that operation)
    fails alone; the fourth lands and brings its new ETag."""
    made = [
        c4c_client.create("ContactCollection", {"LastName": f"Batch{n}"}, f"ref-{n}")
        for n in range(4)
    ]
    c4c_client.update("ContactCollection", made[1]["ObjectID"], {"Phone": "+49 0"}, None)
    c4c_client.delete("ContactCollection", made[2]["ObjectID"])
    c4c_emulator.faults.add(
        Fault(path=r"ContactCollection\(", method="PATCH", status=500, inside_batch=True,
              containing='"Phone": "+49 3"', body='{"error": {"code": "X", "message": '
              '{"lang": "en", "value": "Runtime error"}}}')
    )  # fmt: skip
    c4c_emulator.log.clear()

    results = c4c_client.update_many(
        "ContactCollection",
        [(entity["ObjectID"], {"Phone": f"+49 {n}"}, etag_of(entity))
         for n, entity in enumerate(made)],
    )  # fmt: skip

    assert [r.error.status if r.error else None for r in results] == [None, 412, 404, 500]
    assert c4c_client.get("ContactCollection", made[1]["ObjectID"])["Phone"] == "+49 0"
    fresh = c4c_client.get("ContactCollection", made[0]["ObjectID"])
    assert results[0].etag == etag_of(fresh) != etag_of(made[0])
    assert fresh["Phone"] == "+49 0"
    assert c4c_client.get("ContactCollection", made[3]["ObjectID"])["Phone"] in (None, "")
    assert c4c_emulator.log.count("POST", r"\$batch$") == 1
    assert [(e.method, e.status, e.fault) for e in c4c_emulator.log.entries("PATCH")] == [
        ("PATCH", 500, True)
    ], "the refused operation is logged as the fault it met"


def test_a_fault_inside_a_batch_never_meets_a_request_nor_a_request_fault_an_operation(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    made = c4c_client.create("ContactCollection", {"LastName": "Alone"}, "ref-alone")
    c4c_emulator.faults.add(Fault(method="PATCH", status=503, inside_batch=True))
    c4c_client.update("ContactCollection", made["ObjectID"], {"Phone": "+49 1"}, None)
    assert len(c4c_emulator.faults.pending()) == 1, "a plain PATCH is no operation of a batch"
    c4c_emulator.faults.clear()
    c4c_emulator.faults.add(Fault(method="PATCH", status=503))
    [result] = c4c_client.update_many(
        "ContactCollection", [(made["ObjectID"], {"Phone": "+49 2"}, None)]
    )
    assert result.error is None and len(c4c_emulator.faults.pending()) == 1
    for answerless in ({"hang": True}, {"drop": True}, {"delay": 1.0}, {"status": None},
                       {"status": 204}):  # fmt: skip
        with pytest.raises(ValueError, match="inside a batch"):
            Fault(**{"status": 500, **answerless}, inside_batch=True)


def test_changeset_is_atomic(c4c_emulator: C4CEmulator, c4c_auth: tuple[str, str]) -> None:
    session = requests.Session()
    session.auth = c4c_auth
    token = session.get(c4c_emulator.base_url, headers={"x-csrf-token": "Fetch"}, timeout=5)
    ops = "".join(
        f"--cs\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        f"POST ContactCollection HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{body}\r\n"
        for body in ('{"LastName": "First"}', '{"FirstName": "NoLast"}')
    )
    body = f"--b\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n{ops}--cs--\r\n--b--\r\n"
    response = session.post(
        c4c_emulator.base_url + "$batch", data=body,
        headers={"Content-Type": "multipart/mixed; boundary=b",
                 "x-csrf-token": token.headers["x-csrf-token"]},
        timeout=5,
    )  # fmt: skip
    assert response.status_code == 202
    assert "HTTP/1.1 400 Bad Request" in response.text
    assert "201 Created" not in response.text
    assert c4c_emulator.service.store.all("ContactCollection") == []


def test_timeout_after_send_then_retry_makes_no_duplicate(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    c4c_client.transport.timeout = 0.3
    c4c_emulator.faults.add(
        Fault(path=r"ContactCollection$", method="POST", after_app=True, delay=1.0)
    )
    created = c4c_client.create("ContactCollection", {"LastName": "Once"}, "ref-once")
    assert created["ExternalID"] == "ref-once"
    stored = c4c_emulator.service.store.all("ContactCollection")
    assert [row["ExternalID"] for row in stored] == ["ref-once"]
    assert c4c_emulator.log.count("POST", r"ContactCollection$") == 1


def test_lost_batch_answer_then_retry_makes_no_duplicate(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    c4c_emulator.faults.add(Fault(path=r"\$batch$", method="POST", after_app=True, drop=True))
    records = [(f"ref-{n}", {"LastName": f"Lost{n}"}) for n in range(60)]
    results = c4c_client.create_many("ContactCollection", records)
    assert all(result.entity is not None for result in results)
    refs = sorted(row["ExternalID"] for row in c4c_emulator.service.store.all("ContactCollection"))
    assert refs == sorted(ref for ref, _ in records)
    # The lost chunk of 50 was found by ExternalID and not sent again; the last 10 went once.
    assert c4c_emulator.log.count("POST", r"\$batch$") == 2


def test_unsent_create_is_simply_retried(c4c_emulator: C4CEmulator, c4c_client: C4CClient) -> None:
    c4c_client.create("ContactCollection", {"LastName": "Warm"}, "ref-warm")
    c4c_emulator.faults.add(Fault(path=r"ContactCollection$", method="POST", status=503))
    created = c4c_client.create("ContactCollection", {"LastName": "Again"}, "ref-again")
    assert created["LastName"] == "Again"
    assert len(c4c_emulator.service.store.all("ContactCollection")) == 2


def test_put_replaces_the_whole_entity(c4c_emulator: C4CEmulator, c4c_client: C4CClient) -> None:
    created = c4c_client.create("ContactCollection", {"LastName": "Put", "Phone": "1"}, "ref-put")
    session = c4c_client.session
    url = created["__metadata"]["uri"]
    token = c4c_client.transport.session.get(
        c4c_emulator.base_url, headers={"x-csrf-token": "Fetch"}, timeout=5
    ).headers["x-csrf-token"]
    missing = session.put(url, json={"FirstName": "Only"}, headers={"x-csrf-token": token})
    assert missing.status_code == 400
    replaced = session.put(url, json={"LastName": "Whole"}, headers={"x-csrf-token": token})
    assert replaced.status_code == 204
    after = c4c_client.get("ContactCollection", created["ObjectID"])
    assert (after["LastName"], after["Phone"], after["ExternalID"]) == ("Whole", None, None)

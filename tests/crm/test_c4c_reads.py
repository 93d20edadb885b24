"""Reads through the real client: paging, delta, $select, $filter rules, search, $expand."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CHTTPError
from backend.crm.search import search_accounts, search_contacts
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_contacts, seed_demo


def test_paging_reads_2500_rows_in_three_pages(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    seed_contacts(c4c_emulator.service.store, 2500)
    rows = list(c4c_client.read("ContactCollection", select=["ObjectID", "LastName"]))
    assert len(rows) == 2500
    assert len({row["ObjectID"] for row in rows}) == 2500
    pages = c4c_emulator.log.entries("GET", r"ContactCollection$")
    assert len(pages) == 3
    assert "skiptoken=2000" in pages[-1].query.replace("%24", "$")
    assert set(rows[0]) == {"__metadata", "ObjectID", "LastName"}


def test_raw_page_shape_inlinecount_top_skip_orderby(
    c4c_emulator: C4CEmulator, c4c_auth: tuple[str, str]
) -> None:
    seed_contacts(c4c_emulator.service.store, 1200)
    response = requests.get(
        c4c_emulator.base_url + "ContactCollection",
        params={"$inlinecount": "allpages", "$orderby": "LastName desc", "$skip": "100",
                "$top": "1050", "$format": "json"},
        auth=c4c_auth,
        timeout=5,
    )  # fmt: skip
    body = response.json()["d"]
    assert body["__count"] == "1200"
    assert len(body["results"]) == 1000
    assert body["results"][0]["LastName"] == "Generated01099"
    assert "$skiptoken=1000" in requests.utils.unquote(body["__next"])
    first = body["results"][0]
    assert first["__metadata"]["type"] == "c4codata.Contact"
    assert first["__metadata"]["etag"].startswith("W/\"datetimeoffset'")
    assert first["EntityLastChangedOn"].startswith("/Date(")
    following = requests.get(body["__next"], auth=c4c_auth, timeout=5).json()["d"]
    assert len(following["results"]) == 50
    assert "__next" not in following


def test_delta_returns_only_what_changed_since(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    seed_contacts(c4c_emulator.service.store, 30)
    everything = list(c4c_client.changes("ContactCollection", None, ["LastName"]))
    since = max(row["EntityLastChangedOn"] for row in everything)
    assert isinstance(since, datetime)
    for row in everything[:5]:
        c4c_client.update("ContactCollection", row["ObjectID"], {"JobTitle": "Buyer"}, None)
    created = c4c_client.create("ContactCollection", {"LastName": "New"}, "ref-new")
    changed = list(c4c_client.changes("ContactCollection", since, ["LastName", "JobTitle"]))
    expected = {row["ObjectID"] for row in everything[:5]} | {created["ObjectID"]}
    boundary = {row["ObjectID"] for row in everything if row["EntityLastChangedOn"] == since}
    assert expected <= {row["ObjectID"] for row in changed}
    # JSON date-times carry milliseconds: rows stamped in the cursor's own millisecond come again.
    assert {row["ObjectID"] for row in changed} - expected <= boundary
    stamps = [row["EntityLastChangedOn"] for row in changed]
    assert stamps == sorted(stamps)
    assert {"ObjectID", "ETag", "EntityLastChangedOn", "LastName"} <= set(changed[0])


def test_or_on_two_properties_is_refused_like_c4c(c4c_client: C4CClient) -> None:
    with pytest.raises(C4CHTTPError) as raised:
        list(c4c_client.read("ContactCollection", filter="LastName eq 'A' or Email eq 'B'"))
    assert raised.value.status == 400
    assert "same property" in raised.value.message


@pytest.mark.parametrize(
    "expression",
    ["substringof('a',LastName)", "LastName eq 5", "Nope eq 'x'", "LastName eq 'x' and",
     "EntityLastChangedOn ge 'yesterday'"],
)  # fmt: skip
def test_unsupported_filters_are_400(c4c_client: C4CClient, expression: str) -> None:
    with pytest.raises(C4CHTTPError) as raised:
        list(c4c_client.read("ContactCollection", filter=expression))
    assert raised.value.status == 400


def test_search_for_the_save_dialog(c4c_emulator: C4CEmulator, c4c_client: C4CClient) -> None:
    seed_demo(c4c_emulator.service.store)
    accounts = search_accounts(c4c_client, "acme")
    assert sorted(account["Name"] for account in accounts) == ["Acme Corporation", "Acme Logistics"]
    by_mail = search_contacts(c4c_client, "claire.dubois@globex.example")
    assert [contact["LastName"] for contact in by_mail] == ["Dubois"]
    by_name = search_contacts(c4c_client, "Be")
    assert [contact["FirstName"] for contact in by_name] == ["Ben"]
    assert [c["LastName"] for c in search_contacts(c4c_client, "Schm")] == ["Schmidt"]


def test_expand_the_contacts_account(c4c_emulator: C4CEmulator, c4c_client: C4CClient) -> None:
    seed_demo(c4c_emulator.service.store)
    rows = list(
        c4c_client.read(
            "ContactCollection", filter="Email eq 'anna.schmidt@acme.example'",
            expand=["CorporateAccount"],
        )
    )  # fmt: skip
    assert rows[0]["CorporateAccount"]["Name"] == "Acme Corporation"


def test_unauthenticated_reads_are_401(c4c_emulator: C4CEmulator) -> None:
    wrong = C4CClient(c4c_emulator.base_url, user="SYNC_USER", password="wrong", timeout=5)
    with pytest.raises(C4CHTTPError) as raised:
        list(wrong.read("ContactCollection"))
    assert raised.value.status == 401
    anonymous = requests.get(c4c_emulator.base_url + "ContactCollection", timeout=5)
    assert anonymous.status_code == 401
    assert "WWW-Authenticate" in anonymous.headers


def test_bearer_token_is_accepted(c4c_emulator: C4CEmulator) -> None:
    seed_demo(c4c_emulator.service.store)
    client = C4CClient(c4c_emulator.base_url, token="c4c-access-token", timeout=5)
    assert len(list(client.read("CorporateAccountCollection"))) == 4
    created = client.create("TasksCollection", {"Subject": "Call back"}, "task-1")
    assert created["Subject"] == "Call back"
    stale = C4CClient(c4c_emulator.base_url, token="revoked", timeout=5)
    with pytest.raises(C4CHTTPError) as raised:
        list(stale.read("CorporateAccountCollection"))
    assert raised.value.status == 401


def test_look_ups_in_one_batch_find_what_one_request_each_finds(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    """Queries of forty values each, sent as the retrieve requests of one ``$batch``: each
    chunk finds what its own request finds, in the same order, in a quarter of the requests."""
    seed_contacts(c4c_emulator.service.store, 150)
    asked = [f"contact{n}@example.com" for n in range(0, 300, 2)]  # half of them unknown
    alone = list(c4c_client.read_matching("ContactCollection", "Email", asked, chunk=40))
    assert c4c_emulator.log.count("GET", r"ContactCollection$") == 4
    c4c_emulator.log.clear()

    batched = list(
        c4c_client.read_matching("ContactCollection", "Email", asked, chunk=40, per_request=4)
    )

    assert [(chunk, [e["ObjectID"] for e in found]) for chunk, found in batched] == [
        (chunk, [e["ObjectID"] for e in found]) for chunk, found in alone
    ]
    assert sum(len(found) for _chunk, found in batched) == 75
    assert c4c_emulator.log.count("POST", r"/\$batch$") == 1
    assert c4c_emulator.log.count("GET", r"ContactCollection$") == 0


def test_a_batched_look_up_c4c_pages_is_read_to_its_end(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    for _ in range(1050):
        c4c_emulator.service.store.create("ContactCollection", {"LastName": "Same"})
    seed_contacts(c4c_emulator.service.store, 3)

    found = list(
        c4c_client.read_matching(
            "ContactCollection", "LastName", ["Same", "Generated00002"], chunk=1, per_request=2
        )
    )

    assert [(chunk, len(entities)) for chunk, entities in found] == [
        (["Same"], 1050), (["Generated00002"], 1)
    ]  # fmt: skip
    assert c4c_emulator.log.count("GET", r"ContactCollection$") == 1, "the first query's page 2"


def test_a_refused_query_in_a_batch_is_an_error_not_an_empty_answer(
    c4c_client: C4CClient,
) -> None:
    with pytest.raises(C4CHTTPError) as refused:
        list(
            c4c_client.read_matching(
                "ContactCollection", "NoSuchField", ["a", "b"], chunk=1, per_request=2
            )
        )
    assert refused.value.status == 400

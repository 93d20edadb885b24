"""Nodes of an object, as C4C keeps them: an account's team and an appointment's involved parties.

A node row names its object (``ParentObjectID``), is read through the object's navigation
(``$expand`` or the navigation's own URL, in C4C's ``results`` shape) and is added through it
too; changing a node changes its object, so the object's delta shows a team change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyodata
import pytest
import requests
from pyodata.v2.model import Config, PolicyFatal

from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CError
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_employees

TEAM, PARTIES = "CorporateAccountTeamCollection", "AppointmentInvolvedPartiesCollection"


@pytest.fixture
def people(c4c_emulator: C4CEmulator) -> dict[str, str]:
    store = c4c_emulator.service.store
    seed_employees(store, (("Anna", "Sales", "anna@contoso.test"),
                           ("Kim", "Keyuser", "kim@contoso.test")))  # fmt: skip
    return {row["FirstName"]: row["EmployeeID"] for row in store.all("EmployeeCollection")}


@pytest.fixture
def http(c4c_emulator: C4CEmulator, c4c_auth: tuple[str, str]) -> requests.Session:
    """A plain HTTP session of the integration user, with its CSRF token."""
    session = requests.Session()
    session.auth = c4c_auth
    fetched = session.get(c4c_emulator.base_url, headers={"x-csrf-token": "Fetch"}, timeout=5)
    session.headers["x-csrf-token"] = fetched.headers["x-csrf-token"]
    return session


@pytest.fixture
def fabrikam(c4c_client: C4CClient) -> dict:
    """An account, as C4C answers a read of it."""
    made = c4c_client.create("CorporateAccountCollection", {"Name": "Fabrikam"}, None)
    return c4c_client.get("CorporateAccountCollection", made["ObjectID"])


def test_a_team_member_added_through_the_account_is_read_by_sap_s_own_client(
    c4c_emulator: C4CEmulator,
    http: requests.Session,
    c4c_client: C4CClient,
    people: dict[str, str],
    fabrikam: dict,
) -> None:
    account = fabrikam
    added = http.post(
        f"{c4c_emulator.base_url}CorporateAccountCollection('{account['ObjectID']}')"
        "/CorporateAccountTeam",
        json={"EmployeeID": people["Kim"], "PartyRoleCode": "142", "MainIndicator": True},
        params={"$format": "json"},
    )
    assert added.status_code == 201, added.text
    member = added.json()["d"]
    assert (member["ParentObjectID"], member["AccountID"]) == (
        account["ObjectID"], account["AccountID"],
    )  # fmt: skip

    client = pyodata.Client(
        c4c_emulator.base_url, http, config=Config(default_error_policy=PolicyFatal())
    )
    [read] = (
        client.entity_sets.CorporateAccountCollection.get_entities()
        .filter(f"ObjectID eq '{account['ObjectID']}'")
        .expand("CorporateAccountTeam")
        .execute()
    )
    assert [row.EmployeeID for row in read.CorporateAccountTeam] == [people["Kim"]]
    own = http.get(
        f"{c4c_emulator.base_url}CorporateAccountCollection('{account['ObjectID']}')"
        "/CorporateAccountTeam",
        params={"$format": "json"},
    ).json()["d"]
    assert [row["EmployeeID"] for row in own["results"]] == [people["Kim"]]


def _add(
    session: requests.Session, emulator: C4CEmulator, set_name: str, row: dict
) -> requests.Response:
    return session.post(f"{emulator.base_url}{set_name}", json=row, params={"$format": "json"})


def test_a_team_change_shows_in_the_accounts_delta(
    c4c_emulator: C4CEmulator,
    http: requests.Session,
    c4c_client: C4CClient,
    people: dict[str, str],
    fabrikam: dict,
) -> None:
    account = before = fabrikam
    member = _add(http, c4c_emulator, TEAM, {"ParentObjectID": account["ObjectID"],
                                                "EmployeeID": people["Anna"],
                                                "PartyRoleCode": "142"}).json()["d"]  # fmt: skip
    joined = c4c_client.get("CorporateAccountCollection", account["ObjectID"])
    assert joined["EntityLastChangedOn"] > before["EntityLastChangedOn"]
    [changed] = c4c_client.changes(
        "CorporateAccountCollection", before["EntityLastChangedOn"] + timedelta(microseconds=1)
    )
    assert changed["ObjectID"] == account["ObjectID"]

    c4c_client.delete(TEAM, member["ObjectID"])
    left = c4c_client.get("CorporateAccountCollection", account["ObjectID"])
    assert left["EntityLastChangedOn"] > joined["EntityLastChangedOn"]
    [read] = c4c_client.read(
        "CorporateAccountCollection",
        filter=f"ObjectID eq '{account['ObjectID']}'",
        select=["ObjectID", "CorporateAccountTeam"],
        expand=["CorporateAccountTeam"],
    )
    assert read["CorporateAccountTeam"] == {"results": []}


def test_a_node_of_no_object_or_of_an_unknown_employee_is_refused(
    c4c_emulator: C4CEmulator,
    http: requests.Session,
    c4c_client: C4CClient,
    people: dict[str, str],
    fabrikam: dict,
) -> None:
    account = before = fabrikam
    refused = {
        "no such account": {"ParentObjectID": "NOPE", "EmployeeID": people["Anna"],
                            "PartyRoleCode": "142"},
        "no such employee": {"ParentObjectID": account["ObjectID"], "EmployeeID": "8999999",
                             "PartyRoleCode": "142"},
        "no role": {"ParentObjectID": account["ObjectID"], "EmployeeID": people["Anna"]},
        "a computed field": {"ParentObjectID": account["ObjectID"], "EmployeeID": people["Anna"],
                             "PartyRoleCode": "142", "AccountID": "2999999"},
    }  # fmt: skip
    for why, row in refused.items():
        answer = _add(http, c4c_emulator, TEAM, row)
        assert answer.status_code == 400, why
        assert answer.json()["error"]["message"]["value"], why
    assert list(c4c_client.read(TEAM)) == []
    after = c4c_client.get("CorporateAccountCollection", account["ObjectID"])
    assert after["ETag"] == before["ETag"], "a refused node changes nothing"


def test_an_appointments_parties_are_named_by_c4c_and_go_with_it(
    c4c_emulator: C4CEmulator,
    http: requests.Session,
    c4c_client: C4CClient,
    people: dict[str, str],
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    appointment = c4c_client.create(
        "AppointmentCollection",
        {"Subject": "Review", "OwnerPartyID": people["Anna"], "StartDateTime": start.isoformat(),
         "EndDateTime": (start + timedelta(hours=1)).isoformat()},
        None,
    )  # fmt: skip
    party = _add(http, c4c_emulator, PARTIES, {"ParentObjectID": appointment["ObjectID"],
                                                  "PartyID": people["Kim"],
                                                  "RoleCode": "55"}).json()["d"]  # fmt: skip
    assert (party["PartyName"], party["EMail"]) == ("Kim Keyuser", "kim@contoso.test")
    with pytest.raises(C4CError) as computed:
        c4c_client.update(PARTIES, party["ObjectID"], {"PartyName": "Someone else"}, None)
    assert computed.value.status == 400

    c4c_client.delete("AppointmentCollection", appointment["ObjectID"])
    assert c4c_emulator.service.store.all(PARTIES) == []

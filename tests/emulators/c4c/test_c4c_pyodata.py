"""SAP's own OData client (pyodata) works against the emulator, as it does against C4C."""

from __future__ import annotations

import pyodata
import requests
from pyodata.v2.model import Config, PolicyFatal

from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_demo


def _pyodata(
    emulator: C4CEmulator, auth: tuple[str, str]
) -> tuple[pyodata.Client, requests.Session]:
    session = requests.Session()
    session.auth = auth
    fetched = session.get(emulator.base_url, headers={"x-csrf-token": "Fetch"}, timeout=5)
    session.headers["x-csrf-token"] = fetched.headers["x-csrf-token"]
    config = Config(default_error_policy=PolicyFatal())
    return pyodata.Client(emulator.base_url, session, config=config), session


def test_pyodata_reads_filters_and_updates(
    c4c_emulator: C4CEmulator, c4c_auth: tuple[str, str]
) -> None:
    seed_demo(c4c_emulator.service.store)
    client, _ = _pyodata(c4c_emulator, c4c_auth)
    contacts = client.entity_sets.ContactCollection
    found = (
        contacts.get_entities()
        .filter("Email eq 'ben.meyer@acme.example'")
        .select("ObjectID,LastName,EntityLastChangedOn")
        .execute()
    )
    assert [contact.LastName for contact in found] == ["Meyer"]
    object_id = found[0].ObjectID
    contacts.update_entity(ObjectID=object_id).set(JobTitle="Head of Sales").execute()
    assert contacts.get_entity(ObjectID=object_id).execute().JobTitle == "Head of Sales"


def test_merge_tunnelled_through_post(c4c_emulator: C4CEmulator, c4c_auth: tuple[str, str]) -> None:
    seed_demo(c4c_emulator.service.store)
    _, session = _pyodata(c4c_emulator, c4c_auth)
    row = c4c_emulator.service.store.all("ContactCollection")[0]
    url = f"{c4c_emulator.base_url}ContactCollection('{row['ObjectID']}')"
    merged = session.post(url, json={"Phone": "+49 30 1"}, headers={"X-HTTP-Method": "MERGE"})
    assert merged.status_code == 204
    assert session.get(url, params={"$format": "json"}).json()["d"]["Phone"] == "+49 30 1"
    assert session.request("MERGE", url, json={"Mobile": "+49 170"}).status_code == 204

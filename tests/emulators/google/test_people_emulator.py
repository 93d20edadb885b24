"""Contacts and contact groups in the Google emulator, driven by google-api-python-client;
answers checked against the discovery document's schemas."""

from __future__ import annotations

import pytest
import requests
from googleapiclient.errors import HttpError

from emulators.google import GoogleEmulator
from tests.emulators.google.conftest import reason
from tests.fixtures.google import ADDRESS, TOKEN
from tests.support.discovery import check_response, service

FIELDS = "names,emailAddresses,organizations,memberships"


@pytest.fixture
def api(google: GoogleEmulator):
    return service(google.url, "people", "v1", TOKEN)


def checked(method: str, request) -> dict:
    return check_response("people.v1", method, request.execute())


def person(given: str, family: str | None = None, email: str | None = None) -> dict:
    name = {"givenName": given, **({"familyName": family} if family else {})}
    return {"names": [name], **({"emailAddresses": [{"value": email}]} if email else {})}


def test_contacts_in_a_group_and_connections_with_a_sync_token(api) -> None:
    group = checked("contactGroups.create", api.contactGroups().create(
        body={"contactGroup": {"name": "SAP Contacts"}}))  # fmt: skip
    jane = checked("people.createContact", api.people().createContact(
        body=person("Jane", "Doe", "jane@fabrikam.test"), personFields=FIELDS))  # fmt: skip
    assert jane["names"][0]["displayName"] == "Jane Doe"
    mia = api.people().createContact(body=person("Mia")).execute()
    checked("contactGroups.members.modify", api.contactGroups().members().modify(
        resourceName=group["resourceName"],
        body={"resourceNamesToAdd": [jane["resourceName"], mia["resourceName"]]}))  # fmt: skip
    groups = checked("contactGroups.list", api.contactGroups().list())["contactGroups"]
    assert {g["name"]: g["memberCount"] for g in groups}["SAP Contacts"] == 2
    members = checked("contactGroups.get", api.contactGroups().get(
        resourceName=group["resourceName"], maxMembers=10))["memberResourceNames"]  # fmt: skip
    assert members == [jane["resourceName"], mia["resourceName"]]
    bare = api.contactGroups().get(resourceName=group["resourceName"]).execute()
    assert "memberResourceNames" not in bare, "members only when asked for"

    full = checked("people.connections.list", api.people().connections().list(
        resourceName="people/me", personFields=FIELDS, requestSyncToken=True))  # fmt: skip
    assert [p["names"][0]["givenName"] for p in full["connections"]] == ["Jane", "Mia"]
    token = full["nextSyncToken"]
    current = api.people().get(resourceName=mia["resourceName"], personFields="names").execute()
    updated = checked("people.updateContact", api.people().updateContact(
        resourceName=mia["resourceName"], updatePersonFields="names", personFields="names",
        body={**person("Mia", "Lee"), "etag": current["etag"]}))  # fmt: skip
    assert updated["names"][0]["familyName"] == "Lee"
    api.people().deleteContact(resourceName=jane["resourceName"]).execute()

    changed = checked("people.connections.list", api.people().connections().list(
        resourceName="people/me", personFields=FIELDS, syncToken=token))  # fmt: skip
    assert [(p["resourceName"], p.get("metadata", {}).get("deleted", False))
            for p in changed["connections"]] == [(mia["resourceName"], False),
                                                 (jane["resourceName"], True)]  # fmt: skip
    assert "metadata" not in changed["connections"][0], "metadata only when asked for"
    with_metadata = checked("people.get", api.people().get(
        resourceName=mia["resourceName"], personFields="names,metadata"))  # fmt: skip
    [source] = with_metadata["metadata"]["sources"]
    assert (source["type"], source["etag"]) == ("CONTACT", with_metadata["etag"])
    assert source["updateTime"].endswith("Z")


def test_stale_etags_expired_tokens_and_bad_masks_are_refused(google, api) -> None:
    mia = api.people().createContact(body=person("Mia")).execute()

    def rename(family: str):
        body = {**person("Mia", family), "etag": mia["etag"]}
        return api.people().updateContact(
            resourceName=mia["resourceName"], updatePersonFields="names", body=body
        )

    rename("Lee").execute()
    with pytest.raises(HttpError) as raised:
        rename("X").execute()  # the etag read before the first rename
    assert reason(raised.value) == (400, "failedPrecondition")
    connections = api.people().connections()
    listed = connections.list(resourceName="people/me", personFields="names", requestSyncToken=True)
    token = listed.execute()["nextSyncToken"]
    google.store.people[ADDRESS].expire()
    with pytest.raises(HttpError) as raised:
        api.people().connections().list(resourceName="people/me", personFields="names",
                                        syncToken=token).execute()  # fmt: skip
    assert reason(raised.value) == (400, "failedPrecondition")
    with pytest.raises(HttpError) as raised:
        api.people().connections().list(resourceName="people/me").execute()
    assert reason(raised.value) == (400, "invalidArgument")
    with pytest.raises(HttpError) as raised:
        api.contactGroups().create(body={"contactGroup": {"name": "my contacts"}}).execute()
    assert reason(raised.value) == (409, "alreadyExists")
    with pytest.raises(HttpError) as raised:
        api.people().get(resourceName="people/c1", personFields="names").execute()
    assert reason(raised.value) == (404, "notFound")


def test_people_are_read_together_each_in_its_own_response(api) -> None:
    jane = api.people().createContact(body=person("Jane", "Doe", "jane@fabrikam.test")).execute()
    mia = api.people().createContact(body=person("Mia")).execute()
    api.people().deleteContact(resourceName=mia["resourceName"]).execute()
    names = [jane["resourceName"], mia["resourceName"]]

    read = checked("people.getBatchGet", api.people().getBatchGet(
        resourceNames=names, personFields="names,metadata"))  # fmt: skip

    found, gone = read["responses"]
    assert (found["requestedResourceName"], found["httpStatusCode"]) == (names[0], 200)
    assert found["person"] == api.people().get(
        resourceName=names[0], personFields="names,metadata").execute()  # fmt: skip
    assert gone == {
        "requestedResourceName": names[1], "httpStatusCode": 404,
        "status": {"code": 5, "message": "Requested entity was not found."},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("names", "fields"),
    [
        ([], "names"),  # no resource name
        (["people/c1"] * 201, "names"),  # over the 200 one request may read
        (["contactGroups/myContacts"], "names"),  # not a person
        (["people/c1"], ""),  # no fields asked for
        (["people/c1"], "names,shoeSize"),  # a field that does not exist
    ],
    ids=["none", "too-many", "not-a-person", "no-fields", "bad-field"],
)
def test_a_batch_read_that_asks_wrongly_is_refused_as_a_whole(api, names, fields) -> None:
    with pytest.raises(HttpError) as raised:
        api.people().getBatchGet(resourceNames=names, personFields=fields).execute()
    assert reason(raised.value) == (400, "invalidArgument")


def test_only_a_form_posted_as_a_get_is_answered_as_the_get(google) -> None:
    """Google's clients send a GET too long for a URL as a POST that says it is a GET, the
    query in a form body; any other POST stays a POST (and batchGet takes none)."""
    url = f"{google.url}/v1/people:batchGet"
    headers = {"Authorization": f"Bearer {TOKEN}", "X-HTTP-Method-Override": "GET"}
    query = "resourceNames=people/c1&personFields=names"
    as_get = requests.post(url, data=query, timeout=10, headers={
        **headers, "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert as_get.status_code == 200
    assert as_get.json()["responses"][0]["httpStatusCode"] == 404
    as_json = requests.post(url, json={"resourceNames": ["people/c1"]}, timeout=10, headers=headers)
    assert as_json.status_code == 405

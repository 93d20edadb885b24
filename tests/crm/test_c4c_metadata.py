"""$metadata: pyodata parses it in strict mode; labels, required fields and code lists reach us."""

from __future__ import annotations

import requests
from pyodata.v2.model import Config, MetadataBuilder, PolicyFatal

from backend.crm.c4c import C4CClient
from backend.crm.metadata import MetadataCache, parse_metadata
from emulators.c4c import C4CEmulator

ENTITY_SETS = {
    "ContactCollection",
    "CorporateAccountCollection",
    "IndividualCustomerCollection",
    "TasksCollection",
    "AppointmentCollection",
    "EMailCollection",
}


def _metadata(emulator: C4CEmulator, query: str = "", language: str = "en") -> bytes:
    response = requests.get(
        emulator.base_url + "$metadata" + query,
        auth=next(iter(emulator.service.security.users.items())),
        headers={"Accept-Language": language},
        timeout=5,
    )
    assert response.status_code == 200
    return response.content


def test_pyodata_parses_metadata_in_strict_mode(c4c_emulator: C4CEmulator) -> None:
    xml = _metadata(c4c_emulator, "?sap-label=true")
    schema = MetadataBuilder(xml, config=Config(default_error_policy=PolicyFatal())).build()
    assert {entity_set.name for entity_set in schema.entity_sets} >= ENTITY_SETS
    last_name = schema.entity_type("Contact").proprty("LastName")
    assert (last_name.nullable, last_name.max_length, last_name.label) == (False, 40, "Last Name")
    etag = schema.entity_type("Contact").proprty("ETag")
    assert (etag.creatable, etag.updatable) == (False, False)


def test_labels_only_on_request_and_in_the_asked_language(c4c_emulator: C4CEmulator) -> None:
    assert b"sap:label" not in _metadata(c4c_emulator)
    german = parse_metadata(_metadata(c4c_emulator, "?sap-label=true", "de-DE,de;q=0.9"))
    assert german["ContactCollection"].fields["LastName"].label == "Nachname"
    english = parse_metadata(_metadata(c4c_emulator, "?sap-label=true", "fr"))
    assert english["ContactCollection"].fields["LastName"].label == "Last Name"


def test_required_fields_per_entity(c4c_emulator: C4CEmulator) -> None:
    definitions = parse_metadata(_metadata(c4c_emulator, "?sap-label=true"))
    assert definitions["ContactCollection"].required == ["LastName"]
    assert definitions["CorporateAccountCollection"].required == ["Name"]
    for name in ("TasksCollection", "AppointmentCollection", "EMailCollection"):
        assert definitions[name].required == ["Subject"]


def test_cache_reads_metadata_and_code_lists_once_per_tenant(
    c4c_emulator: C4CEmulator, c4c_client: C4CClient
) -> None:
    cache = MetadataCache()
    first = cache.definitions("tenant-a", c4c_client)
    sent = c4c_emulator.log.count()
    second = cache.definitions("tenant-a", c4c_client)
    assert second is first
    assert c4c_emulator.log.count() == sent
    assert c4c_emulator.log.count("GET", r"\$metadata$") == 1
    country = first["CorporateAccountCollection"].fields["CountryCode"]
    assert country.code_list == "CountryCodeCollection"
    assert ("DE", "Germany") in country.codes
    cache.forget("tenant-a")
    cache.definitions("tenant-a", c4c_client)
    assert c4c_emulator.log.count("GET", r"\$metadata$") == 2

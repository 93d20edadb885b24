"""classify_c4c_error: table-driven over recorded C4C error answers, then over live ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from backend.crm.c4c import C4CClient
from backend.crm.errors import C4CConnectionError, C4CHTTPError, C4CRefusedAsAWhole
from backend.crm.search import search_accounts
from backend.models.types import IssueCode
from backend.sync.classifiers.c4c import as_a_whole, classify_c4c_error
from emulators.c4c import C4CEmulator
from emulators.c4c.seed import seed_demo

RECORDED = json.loads((Path(__file__).parent / "c4c_error_bodies.json").read_text())

EXPECTED = [
    ("mandatory_last_name", IssueCode.NEEDS_INPUT, ("LastName",), None),
    ("mandatory_subject_no_target", IssueCode.NEEDS_INPUT, ("Subject",), None),
    ("too_long", IssueCode.NEEDS_INPUT, ("LastName",), None),
    ("invalid_code", IssueCode.NEEDS_INPUT, ("CountryCode",), None),
    ("not_editable", IssueCode.NEEDS_INPUT, ("ContactID",), None),
    ("bad_filter", IssueCode.UNKNOWN, (), None),
    ("read_only", IssueCode.FORBIDDEN, (), None),
    ("csrf_required", IssueCode.TEMPORARY, (), None),
    ("user_locked", IssueCode.ACCOUNT_DISABLED, (), None),
    ("unauthorized", IssueCode.AUTH, (), None),
    ("not_found", IssueCode.NOT_FOUND, (), None),
    ("etag_mismatch", IssueCode.CONFLICT, (), None),
    ("throttled", IssueCode.TEMPORARY, (), 30.0),
    ("unavailable", IssueCode.TEMPORARY, (), 120.0),
    ("dump", IssueCode.TEMPORARY, (), None),
]


@pytest.mark.parametrize(("name", "code", "fields", "retry_after"), EXPECTED)
def test_recorded_answers(
    name: str, code: IssueCode, fields: tuple[str, ...], retry_after: float | None
) -> None:
    recorded = RECORDED[name]
    error = C4CHTTPError.from_parts(recorded["status"], recorded["headers"], recorded["body"])
    result = classify_c4c_error(error)
    assert (result.code, result.fields, result.retry_after) == (code, fields, retry_after)
    assert result.http_status == recorded["status"]
    assert result.message
    assert "<html>" not in result.message


def test_every_recorded_answer_is_covered() -> None:
    assert {name for name, *_ in EXPECTED} == set(RECORDED)


def test_sap_code_and_text_are_kept() -> None:
    recorded = RECORDED["mandatory_last_name"]
    error = C4CHTTPError.from_parts(recorded["status"], recorded["headers"], recorded["body"])
    result = classify_c4c_error(error)
    assert result.backend_code == "CM_BO_CONSISTENCY/020"
    assert result.message == "Mandatory field 'LastName' is not filled"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (C4CConnectionError("timed out", sent=True), IssueCode.TEMPORARY),
        (requests.ConnectionError("refused"), IssueCode.TEMPORARY),
        (ValueError("something odd"), IssueCode.UNKNOWN),
    ],
)
def test_exceptions_without_an_answer(error: BaseException, code: IssueCode) -> None:
    assert classify_c4c_error(error).code is code


def test_live_errors_from_the_client(c4c_emulator: C4CEmulator, c4c_client: C4CClient) -> None:
    seed_demo(c4c_emulator.service.store)
    with pytest.raises(C4CHTTPError) as missing:
        c4c_client.create("ContactCollection", {"FirstName": "Ann"}, "ref-live")
    result = classify_c4c_error(missing.value)
    assert (result.code, result.fields) == (IssueCode.NEEDS_INPUT, ("LastName",))
    locked = search_accounts(c4c_client, "Initech")[0]
    with pytest.raises(C4CHTTPError) as forbidden:
        c4c_client.delete("CorporateAccountCollection", locked["ObjectID"])
    assert classify_c4c_error(forbidden.value).code is IssueCode.FORBIDDEN


def test_raw_response_is_accepted(c4c_emulator: C4CEmulator) -> None:
    response = requests.get(c4c_emulator.base_url + "ContactCollection", timeout=5)
    assert classify_c4c_error(response).code is IssueCode.AUTH


@pytest.mark.parametrize("name", ["read_only", "not_found", "mandatory_last_name", "bad_filter"])
def test_a_request_of_many_writes_refused_as_a_whole_is_for_now_for_each(name: str) -> None:
    """A ``$batch`` refused as a whole names no record: each of its writes is failed for now
    (sent again next run), never refused as that record's own answer would be."""
    recorded = RECORDED[name]
    refused = C4CHTTPError.from_parts(recorded["status"], recorded["headers"], recorded["body"])
    result = classify_c4c_error(C4CRefusedAsAWhole(refused, 6))
    assert (result.code, result.http_status, result.fields) == (
        IssueCode.TEMPORARY, recorded["status"], ()
    )  # fmt: skip
    assert result.message == (
        "SAP Cloud for Customer refused the request that carried this change with others; "
        "it is sent again next time"
    )
    assert f"carrying 6 writes as a whole (HTTP {recorded['status']})" in (result.detail or "")


@pytest.mark.parametrize(
    ("name", "wrapped"),
    [("read_only", True), ("not_found", True), ("mandatory_last_name", True),
     ("etag_mismatch", True), ("unauthorized", False), ("user_locked", False),
     ("throttled", False), ("dump", False), ("bad_filter", False)],
)  # fmt: skip
def test_only_answers_about_a_record_are_read_as_a_whole_request_refused(
    name: str, wrapped: bool
) -> None:
    """A ``$batch`` refused with what would name a record is refused as a whole; a 401, a
    locked user, throttling or a server error keep their meaning for every write."""
    recorded = RECORDED[name]
    error = C4CHTTPError.from_parts(recorded["status"], recorded["headers"], recorded["body"])
    found = as_a_whole(error, 3)
    assert isinstance(found, C4CRefusedAsAWhole) is wrapped
    assert (found.refused is error) if wrapped else (found is error)

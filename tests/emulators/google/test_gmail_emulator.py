"""The Gmail part of the Google emulator, driven by google-api-python-client as the provider
will drive it; every answer is checked against the discovery document's schema."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest
import requests
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from emulators.google import GoogleEmulator
from tests.emulators.google.conftest import reason
from tests.fixtures.google import ADDRESS, TOKEN
from tests.support.discovery import check_response, service

RED = {"backgroundColor": "#fb4c2f", "textColor": "#ffffff"}


def gmail_for(google: GoogleEmulator, token: str = TOKEN):
    return service(google.url, "gmail", "v1", token).users()


@pytest.fixture
def gmail(google: GoogleEmulator):
    return gmail_for(google)


def checked(method: str, request) -> dict:
    return check_response("gmail.v1", method, request.execute())


def raw_mail(subject: str, sender: str = "jane@fabrikam.test", body: str = "Hello") -> str:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, ADDRESS, subject
    mail["Date"] = "Mon, 23 Nov 2026 09:30:00 +0000"
    mail.set_content(body)
    return base64.urlsafe_b64encode(mail.as_bytes()).decode()


def new_label(gmail, name: str, **fields):
    return gmail.labels().create(userId="me", body={"name": name, **fields})


def new_message(gmail, subject: str, labels: list[str], sender: str = "jane@fabrikam.test"):
    return gmail.messages().insert(
        userId="me", body={"raw": raw_mail(subject, sender), "labelIds": labels}
    )


def test_labels_nest_by_slash_with_palette_colours_and_unique_names(gmail) -> None:
    parent = checked("users.labels.create", new_label(gmail, "SAP E-Mails"))
    child = checked("users.labels.create", new_label(gmail, "SAP E-Mails/Sync Error", color=RED))
    assert child["color"] == RED and child["type"] == "user"
    listed = checked("users.labels.list", gmail.labels().list(userId="me"))
    names = {label["name"] for label in listed["labels"]}
    assert {"INBOX", "SAP E-Mails", "SAP E-Mails/Sync Error"} <= names
    checked("users.labels.get", gmail.labels().get(userId="me", id=parent["id"]))

    refused = {
        "duplicate in another case": ({"name": "sap e-mails"}, (409, "aborted")),
        "no parent": ({"name": "Other/Child"}, (400, "invalidArgument")),
        "off the palette": (
            {"name": "Blue", "color": {"backgroundColor": "#0000ff", "textColor": "#ffffff"}},
            (400, "invalidArgument"),
        ),
        "system name": ({"name": "Inbox"}, (400, "invalidArgument")),
    }
    for why, (body, expected) in refused.items():
        with pytest.raises(HttpError) as raised:
            gmail.labels().create(userId="me", body=body).execute()
        assert reason(raised.value) == expected, why


def test_messages_insert_list_get_and_modify(gmail) -> None:
    sap = gmail.labels().create(userId="me", body={"name": "SAP E-Mails"}).execute()
    quote = checked("users.messages.insert", new_message(gmail, "Quote", ["INBOX", sap["id"]]))
    new_message(gmail, "Lunch", ["INBOX"], "friend@x.test").execute()

    tagged = checked(
        "users.messages.list", gmail.messages().list(userId="me", labelIds=[sap["id"]])
    )
    assert [m["id"] for m in tagged["messages"]] == [quote["id"]]
    by_query = gmail.messages().list(userId="me", q='label:"SAP E-Mails" from:jane').execute()
    assert [m["id"] for m in by_query["messages"]] == [quote["id"]]
    assert "messages" not in gmail.messages().list(userId="me", q="nothing-like-this").execute()

    for shape in ("full", "metadata", "minimal", "raw"):
        found = checked("users.messages.get", gmail.messages().get(
            userId="me", id=quote["id"], format=shape, metadataHeaders=["Subject"]))  # fmt: skip
        assert found["id"] == quote["id"]
    full = gmail.messages().get(userId="me", id=quote["id"]).execute()
    headers = {h["name"]: h["value"] for h in full["payload"]["headers"]}
    assert headers["Subject"] == "Quote"
    assert base64.urlsafe_b64decode(full["payload"]["body"]["data"]).decode().strip() == "Hello"

    modified = checked("users.messages.modify", gmail.messages().modify(
        userId="me", id=quote["id"], body={"removeLabelIds": [sap["id"]]}))  # fmt: skip
    assert modified["labelIds"] == ["INBOX"]
    with pytest.raises(HttpError) as raised:
        gmail.messages().modify(userId="me", id=quote["id"],
                                body={"addLabelIds": ["Label_999"]}).execute()  # fmt: skip
    assert reason(raised.value) == (400, "invalidArgument")
    with pytest.raises(HttpError) as raised:
        gmail.messages().get(userId="me", id="0123456789abcdef").execute()
    assert reason(raised.value) == (404, "notFound")
    with pytest.raises(HttpError) as raised:
        gmail.messages().insert(userId="me", body={"labelIds": ["INBOX"]}).execute()
    assert reason(raised.value) == (400, "invalidArgument")


def test_history_lists_changes_since_an_id_and_a_stale_id_is_404(google, gmail) -> None:
    start = checked("users.getProfile", gmail.getProfile(userId="me"))["historyId"]
    sap = gmail.labels().create(userId="me", body={"name": "SAP E-Mails"}).execute()
    message = new_message(gmail, "Quote", ["INBOX"]).execute()
    gmail.messages().modify(userId="me", id=message["id"],
                            body={"addLabelIds": [sap["id"]]}).execute()  # fmt: skip

    changes = checked("users.history.list", gmail.history().list(userId="me",
                      startHistoryId=start))  # fmt: skip
    kinds = [next(k for k in entry if k not in ("id", "messages")) for entry in changes["history"]]
    assert kinds == ["messagesAdded", "labelsAdded"]
    assert changes["history"][1]["labelsAdded"][0]["labelIds"] == [sap["id"]]
    only_labels = gmail.history().list(userId="me", startHistoryId=start,
                                       historyTypes=["labelAdded"]).execute()  # fmt: skip
    assert len(only_labels["history"]) == 1
    latest = changes["historyId"]
    assert "history" not in gmail.history().list(userId="me", startHistoryId=latest).execute()

    forgot = requests.post(f"{google.url}/_emulator/gmail/{ADDRESS}/forget-history", timeout=5)
    assert forgot.status_code == 204
    with pytest.raises(HttpError) as raised:
        gmail.history().list(userId="me", startHistoryId=start).execute()
    assert reason(raised.value) == (404, "notFound")
    since_now = gmail.getProfile(userId="me").execute()["historyId"]
    assert "history" not in gmail.history().list(userId="me", startHistoryId=since_now).execute()
    nobody = requests.post(f"{google.url}/_emulator/gmail/nobody@x.test/forget-history", timeout=5)
    assert (nobody.status_code, nobody.json()["error"]["status"]) == (404, "NOT_FOUND")


def test_a_bad_token_is_401_and_another_users_mailbox_is_403(google) -> None:
    answer = requests.get(f"{google.url}/gmail/v1/users/me/labels",
                          headers={"Authorization": "Bearer ya29.forged"}, timeout=5)  # fmt: skip
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.json()["error"]["errors"][0]["reason"] == "authError"
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
    # google-auth answers a 401 by refreshing; these credentials cannot, as a revoked grant.
    with pytest.raises(RefreshError):
        gmail_for(google, "ya29.forged").labels().list(userId="me").execute()
    google.add_mailbox("olga@contoso.test", "ya29.olga")
    with pytest.raises(HttpError) as raised:
        gmail_for(google).labels().list(userId="olga@contoso.test").execute()
    assert reason(raised.value) == (403, "forbidden")


def test_the_schema_check_refuses_what_the_discovery_document_does_not_describe() -> None:
    from jsonschema import ValidationError

    check_response("gmail.v1", "users.labels.list", {"labels": [{"id": "L1", "name": "A"}]})
    for wrong in ({"labels": [{"id": "L1", "colour": {}}]}, {"labels": [{"id": 1}]},
                  {"labels": [{"id": "L1", "type": "shared"}]}):  # fmt: skip
        with pytest.raises(ValidationError):
            check_response("gmail.v1", "users.labels.list", wrong)


def test_injected_failures_come_in_googles_envelope(google, gmail) -> None:
    from emulators.google.errors import google_fault

    google.faults.add(google_fault("rateLimitExceeded", path="/labels$", retry_after=7))
    with pytest.raises(HttpError) as raised:
        gmail.labels().list(userId="me").execute()
    assert reason(raised.value) == (429, "rateLimitExceeded")
    assert raised.value.resp["retry-after"] == "7"
    google.faults.add(google_fault("backendError", path="/profile$"))
    with pytest.raises(HttpError) as raised:
        gmail.getProfile(userId="me").execute()
    assert reason(raised.value) == (500, "backendError")
    assert gmail.getProfile(userId="me").execute()["emailAddress"] == ADDRESS
    assert [entry.status for entry in google.log.entries(path="/profile$")] == [500, 200]


def test_a_batch_answers_each_part_as_gmail_would_alone(google, gmail) -> None:
    ids = [new_message(gmail, f"Quote {n}", ["INBOX"]).execute()["id"] for n in range(3)]
    answers: dict[str, tuple] = {}

    def took(request_id, response, error) -> None:
        answers[request_id] = (response, error)

    batch = BatchHttpRequest(callback=took, batch_uri=f"{google.url}/batch/gmail/v1")
    for message_id in [*ids, "0000000000000000"]:
        batch.add(gmail.messages().get(userId="me", id=message_id, format="full"),
                  request_id=message_id)  # fmt: skip
    google.log.clear()
    batch.execute()
    assert [(e.method, e.path) for e in google.log.entries()] == [("POST", "/batch/gmail/v1")]
    for message_id in ids:
        response, error = answers[message_id]
        assert error is None
        check_response("gmail.v1", "users.messages.get", response)
    assert reason(answers["0000000000000000"][1]) == (404, "notFound")


def test_a_batch_takes_at_most_100_calls_of_gmail_only(google) -> None:
    def part(n: int, target: str, token: str = TOKEN) -> str:
        return (f"--b\r\nContent-Type: application/http\r\nContent-ID: <x + {n}>\r\n\r\n"
                f"GET {target} HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\r\n")  # fmt: skip

    def post(parts: list[str]) -> requests.Response:
        return requests.post(f"{google.url}/batch/gmail/v1", data="".join(parts) + "--b--\r\n",
                             headers={"Content-Type": "multipart/mixed; boundary=b"},
                             timeout=10)  # fmt: skip

    too_many = post([part(n, "/gmail/v1/users/me/profile") for n in range(101)])
    assert too_many.status_code == 400
    assert too_many.json()["error"]["status"] == "INVALID_ARGUMENT"
    other_api = post([part(1, "/calendar/v3/calendars/primary/events")])
    assert other_api.status_code == 200 and "HTTP/1.1 404 Not Found" in other_api.text
    mixed = post([part(1, "/gmail/v1/users/me/profile"),
                  part(2, "/gmail/v1/users/me/profile", "ya29.not-ours")])  # fmt: skip
    assert mixed.status_code == 200, "the batch needs no token: each part carries its own"
    assert "<response-x + 1>" in mixed.text and "HTTP/1.1 200 OK" in mixed.text
    assert "HTTP/1.1 401 Unauthorized" in mixed.text
    not_multipart = requests.post(f"{google.url}/batch/gmail/v1", json={}, timeout=10)
    assert not_multipart.status_code == 400

"""Who may open which mailbox, Entra's token endpoint, and Graph's error envelope."""

from __future__ import annotations

import requests

from emulators.graph import GraphEmulator, graph_fault
from tests.emulators.graph.conftest import (
    ADDRESS,
    APP,
    APP_SECRET,
    OTHER,
    Graph,
    app_token,
    error_of,
)

TOKEN_URL = "/contoso/oauth2/v2.0/token"


def token_call(emulator: GraphEmulator, **form: str) -> requests.Response:
    return requests.post(emulator.url + TOKEN_URL, data=form, timeout=10)


def test_a_call_without_a_known_token_is_401_with_a_bearer_challenge(graph: Graph) -> None:
    missing = graph.as_(None).call("GET", "/me")
    assert error_of(missing) == (401, "InvalidAuthenticationToken")
    assert missing.json()["error"]["message"] == "Access token is empty."
    assert missing.headers["WWW-Authenticate"].startswith("Bearer ")
    assert error_of(graph.as_("nonsense").call("GET", "/me/contactFolders")) == (
        401, "InvalidAuthenticationToken",
    )  # fmt: skip


def test_a_delegated_token_opens_its_own_mailbox_only(graph: Graph) -> None:
    me = graph.ok("GET", "/me")
    assert (me["mail"], me["userPrincipalName"], me["displayName"]) == (
        ADDRESS, ADDRESS, "Gina Miller",
    )  # fmt: skip
    assert graph.ok("GET", f"/users/{me['id']}")["id"] == me["id"]
    assert graph.ok("GET", "/users/GINA@contoso.test/contactFolders")["value"] == []
    assert error_of(graph.call("GET", f"/users/{OTHER}/contactFolders")) == (
        403, "ErrorAccessDenied",
    )  # fmt: skip


def test_an_app_token_opens_any_mailbox_but_not_me(emulator: GraphEmulator, graph: Graph) -> None:
    app = graph.as_(app_token(emulator))
    refused = app.call("GET", "/me/contactFolders")
    assert error_of(refused) == (400, "BadRequest")
    assert refused.json()["error"]["message"] == (
        "/me request is only valid with delegated authentication flow."
    )
    assert app.ok("GET", f"/users/{OTHER}/mailFolders/inbox")["displayName"] == "Inbox"
    unknown = app.call("GET", "/users/nobody@contoso.test/messages/x")
    assert error_of(unknown) == (404, "ErrorInvalidUser")
    assert "'nobody@contoso.test'" in unknown.json()["error"]["message"]


def test_a_mailbox_not_enabled_for_rest_answers_404_but_the_user_is_there(
    emulator: GraphEmulator, graph: Graph
) -> None:
    emulator.store.find_mailbox(ADDRESS).rest_disabled = True
    refused = graph.call("GET", "/me/mailFolders/inbox/messages")
    assert error_of(refused) == (404, "MailboxNotEnabledForRESTAPI")
    assert graph.ok("GET", "/me")["mail"] == ADDRESS


def test_unknown_paths_bad_json_and_unknown_properties_are_400(graph: Graph) -> None:
    unknown = graph.call("GET", "/me/contactFolderz")
    assert error_of(unknown) == (400, "BadRequest")
    assert (
        unknown.json()["error"]["message"] == "Resource not found for the segment 'contactFolderz'."
    )
    broken = graph.call("POST", "/me/contacts", data="{not json",
                        headers={"Content-Type": "application/json"})  # fmt: skip
    assert error_of(broken) == (400, "BadRequest")
    odd = graph.call("POST", "/me/contacts", json={"givenName": "Jane", "shoeSize": 41})
    assert error_of(odd) == (400, "RequestBodyRead")
    assert "'shoeSize' does not exist on type 'microsoft.graph.contact'" in odd.text


def test_an_injected_fault_answers_in_graphs_envelope_with_retry_after(
    emulator: GraphEmulator, graph: Graph
) -> None:
    emulator.faults.add(graph_fault("TooManyRequests", 429, retry_after=2, path="/contacts"))
    emulator.faults.add(graph_fault("ServiceUnavailable", 503, retry_after=3, method="POST"))
    throttled = graph.call("GET", "/me/contacts")
    assert error_of(throttled) == (429, "TooManyRequests")
    assert throttled.headers["Retry-After"] == "2"
    unavailable = graph.call("POST", "/me/contacts", json={"givenName": "Jane"})
    assert error_of(unavailable) == (503, "ServiceUnavailable")
    assert unavailable.headers["Retry-After"] == "3"
    assert graph.call("GET", "/me/contacts").status_code == 200
    assert emulator.log.count("GET", "/contacts$") == 2


def test_requests_beyond_the_mailbox_concurrency_are_throttled(
    emulator: GraphEmulator, graph: Graph
) -> None:
    for _ in range(emulator.store.mailbox_concurrency):
        emulator.store.enter(ADDRESS)
    throttled = graph.call("GET", "/me/contacts")
    assert error_of(throttled) == (429, "ApplicationThrottled")
    assert (
        throttled.json()["error"]["message"] == "Application is over its MailboxConcurrency limit."
    )
    assert throttled.headers["Retry-After"] == "1"
    assert graph.as_("graph.ben").call("GET", "/me/contacts").status_code == 200
    emulator.store.leave(ADDRESS)
    assert graph.call("GET", "/me/contacts").status_code == 200


def test_a_refresh_token_gives_a_working_access_token_and_a_new_refresh_token(
    emulator: GraphEmulator, graph: Graph
) -> None:
    refresh = emulator.store.oauth.grant(ADDRESS, APP)
    answer = token_call(
        emulator,
        grant_type="refresh_token",
        refresh_token=refresh,
        client_id=APP,
        client_secret=APP_SECRET,
        scope="https://graph.microsoft.com/Contacts.ReadWrite offline_access",
    )
    body = answer.json()
    assert answer.status_code == 200, body
    assert set(body) == {"token_type", "scope", "expires_in", "ext_expires_in",
                         "access_token", "refresh_token"}  # fmt: skip
    assert body["scope"] == "https://graph.microsoft.com/Contacts.ReadWrite"
    assert body["refresh_token"] != refresh
    assert graph.as_(body["access_token"]).ok("GET", "/me")["mail"] == ADDRESS


def test_token_errors_have_entras_shape(emulator: GraphEmulator) -> None:
    wrong = token_call(
        emulator,
        grant_type="client_credentials",
        client_id=APP,
        client_secret="guess",
        scope="https://graph.microsoft.com/.default",
    )
    body = wrong.json()
    assert wrong.status_code == 401
    assert body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)
    scope = token_call(emulator, grant_type="client_credentials", client_id=APP,
                       client_secret=APP_SECRET, scope="Mail.Read")  # fmt: skip
    assert (scope.status_code, scope.json()["error"]) == (400, "invalid_scope")
    grant = token_call(emulator, grant_type="password", client_id=APP)
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
    refresh = emulator.store.oauth.grant(ADDRESS, APP)
    emulator.store.oauth.expire_grant(refresh)
    lapsed = token_call(emulator, grant_type="refresh_token", refresh_token=refresh, client_id=APP)
    assert lapsed.json()["error_codes"] == [70008]


def test_revoking_sign_in_sessions_ends_refresh_and_access_tokens(
    emulator: GraphEmulator, graph: Graph
) -> None:
    refresh = emulator.store.oauth.grant(ADDRESS, APP)
    access = token_call(emulator, grant_type="refresh_token", refresh_token=refresh,
                        client_id=APP).json()["access_token"]  # fmt: skip
    assert graph.ok("POST", "/me/revokeSignInSessions")["value"] is True
    again = token_call(emulator, grant_type="refresh_token", refresh_token=refresh, client_id=APP)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert again.json()["error_codes"] == [50173]
    assert graph.as_(access).call("GET", "/me").status_code == 401
    assert graph.call("GET", "/me").status_code == 401
    assert graph.as_("graph.ben").call("GET", "/me").status_code == 200

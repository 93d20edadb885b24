"""Entra's admin consent endpoint: ``<realm>/adminconsent`` (Microsoft's
``/{tenant}/v2.0/adminconsent``, here for any directory, as ``organizations``).

An administrator of a directory grants an application the permissions it asks for (``scope``,
e.g. ``https://graph.microsoft.com/.default``) on behalf of everyone in the directory. As in
Entra, the request is checked before any page is shown: an unknown ``client_id`` or a
``redirect_uri`` the application has not registered gets an error page (nothing is sent to an
unregistered address). Then the sign-in form; an administrator's sign-in records the consent
for their directory (:attr:`Provider.admin_consents`) and returns to
``redirect_uri?tenant=<tid>&state=...&admin_consent=True&scope=...``. Anyone else, or a request
without ``scope``, is returned ``error`` and ``error_description`` (with ``state``).
"""

from __future__ import annotations

from flask import Response, request

from emulators.identity.authorize import with_query
from emulators.identity.pages import error_page, sign_in_page
from emulators.identity.provider import Provider
from emulators.identity.realms import Realm

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_BAD_CREDENTIALS = "Your account or password is incorrect."


def _page(html: str, status: int = 200) -> Response:
    headers = {**_NO_STORE, "X-Frame-Options": "DENY"}
    return Response(html, status=status, content_type="text/html", headers=headers)


def _back(redirect_uri: str, params: dict[str, str | None]) -> Response:
    return Response(status=302, headers={**_NO_STORE, "Location": with_query(redirect_uri, params)})


def admin_consent(provider: Provider, realm: Realm) -> Response:
    """Answer ``GET``/``POST <realm>/adminconsent``: the form, then the redirect back."""
    args = request.args
    client = provider.directory.client(realm.name, args.get("client_id", ""))
    if client is None:
        description = f"Application with identifier '{args.get('client_id', '')}' was not found."
        return _page(error_page(realm, "invalid_client", description), 400)
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        description = (
            f"The redirect URI '{redirect_uri}' specified in the request does not match the "
            f"redirect URIs configured for the application '{client.client_id}'."
        )
        return _page(error_page(realm, "redirect_uri_mismatch", description), 400)
    state, scope = args.get("state"), args.get("scope", "").strip()
    if not scope:
        return _back(redirect_uri, {
            "error": "invalid_request", "state": state,
            "error_description": "AADSTS900144: The request body must contain the following "
            "parameter: 'scope'.",
        })  # fmt: skip
    if request.method != "POST":
        return _page(sign_in_page(realm, action=request.full_path, client_id=client.client_id,
                                  email="", error=""))  # fmt: skip
    email = request.form.get("email", "").strip()
    user = provider.directory.check_password(realm.name, email, request.form.get("password", ""))
    if user is None:
        return _page(sign_in_page(realm, action=request.full_path, client_id=client.client_id,
                                  email=email, error=_BAD_CREDENTIALS))  # fmt: skip
    if not user.admin or not user.tenant_id:
        return _back(redirect_uri, {
            "error": "access_denied", "state": state,
            "error_description": "AADSTS90094: The grant requires admin permission.",
        })  # fmt: skip
    provider.admin_consents.add((user.tenant_id, client.client_id))
    return _back(redirect_uri, {
        "admin_consent": "True", "tenant": user.tenant_id, "state": state, "scope": scope,
    })  # fmt: skip

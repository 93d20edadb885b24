"""The EWS endpoint: authenticate, pick the mailbox (own or impersonated), run the operation."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from flask import Flask, Response, request
from lxml import etree

from emulators.base import KEEP_ALIVE
from emulators.ews import folder_operations, item_operations, lookup_operations, owa
from emulators.ews.context import Context
from emulators.ews.ntlm import NtlmAcceptor, NtlmError
from emulators.ews.soap import (
    XML_CONTENT_TYPE,
    SoapFault,
    envelope,
    fault_body,
    parse_envelope,
    response,
    t,
)
from emulators.ews.store import Mailbox, Store

Operation = Callable[[Context, etree._Element], list[etree._Element]]

OPERATIONS: dict[str, Operation] = {
    "GetFolder": folder_operations.get_folder,
    "FindFolder": folder_operations.find_folder,
    "CreateFolder": folder_operations.create_folder,
    "GetUserConfiguration": folder_operations.get_user_configuration,
    "CreateUserConfiguration": folder_operations.create_user_configuration,
    "UpdateUserConfiguration": folder_operations.update_user_configuration,
    "FindItem": item_operations.find_item,
    "GetItem": item_operations.get_item,
    "CreateItem": item_operations.create_item,
    "UpdateItem": item_operations.update_item,
    "DeleteItem": item_operations.delete_item,
    "SyncFolderItems": item_operations.sync_folder_items,
    "ResolveNames": lookup_operations.resolve_names,
    "ConvertId": lookup_operations.convert_id,
}


CHALLENGES = {"basic": 'Basic realm="emulator"', "ntlm": "NTLM", "bearer": "Bearer"}
"""What the 401 offers for each accepted method, as IIS lists them (one header each)."""


def _unauthorized(store: Store, ntlm_challenge: bytes | None = None) -> Response:
    answer = Response(
        "401 - Unauthorized: Access is denied due to invalid credentials.",
        status=401,
        content_type="text/plain",
    )
    if ntlm_challenge is not None:
        answer.headers["WWW-Authenticate"] = "NTLM " + base64.b64encode(ntlm_challenge).decode()
        answer.headers[KEEP_ALIVE] = "1"  # the handshake goes on on this connection
        return answer
    for method in ("ntlm", "basic", "bearer"):
        if method in store.auth_methods:
            answer.headers.add("WWW-Authenticate", CHALLENGES[method])
    return answer


def _principal(store: Store, header: str) -> tuple[str, bool] | None:
    """Who is calling: (user, is a service account), or ``None`` if the credentials are wrong."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() not in store.auth_methods:
        return None
    if scheme.lower() == "bearer":
        for mailbox in store.mailboxes.values():
            if value and value in mailbox.tokens:
                return mailbox.address, False
        return None
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = user.lower()
    if store.service_accounts.get(user) == password and password:
        return user, True
    mailbox = store.mailboxes.get(user)
    if mailbox is not None and mailbox.password and mailbox.password == password:
        return user, False
    return None


def _target_mailbox(
    store: Store, principal: tuple[str, bool], header: etree._Element | None
) -> Mailbox:
    user, is_service = principal
    address = None
    if header is not None:
        connecting = header.find(f"{t('ExchangeImpersonation')}/{t('ConnectingSID')}")
        if connecting is not None and len(connecting):
            address = (connecting[0].text or "").lower()
    if address and address != user:
        if not is_service:
            raise SoapFault(
                "ErrorImpersonateUserDenied",
                "The account does not have permission to impersonate the requested user.",
            )
    elif is_service:
        raise SoapFault("ErrorNonExistentMailbox", f"No mailbox is associated with {user}.")
    try:
        mailbox = store.mailbox(address or user)
    except Exception as failure:
        raise SoapFault("ErrorNonExistentMailbox", str(failure)) from None
    if mailbox.disabled:
        raise SoapFault(
            "ErrorAccountDisabled",
            "The user account which was used to submit this request has been disabled.",
        )
    return mailbox


def create_app(store: Store, addin_url: str | None = None) -> Flask:
    """The Flask app serving ``/EWS/Exchange.asmx`` over ``store``, and the mail client preview
    (``/owa/``) that opens the add-in task pane at ``addin_url`` beside an item."""
    app = Flask("emulators.ews")
    owa.install(app, store, addin_url)
    ntlm = NtlmAcceptor(store.windows_account)
    app.extensions["ntlm"] = ntlm

    @app.post("/EWS/Exchange.asmx")
    def exchange() -> Response:
        connection = (request.remote_addr or "", int(request.environ.get("REMOTE_PORT") or 0))
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "ntlm" and "ntlm" in store.auth_methods:
            try:
                step = ntlm.step(base64.b64decode(value, validate=True), connection, _domain(store))
            except (binascii.Error, NtlmError):
                ntlm.forget(connection)
                return _unauthorized(store)
            if isinstance(step, bytes):
                return _unauthorized(store, step)
            principal: tuple[str, bool] | None = (step, False)
        elif not header and (user := ntlm.user_of_connection(connection)):
            principal = (user, False)  # the connection authenticated with NTLM before
        else:
            principal = _principal(store, header)
        if principal is None:
            return _unauthorized(store)
        answer = _answer(store, principal)
        if ntlm.user_of_connection(connection):
            answer.headers[KEEP_ALIVE] = "1"  # IIS keeps an NTLM-authenticated connection
        return answer

    return app


def _domain(store: Store) -> str:
    """The DNS domain the server names in its NTLM challenge."""
    return next(iter(store.mailboxes), "x@exchange.test").rsplit("@", 1)[-1]


def _answer(store: Store, principal: tuple[str, bool]) -> Response:
    """Run the SOAP operation for ``principal``."""
    try:
        header, operation = parse_envelope(request.get_data())
        name = etree.QName(operation).localname
        handler = OPERATIONS.get(name)
        if handler is None:
            raise SoapFault("ErrorInvalidRequest", "The request is invalid.")
        with store.lock:
            mailbox = _target_mailbox(store, principal, header)
            messages = handler(Context(store, mailbox), operation)
    except SoapFault as fault:
        return Response(
            fault_body(fault.code, fault.message, fault.back_off_ms),
            status=500,
            content_type=XML_CONTENT_TYPE,
        )
    return Response(envelope(response(name, messages)), content_type=XML_CONTENT_TYPE)

"""The C4C web client's deep links (``/sap/public/byd/runtime``), for a person in the demo.

C4C opens one object from a link of its own form: ``bo_ns=http://sap.com/thingTypes``,
``bo=COD_GENERIC``, ``node=Root``, ``operation=OnExtInspect``, ``param.Type`` the thing type
(``COD_CONTACT_TT``...) and ``param.InternalID`` the object's business ID (``ContactID``,
``AccountID``, an activity's ``ID``). As C4C does, the page asks an unknown browser to log on
first (the emulator's users), then shows the object's fields with their labels; a link of
another form, an unknown thing type or an ID nobody has answers with C4C's message in a page.

``/sap/public/byd/runtime/oauth`` is the administrator's OAuth 2.0 set-up for the demo: a trusted
identity provider (issuer name and signing certificate) and a client registration that trusts it
(the two screens of C4C's Administrator work centre, on one page).
"""

from __future__ import annotations

import secrets
from typing import Any

from cryptography import x509
from flask import Blueprint, Flask, redirect, render_template, request, session, url_for

from emulators.c4c.app import Service
from emulators.c4c.oauth import TOKEN_PATH
from emulators.c4c.schema import CODE_LISTS, ENTITY_SETS

RUNTIME = "/sap/public/byd/runtime"
THING_TYPES = {
    "COD_CONTACT_TT": "ContactCollection",
    "COD_ACCOUNT_TT": "CorporateAccountCollection",
    "COD_TASK": "TasksCollection",
    "COD_APPOINTMENT": "AppointmentCollection",
    "COD_EMAIL": "EMailCollection",
}
"""The thing types of the objects the emulator keeps, and their entity sets."""
FIXED = {
    "bo_ns": "http://sap.com/thingTypes",
    "bo": "COD_GENERIC",
    "node": "Root",
    "operation": "OnExtInspect",
}
TITLES = {
    "ContactCollection": "Contact",
    "CorporateAccountCollection": "Account",
    "TasksCollection": "Task",
    "AppointmentCollection": "Appointment",
    "EMailCollection": "E-Mail",
}
HIDDEN = {"ObjectID", "ETag", "EntityLastChangedOn", "CreationOn", "Text"}


def _shown(value: Any, code_list: str | None) -> str:
    if value is None or value == "":
        return ""
    if code_list:
        return CODE_LISTS.get(code_list, {}).get(str(value), str(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y %H:%M UTC")
    return str(value)


def _record(service: Service, set_name: str, internal_id: str) -> dict[str, Any] | None:
    entity_set = ENTITY_SETS[set_name]
    return next(
        (row for row in service.store.all(set_name) if row.get(entity_set.id_field) == internal_id),
        None,
    )


def create_blueprint(service: Service) -> Blueprint:
    web = Blueprint("c4c_ui", __name__, template_folder="templates")

    @web.get(RUNTIME)
    def runtime() -> Any:
        if session.get("c4c_user") not in service.security.users:
            return render_template("c4c/logon.html", error=None, target=request.full_path)
        args = request.args
        if any(args.get(name) != value for name, value in FIXED.items()):
            return _message(400, "The link is not a valid navigation target.")
        set_name = THING_TYPES.get(args.get("param.Type", ""))
        internal_id = args.get("param.InternalID", "")
        if set_name is None or not internal_id:
            return _message(400, "The object type or ID of the link is not supported.")
        row = _record(service, set_name, internal_id)
        if row is None:
            return _message(404, f"The object with ID {internal_id} does not exist.")
        fields = [
            (item.label("en"), _shown(row.get(item.name), item.code_list))
            for item in ENTITY_SETS[set_name].fields
            if item.name not in HIDDEN
        ]
        return render_template("c4c/object.html", kind=TITLES[set_name], row=row,
                               fields=fields, user=session["c4c_user"])  # fmt: skip

    @web.post(f"{RUNTIME}/logon")
    def logon() -> Any:
        user, password = request.form.get("user", ""), request.form.get("password", "")
        known = service.security.users.get(user)
        target = request.form.get("target", "")
        if known is None or not secrets.compare_digest(known, password):
            return render_template("c4c/logon.html", error="Logon failed: check user and password.",
                                   target=target), 401  # fmt: skip
        session["c4c_user"] = user
        allowed = target.startswith(f"{RUNTIME}?") or target == f"{RUNTIME}/oauth"
        return redirect(target if allowed else url_for("c4c_ui.runtime"))

    @web.route(f"{RUNTIME}/oauth", methods=["GET", "POST"])
    def oauth() -> Any:
        """The administrator's OAuth 2.0 set-up: a trusted identity provider and a client."""
        if session.get("c4c_user") not in service.security.users:
            return render_template("c4c/logon.html", error=None, target=request.path)
        server = service.security.oauth
        form = {name: request.form.get(name, "").strip() for name in
                ("issuer", "certificate", "client_id", "secret", "scope")}  # fmt: skip
        error = done = None
        if request.method == "POST":
            error = _oauth_problem(form)
            if error is None:
                server.trust(form["issuer"], form["certificate"])
                scopes = set(form["scope"].split())
                server.register(form["client_id"], form["secret"], form["issuer"], scopes)
                done = f"Client {form['client_id']} saved; it trusts {form['issuer']}."
        page = render_template(
            "c4c/oauth.html", form=form, error=error, done=done, user=session["c4c_user"],
            service_provider=server.service_provider, clients=sorted(server.clients.items()),
            token_url=request.host_url.rstrip("/") + TOKEN_PATH,
        )  # fmt: skip
        return page, 422 if error else 200

    def _message(status: int, text: str) -> tuple[str, int]:
        return render_template("c4c/message.html", text=text, user=session["c4c_user"]), status

    return web


def _oauth_problem(form: dict[str, str]) -> str | None:
    if not all(form[name] for name in ("issuer", "client_id", "secret", "scope")):
        return "Fill in every field."
    try:
        x509.load_pem_x509_certificate(form["certificate"].encode())
    except ValueError:
        return "The certificate is not a valid X.509 certificate in PEM format."
    return None


def install(app: Flask, service: Service) -> None:
    """Serve the web client's deep links from the emulator's app."""
    app.secret_key = app.secret_key or secrets.token_hex(16)
    app.register_blueprint(create_blueprint(service))

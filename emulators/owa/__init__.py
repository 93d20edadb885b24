"""The mail client preview: a small "Outlook on the web" (``/owa/``) over an emulator's mailboxes,
for a person trying the demo in a browser. The Exchange emulator serves it over its EWS store and
the Graph emulator over its Exchange Online store; :class:`MailClient` is what each provides.

It signs in with a mailbox's address and password, lists mail, calendar and contact folders with
each item's categories as coloured chips (colours from the mailbox's master category list, as
Outlook shows them), and opens what Outlook opens: a message or an appointment with the real
add-in task pane beside it (the pane loads ``/owa/office.js``, our Office host, which answers
Office.js calls for the open item from this page, see ``static/owa``), a contact or an account
as a contact card (add-ins are not offered on contacts). Deep links use Outlook's own form
(``/owa/?ItemID=...&exvsurl=1``), so "open in Outlook" links land on the item, whatever it is.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)

PRESET_COLOURS = {
    "0": "#e74856",  # red
    "1": "#f7630c",  # orange
    "2": "#8e562e",  # brown
    "3": "#fde300",  # yellow
    "4": "#13a10e",  # green
    "5": "#00b7c3",  # teal
    "6": "#6b7b3a",  # olive
    "7": "#0078d4",  # blue
    "8": "#8764b8",  # purple
    "9": "#c239b3",  # cranberry
}
"""Outlook's category presets (``preset0``...) as the chips' colours."""
PANE_TYPES = ("message", "appointment")
"""The item types the add-in's manifest declares a task pane for."""


@dataclass(frozen=True)
class Chip:
    name: str
    colour: str | None


@dataclass(frozen=True)
class Row:
    """One item as the list and the reading pane show it.

    Attributes:
        office_id: the id Office.js hands an add-in (REST form).
        office_type: ``message``, ``appointment``, ``contact`` or ``task``.
        details: a contact card's lines (label, value), for contacts and accounts.
    """

    id: str
    office_id: str
    office_type: str
    subject: str
    who: str
    when: str
    chips: tuple[Chip, ...]
    body: str = ""
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Folder:
    key: str
    name: str
    group: str
    """``Mail``, ``Calendar`` or ``People``: where the navigation lists it."""


class MailClient(Protocol):
    """What a store offers the preview; every call is made holding ``lock``."""

    lock: Any

    def signs_in(self, address: str, password: str) -> bool: ...
    def knows(self, address: str) -> bool: ...
    def language(self, address: str) -> str | None: ...
    def folders(self, address: str) -> tuple[Folder, ...]: ...
    def rows(self, address: str, folder_key: str) -> list[Row]: ...
    def find(self, address: str, any_id: str) -> tuple[Row, str] | None: ...
    def change_categories(
        self, address: str, any_id: str, add: list[str], remove: list[str]
    ) -> tuple[Chip, ...] | None: ...


def rest_id(ews_id: str) -> str:
    """The REST form of an EWS id, as Office.js hands ids to add-ins."""
    return ews_id.replace("/", "-").replace("+", "_")


def ews_id(any_id: str) -> str:
    """The EWS form of an id given in either form."""
    return any_id.replace("-", "/").replace("_", "+")


def create_blueprint(client: MailClient, product: str) -> Blueprint:
    """The preview over ``client``; the app's ``OWA_ADDIN_URL`` is the task pane to open beside
    a message or an appointment (none: no pane). ``product`` names the mail system it stands
    for on its pages (``Exchange``, ``Exchange Online``)."""
    owa = Blueprint("owa", __name__, url_prefix="/owa", template_folder="templates",
                    static_folder="static/owa", static_url_path="/static")  # fmt: skip

    @owa.errorhandler(404)
    def not_here(_error: Exception) -> tuple[str, int]:
        return render_template("owa/missing.html", product=product), 404

    def signed_in() -> str | None:
        address = session.get("owa_address")
        return address if address and client.knows(address) else None

    @owa.get("/")
    def mailbox_view() -> str:
        address = signed_in()
        if address is None:
            return render_template("owa/signin.html", error=None, product=product)
        selected, folder_key = None, request.args.get("folder", "inbox")
        with client.lock:
            folders = client.folders(address)
            if request.args.get("ItemID"):
                found = client.find(address, request.args["ItemID"])
                if found is None:
                    abort(404)
                selected, folder_key = found
            if folder_key not in {folder.key for folder in folders}:
                abort(404)
            rows = sorted(client.rows(address, folder_key), key=lambda r: r.when, reverse=True)
        pane = selected is not None and selected.office_type in PANE_TYPES
        return render_template(
            "owa/mailbox.html", address=address, folders=folders, folder_key=folder_key,
            rows=rows, selected=selected, product=product, language=client.language(address),
            addin_url=current_app.config.get("OWA_ADDIN_URL") if pane else None,
        )  # fmt: skip

    @owa.post("/signin")
    def sign_in() -> Response | tuple[str, int]:
        address = request.form.get("address", "").strip().lower()
        with client.lock:
            known = client.signs_in(address, request.form.get("password", ""))
        if not known:
            return render_template("owa/signin.html", error="Wrong address or password.",
                                   product=product), 401  # fmt: skip
        session["owa_address"] = address
        return redirect(url_for("owa.mailbox_view"))

    @owa.post("/signout")
    def sign_out() -> Response:
        session.pop("owa_address", None)
        return redirect(url_for("owa.mailbox_view"))

    @owa.get("/office.js")
    def office_js() -> Response:
        return send_from_directory(owa.root_path + "/static/owa", "office.js", max_age=0)

    @owa.get("/api/item")
    def item_json() -> Response:
        address = signed_in()
        if address is None:
            abort(401)
        with client.lock:
            found = client.find(address, request.args.get("ItemID", ""))
        if found is None:
            abort(404)
        row = found[0]
        return jsonify(
            itemId=row.office_id,
            itemType=row.office_type,
            subject=row.subject,
            categories=[{"displayName": c.name, "color": c.colour} for c in row.chips],
            user={"emailAddress": address},
        )

    @owa.post("/api/categories")
    def edit_categories() -> Response:
        """Add or remove categories of the item, as Outlook's client does for an add-in."""
        address = signed_in()
        body = request.get_json(silent=True) or {}
        if address is None:
            abort(401)
        add = [str(name) for name in body.get("add", [])]
        remove = [str(name) for name in body.get("remove", [])]
        with client.lock:
            chips = client.change_categories(address, str(body.get("ItemID", "")), add, remove)
        if chips is None:
            abort(404)
        return jsonify(categories=[{"displayName": c.name, "color": c.colour} for c in chips])

    return owa


def install(app: Flask, client: MailClient, addin_url: str | None, product: str) -> None:
    """Serve the preview from an emulator's app."""
    app.secret_key = app.secret_key or secrets.token_hex(16)
    app.config["OWA_ADDIN_URL"] = addin_url
    app.register_blueprint(create_blueprint(client, product))

"""The mail client preview: a small "Outlook on the web" over the emulated mailboxes (``/owa/``).

It is for a person trying the demo in a browser. It signs in with a mailbox's address and
password, lists messages and calendar items with their categories as coloured chips (colours
from the mailbox's master category list, as Outlook shows them), and opens the real add-in task
pane beside the selected item, as Outlook does. The pane loads ``/owa/office.js``, our Office
host: it answers Office.js calls for the open item from this page (see ``static/owa``).

Deep links use Outlook's own form (``/owa/?ItemID=...``), so the dashboard's "open in Outlook"
links land on the item.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

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
from lxml import etree

from emulators.ews.soap import t
from emulators.ews.store import Item, Mailbox, Store

FOLDERS = (
    ("inbox", "Inbox"),
    ("sentitems", "Sent Items"),
    ("sap", "SAP Cloud for Customer"),
    ("calendar", "Calendar"),
)
OFFICE_ITEM_TYPES = {"Message": "message", "CalendarItem": "appointment"}
CATEGORY_LIST_NS = "CategoryList.xsd"
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


@dataclass(frozen=True)
class Chip:
    name: str
    colour: str | None


@dataclass(frozen=True)
class Row:
    id: str
    office_id: str
    office_type: str
    subject: str
    who: str
    when: str
    chips: tuple[Chip, ...]
    body: str


def rest_id(ews_id: str) -> str:
    """The REST form of an EWS id, as Office.js hands ids to add-ins."""
    return ews_id.replace("/", "-").replace("+", "_")


def _ews_id(any_id: str) -> str:
    return any_id.replace("-", "/").replace("_", "+")


def _folder(mailbox: Mailbox, key: str):
    if key == "sap":
        return mailbox.folder_by_path("SAP Cloud for Customer")
    return mailbox.distinguished(key)


def _colours(mailbox: Mailbox) -> dict[str, str | None]:
    """Category name → CSS colour, from the master category list (``None``: no colour)."""
    for (_folder_id, name), stored in mailbox.user_configurations.items():
        data = stored.get("XmlData")
        if name != "CategoryList" or not isinstance(data, bytes):
            continue
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
        return {
            c.get("name"): PRESET_COLOURS.get(c.get("color") or "")
            for c in root.iter(f"{{{CATEGORY_LIST_NS}}}category")
        }
    return {}


def _chips(mailbox: Mailbox, item: Item) -> tuple[Chip, ...]:
    colours = _colours(mailbox)
    return tuple(Chip(name, colours.get(name)) for name in item.texts("Categories"))


def _row(mailbox: Mailbox, item: Item) -> Row:
    sender = item.fields.get("From")
    who = ""
    if sender is not None:
        who = sender.findtext(f"{t('Mailbox')}/{t('EmailAddress')}") or ""
    when_field = "DateTimeReceived" if item.kind == "Message" else "Start"
    when = (item.texts(when_field) or [""])[0].replace("T", " ").removesuffix("Z")[:16]
    return Row(
        id=item.id,
        office_id=rest_id(item.id),
        office_type=OFFICE_ITEM_TYPES.get(item.kind, item.kind.lower()),
        subject=(item.texts("Subject") or ["(no subject)"])[0],
        who=who,
        when=when,
        chips=_chips(mailbox, item),
        body=(item.texts("Body") or [""])[0],
    )


def create_blueprint(store: Store) -> Blueprint:
    """The preview over ``store``; the app's ``OWA_ADDIN_URL`` is the task pane to open beside
    an item (none: no pane)."""
    owa = Blueprint("owa", __name__, url_prefix="/owa")

    def signed_in_mailbox() -> Mailbox | None:
        address = session.get("owa_address")
        return store.mailboxes.get(address) if address else None

    def item_or_404(mailbox: Mailbox, any_id: str) -> Item:
        item = mailbox.items.get(_ews_id(any_id))
        if item is None:
            abort(404)
        return item

    @owa.get("/")
    def mailbox_view() -> str:
        mailbox = signed_in_mailbox()
        if mailbox is None:
            return render_template("owa/signin.html", error=None)
        selected = None
        folder_key = request.args.get("folder", "inbox")
        if request.args.get("ItemID"):
            with store.lock:
                item = item_or_404(mailbox, request.args["ItemID"])
                selected = _row(mailbox, item)
                folder_key = next(
                    (key for key, _ in FOLDERS if _folder(mailbox, key).id == item.folder_id),
                    folder_key,
                )
        if folder_key not in dict(FOLDERS):
            abort(404)
        with store.lock:
            folder = _folder(mailbox, folder_key)
            rows = sorted(
                (_row(mailbox, item) for item in mailbox.items_in(folder.id)),
                key=lambda row: row.when,
                reverse=True,
            )
        return render_template(
            "owa/mailbox.html",
            address=mailbox.address,
            folders=FOLDERS,
            folder_key=folder_key,
            rows=rows,
            selected=selected,
            addin_url=current_app.config.get("OWA_ADDIN_URL") if selected and
            selected.office_type in ("message", "appointment") else None,
        )  # fmt: skip

    @owa.post("/signin")
    def sign_in() -> Response | tuple[str, int]:
        address = request.form.get("address", "").strip().lower()
        mailbox = store.mailboxes.get(address)
        password = request.form.get("password", "")
        if mailbox is None or not mailbox.password or mailbox.password != password:
            return render_template("owa/signin.html", error="Wrong address or password."), 401
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
        mailbox = signed_in_mailbox()
        if mailbox is None:
            abort(401)
        with store.lock:
            row = _row(mailbox, item_or_404(mailbox, request.args.get("ItemID", "")))
        return jsonify(
            itemId=row.office_id,
            itemType=row.office_type,
            subject=row.subject,
            categories=[{"displayName": c.name, "color": c.colour} for c in row.chips],
            user={"emailAddress": mailbox.address},
        )

    @owa.post("/api/categories")
    def edit_categories() -> Response:
        """Add or remove categories of the item, as Outlook's client does for an add-in."""
        mailbox = signed_in_mailbox()
        body = request.get_json(silent=True) or {}
        if mailbox is None:
            abort(401)
        with store.lock:
            item = item_or_404(mailbox, str(body.get("ItemID", "")))
            current = item.texts("Categories")
            wanted = [c for c in current if c not in set(body.get("remove", []))]
            wanted += [c for c in body.get("add", []) if c not in wanted]
            if wanted != current:
                element = etree.Element(t("Categories"))
                for name in wanted:
                    etree.SubElement(element, t("String")).text = name
                if wanted:
                    item.fields["Categories"] = element
                else:
                    item.fields.pop("Categories", None)
                mailbox.changed(item)
            chips = _chips(mailbox, item)
        return jsonify(categories=[{"displayName": c.name, "color": c.colour} for c in chips])

    return owa


def install(app: Flask, store: Store, addin_url: str | None) -> None:
    """Serve the preview from the emulator's app."""
    app.secret_key = app.secret_key or secrets.token_hex(16)
    app.config["OWA_ADDIN_URL"] = addin_url
    app.register_blueprint(create_blueprint(store))

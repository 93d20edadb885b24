"""The mail client preview: a small Gmail over the emulated mailboxes (``/mail/``), with the
Gmail add-on's side panel.

It is for a person trying the demo in a browser. Choose an account, see the inbox with each
message's own labels as chips (in their label colour, as Gmail shows them), open a message, and
the panel beside it shows the add-on's card, got the way Gmail gets it: an event object posted to
the add-on's trigger URL with a system ID token for that URL and the user's ID token, both
signed with this emulator's Google keys (``/oauth2/v1/certs``). Buttons post their action back
through this page, form inputs as ``formInputs`` (a date-time picker's as ``dateInput`` or
``dateTimeInput``, milliseconds since the epoch); links open in a new tab. Cards are rendered
from their JSON here, with Google's small HTML subset for text; a button with a ``color`` is
filled. The user's time zone (``commonEventObject.timeZone``) is the host's, Europe/Berlin
unless given. Google's own web links to the user's items are answered too (``web_links``).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from flask import Blueprint, Flask, abort, redirect, render_template, request, session, url_for
from markupsafe import Markup

from emulators.google import web_links
from emulators.google.app import GoogleStore
from emulators.google.gmail_store import GmailMailbox, GmailMessage

TAG = re.compile(r"<[^<>]*>")
ALLOWED_TAG = re.compile(r'</?(?:b|i|u)>|<br\s*/?>|<font color="#[0-9a-fA-F]{6}">|</font>')
BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)")


@dataclass(frozen=True)
class AddonDeployment:
    """Where the add-on is and whom Google's tokens name: its trigger URLs (from the deployment
    descriptor), its system service account and its OAuth client."""

    home_url: str
    message_url: str
    service_account: str
    client_id: str


@dataclass(frozen=True)
class Row:
    id: str
    sender: str
    subject: str
    chips: list[tuple[str, str | None, str]]


def _plain(text: str) -> str:
    """Text between tags: entities the sender wrote kept, anything else escaped."""
    escaped = BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace('"', "&quot;")


def card_text(text: str) -> Markup:
    """Formatted card text as Gmail shows it: the tags of Google's subset kept, any other tag
    shown as text, entities kept."""
    shown, position = [], 0
    for tag in TAG.finditer(text):
        shown.append(_plain(text[position : tag.start()]))
        shown.append(tag.group(0) if ALLOWED_TAG.fullmatch(tag.group(0)) else _plain(tag.group(0)))
        position = tag.end()
    shown.append(_plain(text[position:]))
    return Markup("".join(shown))


def _chips(mailbox: GmailMailbox, message: GmailMessage) -> list[tuple[str, str | None, str]]:
    """Each user label of the message: its name, background and text colour, as Gmail shows it."""
    labels = {label.id: label for label in mailbox.labels.values() if label.type == "user"}
    return [
        (labels[i].name, (labels[i].color or {}).get("backgroundColor"),
         (labels[i].color or {}).get("textColor") or "#ffffff")
        for i in message.label_ids
        if i in labels
    ]  # fmt: skip


PICKER_PREFIX = "picker:"
"""A hidden form field naming a date-time picker's kind: ``picker:<name>=DATE_ONLY``."""
TIME_ZONE = "Europe/Berlin"


def form_inputs(
    typed: dict[str, str], pickers: dict[str, str] | None = None, zone: str = TIME_ZONE
) -> dict[str, Any]:
    """Typed values as an event object carries them (``formInputs``): text as ``stringInputs``;
    a date picker's ``YYYY-MM-DD`` as ``dateInput`` (midnight UTC) and a date-time picker's
    ``YYYY-MM-DDTHH:MM`` (in ``zone``) as ``dateTimeInput``; an empty picker sends nothing."""
    inputs: dict[str, Any] = {}
    for name, value in typed.items():
        kind = (pickers or {}).get(name)
        if kind is None:
            inputs[name] = {"stringInputs": {"value": [value]}}
        elif value and kind == "DATE_ONLY":
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
            inputs[name] = {"dateInput": {"msSinceEpoch": str(int(moment.timestamp() * 1000))}}
        elif value:
            moment = datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(zone))
            inputs[name] = {"dateTimeInput": {"msSinceEpoch": str(int(moment.timestamp() * 1000)),
                                              "hasDate": True, "hasTime": True}}  # fmt: skip
    return inputs


def picker_value(picker: dict[str, Any], zone: str = TIME_ZONE) -> str:
    """A picker's ``valueMsEpoch`` as the browser's date or datetime-local input shows it: a
    date as is (UTC), a date and time in ``timezoneOffsetDate`` or else the user's zone."""
    millis = picker.get("valueMsEpoch")
    if not isinstance(millis, str) or not millis.lstrip("-").isdigit():
        return ""
    moment = datetime.fromtimestamp(int(millis) / 1000, UTC)
    if picker.get("type") == "DATE_ONLY":
        return moment.date().isoformat()
    offset = picker.get("timezoneOffsetDate")
    if isinstance(offset, int):
        return (moment + timedelta(minutes=offset)).strftime("%Y-%m-%dT%H:%M")
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def button_colour(button: dict[str, Any]) -> str | None:
    """A button's ``color`` (0 to 1 per channel) as CSS, if it has one."""
    colour = button.get("color")
    if not isinstance(colour, dict):
        return None
    channels = [round(float(colour.get(name) or 0) * 255) for name in ("red", "green", "blue")]
    return "rgb({}, {}, {})".format(*channels)


class Host:
    """Gmail calling the add-on for one user: its event objects and Google's ID tokens."""

    def __init__(
        self, store: GoogleStore, deployment: AddonDeployment, address: str, zone: str = TIME_ZONE
    ) -> None:
        self.store, self.deployment, self.address, self.zone = store, deployment, address, zone

    def user_token(self, **claims: Any) -> str:
        """The user's ID token for the add-on's OAuth client (``claims`` override)."""
        identity = {"aud": self.deployment.client_id, "sub": "1" + str(sum(self.address.encode())),
                    "email": self.address, "email_verified": True}  # fmt: skip
        return self.store.oauth.sign_id_token({**identity, **claims})

    def system_token(self, url: str, **claims: Any) -> str:
        """The add-on service account's ID token for the endpoint ``url`` (``claims`` override)."""
        identity = {"aud": url, "sub": "100", "email": self.deployment.service_account,
                    "email_verified": True}  # fmt: skip
        return self.store.oauth.sign_id_token({**identity, **claims})

    def event(self, message_id: str | None = None, **common: Any) -> dict[str, Any]:
        offset = datetime.now(ZoneInfo(self.zone)).utcoffset()
        time_zone = {"id": self.zone, "offset": int(offset.total_seconds() * 1000) if offset else 0}
        common = {"hostApp": "GMAIL", "platform": "WEB", "userLocale": "en",
                  "timeZone": time_zone, **common}  # fmt: skip
        event: dict[str, Any] = {
            "commonEventObject": common,
            "authorizationEventObject": {"userIdToken": self.user_token()},
        }
        if message_id:
            event["gmail"] = {"messageId": message_id, "threadId": message_id}
        return event

    def call(self, url: str, event: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.system_token(url)}"}
        try:
            answer = requests.post(url, json=event, headers=headers, timeout=60)
        except requests.RequestException as error:
            return {"error": f"The add-on could not be reached: {type(error).__name__}"}
        if answer.status_code != 200:
            return {"error": f"The add-on answered HTTP {answer.status_code}."}
        return answer.json()


def create_blueprint(store: GoogleStore, deployment: AddonDeployment) -> Blueprint:
    preview = Blueprint("gmail_preview", __name__, url_prefix="/mail",
                        template_folder="templates", static_folder="static",
                        static_url_path="/static")  # fmt: skip
    panels: dict[str, dict[str, Any]] = {}
    """The add-on's last answer to a button, per account, shown once by the next page."""
    cards: dict[str, dict[str, Any]] = {}
    """The card each account sees, kept under a notice that changes no card (as Gmail does)."""

    def host() -> Host | None:
        address = session.get("gmail_address")
        return Host(store, deployment, address) if address in store.mailboxes else None

    @preview.get("/")
    def inbox() -> Any:
        found = host()
        if found is None:
            return render_template("gmail/choose.html", addresses=sorted(store.mailboxes))
        mailbox, chosen = store.mailboxes[found.address], request.args.get("message")
        with store.lock:
            messages = sorted(
                (m for m in mailbox.messages.values() if "INBOX" in m.label_ids),
                key=lambda m: m.internal_date, reverse=True,
            )  # fmt: skip
            rows = [Row(m.id, m.header("From"), m.header("Subject"), _chips(mailbox, m))
                    for m in messages]  # fmt: skip
        selected = next((row for row in rows if row.id == chosen), None)
        answer = panels.pop(found.address, None)
        if answer is None:
            url = deployment.message_url if selected else deployment.home_url
            answer = found.call(url, found.event(selected.id if selected else None))
        navigations = (answer.get("action") or {}).get("navigations")
        if navigations:
            cards[found.address] = navigations[-1]
        elif "action" in answer and found.address in cards:
            answer = {"action": {**answer["action"], "navigations": [cards[found.address]]}}
        return render_template("gmail/inbox.html", address=found.address, rows=rows,
                               selected=selected, answer=answer, text=card_text, dumps=json.dumps,
                               picked=lambda p: picker_value(p, found.zone),
                               colour=button_colour)  # fmt: skip

    @preview.post("/choose")
    def choose() -> Any:
        session["gmail_address"] = request.form.get("address", "").lower()
        return redirect(url_for("gmail_preview.inbox"))

    @preview.post("/sign-out")
    def sign_out() -> Any:
        session.pop("gmail_address", None)
        return redirect(url_for("gmail_preview.inbox"))

    @preview.post("/click")
    def click() -> Any:
        found = host()
        if found is None:
            return redirect(url_for("gmail_preview.inbox"))
        try:
            action = json.loads(request.form.get("click", "{}"))
        except ValueError:
            abort(400)
        if not isinstance(action, dict):
            abort(400)
        message = request.form.get("message") or None
        pickers = {name.removeprefix(PICKER_PREFIX): kind for name, kind in request.form.items()
                   if name.startswith(PICKER_PREFIX)}  # fmt: skip
        typed = {
            name: value
            for name, value in request.form.items()
            if name not in ("click", "message") and not name.startswith(PICKER_PREFIX)
        }
        try:
            inputs = form_inputs(typed, pickers, found.zone)
        except ValueError:
            abort(400)
        parameters = {p["key"]: p["value"] for p in action.get("parameters", [])}
        event = found.event(message, parameters=parameters, formInputs=inputs)
        panels[found.address] = found.call(str(action.get("function", "")), event)
        return redirect(url_for("gmail_preview.inbox", message=message))

    return preview


def install(app: Flask, store: GoogleStore, deployment: AddonDeployment) -> None:
    """Serve the preview, and Google's web links to the users' items, from the emulator's app."""
    app.secret_key = app.secret_key or secrets.token_hex(16)
    app.register_blueprint(create_blueprint(store, deployment))
    web_links.install(app, store)

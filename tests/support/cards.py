"""Typed models of the Google Workspace add-on card format (the part the Gmail add-on uses), and
a Gmail stand-in that posts event objects with Google-signed ID tokens, as Gmail does.

The models forbid unknown fields and require exactly one widget kind per widget, so an answer
that Gmail would not render fails validation here. Every card is also checked against Google's
own card schema (``GoogleAppsCardV1Card`` of the Chat API's discovery document, which defines
the cards add-ons and Chat apps share), with what Google documents as Chat-only refused:
``Button.type`` ("available for Google Chat apps and unavailable for Google Workspace add-ons";
an add-on emphasises a button with ``color``, which makes it filled).
"""

from __future__ import annotations

from typing import Any, Literal

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, model_validator

from emulators.google import GoogleEmulator
from emulators.google.preview import AddonDeployment, Host, form_inputs
from tests.support.discovery import convert, document

SERVICE_ACCOUNT = "service-123456789012@gcp-sa-gsuiteaddons.iam.gserviceaccount.com"
CLIENT_ID = "ssi-sync-gmail-addon.apps.googleusercontent.com"
PUBLIC = "https://sync.contoso.test"


def addon_settings(google: GoogleEmulator, public_base_url: str = PUBLIC) -> dict[str, object]:
    """The app's settings for the add-on with ``google`` playing Google (APIs and keys)."""
    return {
        "GOOGLE_API_BASE": google.url,
        "GOOGLE_CERTS_URL": f"{google.url}/oauth2/v1/certs",
        "GMAIL_ADDON_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
        "GMAIL_ADDON_CLIENT_ID": CLIENT_ID,
        "PUBLIC_BASE_URL": public_base_url,
    }


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Parameter(Strict):
    key: str
    value: str


class CallbackAction(Strict):
    function: str
    parameters: list[Parameter] = []


class OpenLink(Strict):
    url: str


class OnClick(Strict):
    action: CallbackAction | None = None
    openLink: OpenLink | None = None

    @model_validator(mode="after")
    def _one(self) -> OnClick:
        assert (self.action is None) != (self.openLink is None), "one of action, openLink"
        return self


class Color(Strict):
    red: float
    green: float
    blue: float

    @model_validator(mode="after")
    def _in_range(self) -> Color:
        assert all(0 <= v <= 1 for v in (self.red, self.green, self.blue)), "0 to 1 each"
        return self


class Button(Strict):
    """No ``type``: Chat apps only."""

    text: str
    onClick: OnClick
    color: Color | None = None


class ButtonList(Strict):
    buttons: list[Button]


class TextParagraph(Strict):
    text: str


class DecoratedText(Strict):
    topLabel: str | None = None
    text: str
    bottomLabel: str | None = None
    wrapText: bool | None = None


class TextInput(Strict):
    name: str
    label: str
    value: str | None = None
    hintText: str | None = None


class DateTimePicker(Strict):
    name: str
    label: str
    type: Literal["DATE_AND_TIME", "DATE_ONLY", "TIME_ONLY"]
    valueMsEpoch: str | None = None
    timezoneOffsetDate: int | None = None

    @model_validator(mode="after")
    def _epoch(self) -> DateTimePicker:
        assert self.valueMsEpoch is None or self.valueMsEpoch.lstrip("-").isdigit(), "int64"
        return self


class SelectionItem(Strict):
    text: str
    value: str
    selected: bool = False


class SelectionInput(Strict):
    name: str
    label: str
    type: Literal["CHECK_BOX", "RADIO_BUTTON", "SWITCH", "DROPDOWN"]
    items: list[SelectionItem]


class Widget(Strict):
    textParagraph: TextParagraph | None = None
    decoratedText: DecoratedText | None = None
    textInput: TextInput | None = None
    dateTimePicker: DateTimePicker | None = None
    selectionInput: SelectionInput | None = None
    buttonList: ButtonList | None = None

    @model_validator(mode="after")
    def _one(self) -> Widget:
        kinds = [name for name in type(self).model_fields if getattr(self, name) is not None]
        assert len(kinds) == 1, f"a widget has exactly one kind, not {kinds}"
        return self


class Section(Strict):
    header: str | None = None
    widgets: list[Widget]


class CardHeader(Strict):
    title: str
    subtitle: str | None = None


class Card(Strict):
    header: CardHeader
    sections: list[Section]
    name: str | None = None

    def texts(self) -> str:
        """Every text of the card, one per line (for asserting what a person reads)."""
        lines = [self.header.title, self.header.subtitle or ""]
        for section in self.sections:
            lines.append(section.header or "")
            for widget in section.widgets:
                for part in (widget.textParagraph, widget.decoratedText):
                    if part is not None:
                        lines += [getattr(part, "topLabel", None) or "", part.text,
                                  getattr(part, "bottomLabel", None) or ""]  # fmt: skip
        return "\n".join(line for line in lines if line)

    def _widgets(self, kind: str) -> list[Any]:
        return [
            getattr(widget, kind)
            for section in self.sections
            for widget in section.widgets
            if getattr(widget, kind) is not None
        ]

    def buttons(self) -> dict[str, Button]:
        return {b.text: b for listed in self._widgets("buttonList") for b in listed.buttons}

    def inputs(self) -> dict[str, TextInput]:
        return {found.name: found for found in self._widgets("textInput")}

    def pickers(self) -> dict[str, DateTimePicker]:
        return {found.name: found for found in self._widgets("dateTimePicker")}

    def choices(self) -> dict[str, SelectionInput]:
        return {found.name: found for found in self._widgets("selectionInput")}


class Navigation(Strict):
    pushCard: Card | None = None
    updateCard: Card | None = None
    popCard: bool | None = None


class Notification(Strict):
    text: str


class Action(Strict):
    navigations: list[Navigation] | None = None
    notification: Notification | None = None


class RenderActions(Strict):
    action: Action

    @model_validator(mode="before")
    @classmethod
    def _googles_schema(cls, data: Any) -> Any:
        """Each card as Google's discovery document defines a card."""
        for navigation in ((data or {}).get("action") or {}).get("navigations") or []:
            for card in (navigation.get("pushCard"), navigation.get("updateCard")):
                if card is not None:
                    check_card(card)
        return data

    @property
    def card(self) -> Card:
        [navigation] = self.action.navigations or []
        found = navigation.pushCard or navigation.updateCard
        assert found is not None
        return found


def check_card(card: dict[str, Any]) -> None:
    """Validate ``card`` against ``GoogleAppsCardV1Card`` (strict: no property the schema does
    not name), then refuse what Google marks as Chat-only."""
    schemas = document("chat.v1")["schemas"]
    schema = {"$defs": {name: convert(value) for name, value in schemas.items()},
              "$ref": "#/$defs/GoogleAppsCardV1Card"}  # fmt: skip
    Draft202012Validator(schema).validate(card)
    for section in card.get("sections", []):
        for widget in section.get("widgets", []):
            for button in (widget.get("buttonList") or {}).get("buttons", []):
                assert "type" not in button, "Button.type is for Google Chat apps only"


class GmailHost:
    """Gmail calling the add-on through the test client, as the emulated Gmail does
    (:class:`Host`): event objects with Google's ID tokens, signed by the Google emulator's keys
    (published at its ``/oauth2/v1/certs``)."""

    def __init__(self, client: FlaskClient, google: GoogleEmulator, user: str) -> None:
        self.client, self.google, self.user = client, google, user
        deployment = AddonDeployment(
            f"{PUBLIC}/gmail-addon/home", f"{PUBLIC}/gmail-addon/message", SERVICE_ACCOUNT,
            CLIENT_ID,
        )  # fmt: skip
        self.host = Host(google.store, deployment, user)

    def token(self, audience: str, **claims: Any) -> str:
        return self.host.user_token(aud=audience, **claims)

    def event(self, message_id: str | None = None, **common: Any) -> dict[str, Any]:
        return self.host.event(message_id, **common)

    def post(self, url: str, event: dict[str, Any], **system: Any):
        """The raw answer to ``event`` posted to ``url`` (absolute, under the public URL)."""
        headers = {"Authorization": f"Bearer {self.host.system_token(url, **system)}"}
        return self.client.post(url.removeprefix(PUBLIC), json=event, headers=headers)

    def render(self, url: str, event: dict[str, Any]) -> RenderActions:
        answer = self.post(url, event)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return RenderActions.model_validate(answer.get_json())

    def home(self) -> Card:
        return self.render(f"{PUBLIC}/gmail-addon/home", self.event()).card

    def open(self, message_id: str) -> Card:
        return self.render(f"{PUBLIC}/gmail-addon/message", self.event(message_id)).card

    def click(self, card: Card, text: str, inputs: dict[str, str] | None = None) -> RenderActions:
        """Press the button ``text`` of ``card`` with ``inputs`` typed into its form (into a
        date-time picker as the browser gives it: ``YYYY-MM-DD[THH:MM]``, in the user's zone)."""
        action = card.buttons()[text].onClick.action
        assert action is not None, f"{text} opens a link"
        parameters = {p.key: p.value for p in action.parameters}
        pickers = {name: picker.type for name, picker in card.pickers().items()}
        typed = form_inputs(inputs or {}, pickers, self.host.zone)
        event = self.event(parameters=parameters, formInputs=typed)
        return self.render(action.function, event)

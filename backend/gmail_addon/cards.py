"""The Gmail add-on's cards as small typed values, turned into Google's card JSON in one place.

Views build :class:`Card` values from these widgets and answer with :func:`push`,
:func:`update` or :func:`notify`; nothing else writes card JSON. Buttons call back to our one
action endpoint with the handler's name and the card's signed state as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Action:
    """A callback to the add-on's action endpoint: ``url`` with string parameters."""

    url: str
    parameters: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> Json:
        pairs = [{"key": key, "value": value} for key, value in self.parameters.items()]
        return {"action": {"function": self.url, "parameters": pairs}}


@dataclass(frozen=True)
class OpenLink:
    url: str

    def to_json(self) -> Json:
        return {"openLink": {"url": self.url}}


MAIN_COLOUR = {"red": 26 / 255, "green": 115 / 255, "blue": 232 / 255}
"""Gmail's blue (#1a73e8) for the card's main button."""


@dataclass(frozen=True)
class Button:
    """A button; ``main`` gives it a colour, which makes an add-on button filled (``Button.type``
    is for Chat apps only), its text in a contrasting colour."""

    text: str
    on_click: Action | OpenLink
    main: bool = False

    def to_json(self) -> Json:
        shown: Json = {"text": self.text, "onClick": self.on_click.to_json()}
        if self.main:
            shown["color"] = dict(MAIN_COLOUR)
        return shown


@dataclass(frozen=True)
class Buttons:
    buttons: tuple[Button, ...]

    def to_json(self) -> Json:
        return {"buttonList": {"buttons": [button.to_json() for button in self.buttons]}}


@dataclass(frozen=True)
class Paragraph:
    """Text with Google's small HTML subset (``<b>``, ``<font color>``): escape what is not ours."""

    text: str

    def to_json(self) -> Json:
        return {"textParagraph": {"text": self.text}}


@dataclass(frozen=True)
class Labelled:
    """A value with a label above it (and a line below, e.g. an error)."""

    top: str
    text: str
    bottom: str | None = None

    def to_json(self) -> Json:
        shown: Json = {"topLabel": self.top, "text": self.text, "wrapText": True}
        if self.bottom:
            shown["bottomLabel"] = self.bottom
        return {"decoratedText": shown}


@dataclass(frozen=True)
class TextField:
    name: str
    label: str
    value: str = ""
    hint: str | None = None

    def to_json(self) -> Json:
        shown: Json = {"name": self.name, "label": self.label, "value": self.value}
        if self.hint:
            shown["hintText"] = self.hint
        return {"textInput": shown}


@dataclass(frozen=True)
class DateTimePicker:
    """A date (``DATE_ONLY``) or date and time (``DATE_AND_TIME``) picker.

    ``value_ms`` is the instant in milliseconds since the epoch (a date: its midnight UTC);
    ``offset_minutes`` shows a date and time in the user's zone (``None``: Gmail's setting).
    """

    name: str
    label: str
    kind: str
    value_ms: int | None = None
    offset_minutes: int | None = None

    def to_json(self) -> Json:
        shown: Json = {"name": self.name, "label": self.label, "type": self.kind}
        if self.value_ms is not None:
            shown["valueMsEpoch"] = str(self.value_ms)
        if self.offset_minutes is not None and self.kind == "DATE_AND_TIME":
            shown["timezoneOffsetDate"] = self.offset_minutes
        return {"dateTimePicker": shown}


@dataclass(frozen=True)
class Choice:
    text: str
    value: str
    selected: bool = False


@dataclass(frozen=True)
class Choices:
    """A drop-down (or radio buttons) named ``name``."""

    name: str
    label: str
    choices: tuple[Choice, ...]
    radio: bool = False

    def to_json(self) -> Json:
        items = [{"text": c.text, "value": c.value, "selected": c.selected} for c in self.choices]
        kind = "RADIO_BUTTON" if self.radio else "DROPDOWN"
        return {"selectionInput": {"name": self.name, "label": self.label, "type": kind,
                                   "items": items}}  # fmt: skip


Widget = Paragraph | Labelled | TextField | DateTimePicker | Choices | Buttons


@dataclass(frozen=True)
class Section:
    widgets: tuple[Widget, ...]
    header: str | None = None

    def to_json(self) -> Json:
        shown: Json = {"widgets": [widget.to_json() for widget in self.widgets]}
        if self.header:
            shown["header"] = self.header
        return shown


@dataclass(frozen=True)
class Card:
    title: str
    sections: tuple[Section, ...]
    subtitle: str | None = None
    name: str | None = None

    def to_json(self) -> Json:
        header: Json = {"title": self.title}
        if self.subtitle:
            header["subtitle"] = self.subtitle
        shown: Json = {"header": header, "sections": [s.to_json() for s in self.sections]}
        if self.name:
            shown["name"] = self.name
        return shown


def push(card: Card) -> Json:
    """Show ``card`` on top of the current one (what a trigger answers)."""
    return {"action": {"navigations": [{"pushCard": card.to_json()}]}}


def update(card: Card, notice: str | None = None) -> Json:
    """Replace the current card (after a button), with a short notice if there is one."""
    action: Json = {"navigations": [{"updateCard": card.to_json()}]}
    if notice:
        action["notification"] = {"text": notice}
    return {"action": action}


def notify(notice: str) -> Json:
    """Only a short notice; the card stays as it is."""
    return {"action": {"notification": {"text": notice}}}

"""The tenant settings form: its fields as the page names them, parsing, checks and the diff.

Field names are dotted paths (``item_types.CONTACT.direction``, ``forbidden_policy.DELETE``) so
a validation error's location is the name of the field it belongs to. The form shows the
mass-change share in percent and the extra recipients as text; everything else maps one to one
onto :class:`TenantSettings`. Labels are marked here and translated where shown; a field's
message is in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from flask_babel import gettext as _
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from backend.models.tenant import (
    ConflictPolicy,
    EntraTenantIds,
    ForbiddenPolicy,
    FromSap,
    GoogleDomains,
    ItemTypeSettings,
    Reminder,
    TenantSettings,
    WarnDays,
)
from backend.models.types import Direction, ItemType
from backend.text import N_

FormValues = dict[str, str | bool]
"""What the form shows: text per field, True/False per checkbox."""

OPERATIONS = ("UPDATE", "DELETE")
DIRECTION_LABELS = {
    Direction.BOTH: N_("Both ways"),
    Direction.UP: N_("Mailbox → SAP"),
    Direction.DOWN: N_("SAP → mailbox"),
}
CONFLICT_LABELS = {
    ConflictPolicy.NEWER_WINS: N_("Newer change wins"),
    ConflictPolicy.C4C_WINS: N_("SAP wins"),
    ConflictPolicy.MAILBOX_WINS: N_("Mailbox wins"),
}
FROM_SAP_LABELS = {
    FromSap.THEIRS: N_("Theirs in SAP come to the mailbox"),
    FromSap.LINKED: N_("Only what is in sync"),
}
TYPE_FIELDS = ("direction", "conflict_policy", "from_sap")
FORBIDDEN_LABELS = {
    ForbiddenPolicy.RETRY: N_("Retry every run"),
    ForbiddenPolicy.ROLL_BACK: N_("Roll back the mailbox copy"),
    ForbiddenPolicy.IGNORE: N_("Ignore"),
}
REMINDER_LABELS = {
    Reminder.NONE: N_("No reminder"),
    Reminder.DAILY: N_("Daily"),
    Reminder.WEEKLY: N_("Weekly"),
}
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday"))  # fmt: skip
"""The digest's day, as the form offers it (0 is Monday)."""
CHECKBOXES = (
    *(f"item_types.{item_type}.enabled" for item_type in ItemType),
    "delete_copies",
    "hide_other_users_titles",
)
TEXT_FIELDS = (
    *(f"item_types.{item_type}.{name}" for item_type in ItemType for name in TYPE_FIELDS),
    "notify_failure_threshold",
    "reminder",
    "extra_recipients",
    "mass_change_percent",
    "mass_change_minimum",
    *(f"forbidden_policy.{operation}" for operation in OPERATIONS),
    "entra_tenant_ids",
    "google_domains",
    "email_domains",
    "warn_days_before",
    "trend_failures",
    "trend_runs",
    "digest_weekday",
    "digest_hour",
)
_ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_SEPARATORS = re.compile(r"[\s,;]+")


class SettingsForm(BaseModel):
    """The submitted form, checked; :meth:`settings` turns it into :class:`TenantSettings`."""

    model_config = ConfigDict(extra="forbid")

    item_types: dict[ItemType, ItemTypeSettings]
    notify_failure_threshold: int | None = Field(default=None, ge=1, le=1000)
    reminder: Reminder
    extra_recipients: list[str]
    mass_change_percent: float = Field(gt=0, le=100)
    mass_change_minimum: int = Field(ge=1, le=1_000_000)
    forbidden_policy: dict[Literal["UPDATE", "DELETE"], ForbiddenPolicy]
    delete_copies: bool
    hide_other_users_titles: bool
    entra_tenant_ids: EntraTenantIds
    google_domains: GoogleDomains
    email_domains: GoogleDomains
    warn_days_before: WarnDays
    trend_failures: int = Field(ge=1, le=50)
    trend_runs: int = Field(ge=1, le=50)
    digest_weekday: int = Field(ge=0, le=6)
    digest_hour: int = Field(ge=0, le=23)

    @field_validator("notify_failure_threshold", mode="before")
    @classmethod
    def _blank_is_default(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trend_runs")
    @classmethod
    def _trend_fits(cls, value: int, info: ValidationInfo) -> int:
        failures = info.data.get("trend_failures")
        if failures is not None and failures > value:
            raise ValueError(
                _("Enter at least %(num)d, the failures that make a trend.", num=failures)
            )
        return value

    @field_validator("extra_recipients", mode="before")
    @classmethod
    def _addresses(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        addresses = [part.lower() for part in _SEPARATORS.split(value) if part]
        wrong = [address for address in addresses if not _ADDRESS.match(address)]
        if wrong:
            raise ValueError(_("Not an e-mail address: %(addresses)s.", addresses=", ".join(wrong)))
        return list(dict.fromkeys(addresses))

    def settings(self, kept: TenantSettings) -> TenantSettings:
        """The settings this form gives; what it does not show is ``kept``'s (the admin
        consent's directory, and what Connections keeps: OAuth, Exchange sign-in, end dates)."""
        values = self.model_dump(exclude={"mass_change_percent"})
        values["mass_change_share"] = round(self.mass_change_percent / 100, 4)
        return TenantSettings.model_validate({**kept.model_dump(), **values})


def values_of(settings: TenantSettings) -> FormValues:
    """The form filled in with ``settings``."""
    values: FormValues = {}
    for item_type in ItemType:
        # A type missing from stored settings does not sync; show it off, not at its default.
        current = settings.item_types.get(item_type, ItemTypeSettings(enabled=False))
        values[f"item_types.{item_type}.enabled"] = current.enabled
        values[f"item_types.{item_type}.direction"] = current.direction.value
        values[f"item_types.{item_type}.conflict_policy"] = current.conflict_policy.value
        values[f"item_types.{item_type}.from_sap"] = current.from_sap.value
    for operation in OPERATIONS:
        policy = settings.forbidden_policy.get(operation, ForbiddenPolicy.RETRY)
        values[f"forbidden_policy.{operation}"] = policy.value
    threshold = settings.notify_failure_threshold
    values.update(
        {
            "notify_failure_threshold": "" if threshold is None else str(threshold),
            "reminder": settings.reminder.value,
            "extra_recipients": "\n".join(settings.extra_recipients),
            "mass_change_percent": f"{round(settings.mass_change_share * 100, 2):g}",
            "mass_change_minimum": str(settings.mass_change_minimum),
            "delete_copies": settings.delete_copies,
            "hide_other_users_titles": settings.hide_other_users_titles,
            "entra_tenant_ids": ", ".join(settings.entra_tenant_ids),
            "google_domains": ", ".join(settings.google_domains),
            "email_domains": ", ".join(settings.email_domains),
            "warn_days_before": ", ".join(str(days) for days in settings.warn_days_before),
            "trend_failures": str(settings.trend_failures),
            "trend_runs": str(settings.trend_runs),
            "digest_weekday": str(settings.digest_weekday),
            "digest_hour": str(settings.digest_hour),
        }
    )
    return values


def submitted_values(form: Mapping[str, str]) -> FormValues:
    """What the user typed and ticked, as the form shows it again."""
    values: FormValues = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
    values["extra_recipients"] = form.get("extra_recipients", "")
    values.update({name: name in form for name in CHECKBOXES})
    return values


def parse_settings(
    values: FormValues, kept: TenantSettings | None = None, own_directory: str | None = None
) -> tuple[TenantSettings | None, dict[str, str]]:
    """The settings the form gives, or None and a message per field that is wrong.

    Args:
        values: what the form sent.
        kept: the current settings, whose values the form does not show are kept.
        own_directory: the directory the saving key user signed in from: removing it would
            lock them out, so it is refused.
    """
    try:
        new = SettingsForm.model_validate(_nested(values)).settings(kept or TenantSettings())
    except ValidationError as error:
        return None, _messages(error)
    if own_directory and not new.allows_any_directory(own_directory):
        field = "google_domains" if "." in own_directory else "entra_tenant_ids"
        return None, {field: _("You signed in from %(directory)s: keep it, or you could not "
                               "sign in again.", directory=own_directory)}  # fmt: skip
    return new, {}


def changes(old: TenantSettings, new: TenantSettings) -> dict[str, dict[str, Any]]:
    """The settings that differ, by dotted key, as ``{"old": ..., "new": ...}``."""
    before, after = _flat(old.model_dump(mode="json")), _flat(new.model_dump(mode="json"))
    return {
        key: {"old": before.get(key), "new": after.get(key)}
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    }


def _nested(values: FormValues) -> dict[str, Any]:
    return {
        "item_types": {
            item_type.value: {
                name: values[f"item_types.{item_type}.{name}"] for name in ("enabled", *TYPE_FIELDS)
            }
            for item_type in ItemType
        },
        "forbidden_policy": {
            operation: values[f"forbidden_policy.{operation}"] for operation in OPERATIONS
        },
        **{
            name: values[name]
            for name in (
                "notify_failure_threshold",
                "reminder",
                "extra_recipients",
                "mass_change_percent",
                "mass_change_minimum",
                "delete_copies",
                "hide_other_users_titles",
                "entra_tenant_ids",
                "google_domains",
                "email_domains",
                "warn_days_before",
                "trend_failures",
                "trend_runs",
                "digest_weekday",
                "digest_hour",
            )
        },
    }


def _messages(error: ValidationError) -> dict[str, str]:
    messages: dict[str, str] = {}
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        messages.setdefault(field, _message(problem))
    return messages


def _message(problem: Any) -> str:
    limits = problem.get("ctx") or {}
    match problem["type"]:
        case "int_parsing" | "int_from_float":
            return _("Enter a whole number.")
        case "float_parsing":
            return _("Enter a number.")
        case "greater_than_equal":
            return _("Enter %(limit)s or more.", limit=_number(limits["ge"]))
        case "greater_than":
            return _("Enter more than %(limit)s.", limit=_number(limits["gt"]))
        case "less_than_equal":
            return _("Enter at most %(limit)s.", limit=_number(limits["le"]))
        case "enum" | "literal_error":
            return _("Choose one of the options.")
        case "value_error":
            return _said(str(problem["msg"]).removeprefix("Value error, "))
    return str(problem["msg"])


def _said(text: str) -> str:
    """A check's words as a sentence (the settings' own checks, in the reader's language, say
    them lower-case without a full stop, as the operator commands print them)."""
    return text if text.endswith(".") else text[:1].upper() + text[1:] + "."


def _number(limit: Any) -> str:
    """A limit as people write it: ``100``, not ``100.0``."""
    if isinstance(limit, float) and limit.is_integer():
        return str(int(limit))
    return str(limit)


def _flat(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat

"""Checking what a person typed in the Save dialog, with the rules C4C applies, and showing it
again with the messages (pure).

Required fields, maximum lengths, codes from the code list, numbers, dates and e-mail shape:
the same checks C4C makes on create and update, so that a value the dialog accepts is not
refused by C4C for its form, and nothing is written while a value is wrong. Whatever the
outcome, the form comes back with the typed text: nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import gettext as _

from backend.i18n import reader_zone
from backend.savedialog.form import FormField, SaveForm
from backend.savedialog.values import (
    EMAIL_SHAPE,
    FALSE,
    TRUE,
    parse_date,
    parse_datetime,
    parse_number,
    to_c4c_value,
)


@dataclass(frozen=True)
class Checked:
    """The outcome of checking a submit.

    Attributes:
        texts: what was submitted per editable field, trimmed (the pre-filled value where a
            field was not submitted).
        errors: a message per field that is not acceptable.
        changed: the C4C values of the acceptable fields whose text differs from the
            pre-filled one.
        touched: the names of every field whose text differs from the pre-filled one.
    """

    texts: dict[str, str]
    errors: dict[str, str]
    changed: dict[str, Any]
    touched: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def field_error(field: FormField, text: str) -> str | None:
    """What is wrong with ``text`` as the value of ``field``, or ``None``.

    Args:
        field: the form field (its kind, length, options, whether it is required).
        text: the trimmed text.

    Returns:
        A message that says what to do, or ``None`` when C4C would accept the value.
    """
    label = field.label
    if field.kind == "boolean":
        return (
            None
            if text.lower() in TRUE | FALSE
            else _("Choose yes or no for %(label)s.", label=label)
        )
    if not text:
        if not field.required:
            return None
        return _("Fill in %(label)s: SAP Cloud for Customer requires it.", label=label)
    if field.max_length is not None and len(text) > field.max_length:
        return _(
            "%(label)s can have at most %(most)d characters; this one has %(has)d.",
            label=label, most=field.max_length, has=len(text),
        )  # fmt: skip
    if field.kind == "code" and field.options and text not in {c for c, _d in field.options}:
        return _("Pick one of the listed values for %(label)s.", label=label)
    if field.kind == "email" and not EMAIL_SHAPE.match(text):
        return _("Enter an e-mail address for %(label)s, like name@example.com.", label=label)
    parsers = {
        "number": (
            lambda: parse_number(text, field.edm_type),
            lambda: _("Enter a number for %(label)s.", label=label),
        ),
        "date": (
            lambda: parse_date(text),
            lambda: _("Enter %(label)s as a date, like 2025-03-31.", label=label),
        ),
        "datetime": (
            lambda: parse_datetime(text, reader_zone()),
            lambda: _("Enter %(label)s as a date and time, like 2025-03-31T14:30.", label=label),
        ),
    }
    if field.kind in parsers:
        parse, message = parsers[field.kind]
        try:
            parse()
        except ValueError:
            return message()
    return None


def validate(fields: Sequence[FormField], values: Mapping[str, str]) -> Checked:
    """Check the submitted ``values`` against the form's ``fields``.

    Read-only fields and values for properties that are not on the form are ignored; a field
    that was not submitted keeps its pre-filled value.

    Args:
        fields: the form as built for the item (values pre-filled).
        values: the submitted text per property name.

    Returns:
        The texts, the errors per field, and the changed values converted for C4C.
    """
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    changed: dict[str, Any] = {}
    touched: list[str] = []
    for field in fields:
        if field.read_only:
            continue
        text = str(values.get(field.name, field.value)).strip()
        texts[field.name] = text
        if text != field.value.strip():
            touched.append(field.name)
        problem = field_error(field, text)
        if problem is not None:
            errors[field.name] = problem
        elif text != field.value.strip():
            changed[field.name] = to_c4c_value(text, field.kind, field.edm_type, reader_zone())
    return Checked(texts, errors, changed, tuple(touched))


def with_input(
    fields: Sequence[FormField],
    texts: Mapping[str, str],
    field_errors: Mapping[str, str],
    *,
    keep_untouched: bool,
) -> tuple[FormField, ...]:
    """The fields with what the person typed and the new errors.

    Args:
        fields: the form's fields as built for the item.
        texts: the submitted text per field.
        field_errors: the new message per field.
        keep_untouched: keep the earlier message of a field the person did not change (after a
            check of the input); otherwise only the new messages show (after C4C answered).

    Returns:
        The fields, ready to render again.
    """
    updated = []
    for field in fields:
        text = texts.get(field.name, field.value)
        error = field_errors.get(field.name)
        if error is None and keep_untouched and text == field.value:
            error = field.error
        updated.append(replace(field, value=text, error=error))
    return tuple(updated)


def with_values(form: SaveForm, values: Mapping[str, str]) -> SaveForm:
    """``form`` showing what the person typed so far (e.g. while searching for the account).

    Args:
        form: the form as opened.
        values: the typed text per property name; read-only fields and unknown names ignored.

    Returns:
        The same form with the typed text in its fields; messages unchanged.
    """
    fields = tuple(
        replace(field, value=str(values[field.name]))
        if field.name in values and not field.read_only
        else field
        for field in form.fields
    )
    return replace(form, fields=fields)

"""The Save dialog's decisions, without any I/O: which issues it fixes, which fields it shows,
how it checks what was typed, and what a submit changes in the mailbox record and in C4C."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from backend.crm.metadata import FieldDefinition, parse_metadata
from backend.mailbox.base import ContactRecord, EmailRecord, TaskRecord
from backend.models import Issue
from backend.models.issue import Source
from backend.models.types import Direction, IssueCode, ItemType
from backend.savedialog.changes import c4c_values, updated_record
from backend.savedialog.form import FormField, SaveForm, build_fields, can_fix, related_link
from backend.savedialog.validate import field_error, validate, with_input, with_values
from backend.savedialog.values import field_kind, format_value, to_c4c_value
from backend.sync.mapping import Links
from backend.sync.mapping.registry import MAPPINGS
from emulators.c4c.metadata import render_metadata
from emulators.c4c.schema import CODE_LISTS

DEFINITIONS = parse_metadata(render_metadata("en").encode(), CODE_LISTS)
CONTACTS, EMAILS = MAPPINGS[ItemType.CONTACT], MAPPINGS[ItemType.EMAIL]
TASKS = MAPPINGS[ItemType.TASK]
AT_1430 = datetime(2025, 3, 31, 14, 30, tzinfo=UTC)
MANDATORY = "Mandatory field 'LastName' is not filled"


def field(kind: str = "text", *, required: bool = False, max_length: int | None = None,
          options: tuple[tuple[str, str], ...] = (), value: str = "",
          edm_type: str = "Edm.String", read_only: bool = False) -> FormField:  # fmt: skip
    return FormField("Prop", "Label", kind, required, max_length, options, value, None,
                     read_only, edm_type)  # fmt: skip


# -- which issues get a Fix button --------------------------------------------------------------


def issue(**overrides) -> Issue:
    values = dict(
        code=IssueCode.NEEDS_INPUT, source=Source.C4C, direction=Direction.UP,
        item_type=ItemType.CONTACT, mailbox_item_id="AAMk1", informational=False,
        resolved_at=None, fields=["LastName"],
    )  # fmt: skip
    return Issue(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "fixable"),
    [
        ({}, True),
        ({"source": Source.ENGINE, "fields": ["AccountID"], "item_type": ItemType.EMAIL}, True),
        ({"code": IssueCode.UNKNOWN}, True),
        ({"code": IssueCode.UNKNOWN, "source": Source.EXCHANGE}, False),
        ({"direction": None}, True),
        ({"code": IssueCode.FORBIDDEN}, False),
        ({"code": IssueCode.TEMPORARY}, False),
        ({"code": IssueCode.CONFLICT, "informational": True}, False),
        ({"informational": True}, False),
        ({"resolved_at": datetime(2026, 1, 1, tzinfo=UTC)}, False),
        ({"item_type": None, "mailbox_item_id": None}, False),
        ({"mailbox_item_id": None}, False),
        ({"direction": Direction.DOWN, "source": Source.EXCHANGE}, False),
    ],
)
def test_which_issues_a_form_can_fix(overrides: dict, fixable: bool) -> None:
    assert can_fix(issue(**overrides)) is fixable


# -- checking what was typed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("made", "text", "expected"),
    [
        (field(required=True), "", "Fill in Label: SAP Cloud for Customer requires it."),
        (field(), "", None),
        (field(max_length=40), "x" * 40, None),
        (field(max_length=40), "x" * 41, "Label can have at most 40 characters; this one has 41."),
        (field("code", options=(("DE", "Germany"),)), "DE", None),
        (field("code", options=(("DE", "Germany"),)), "Germany", "Pick one of the listed values"),
        (field("code"), "ANY", None),
        (field("email"), "jane@fabrikam.test", None),
        (field("email"), "jane@fabrikam", "Enter an e-mail address"),
        (field("email"), "jane doe@fabrikam.test", "Enter an e-mail address"),
        (field("number", edm_type="Edm.Decimal"), "12.50", None),
        (field("number", edm_type="Edm.Decimal"), "12,50", "Enter a number"),
        (field("number", edm_type="Edm.Int32"), "7", None),
        (field("number", edm_type="Edm.Int32"), "7.5", "Enter a number"),
        (field("number", edm_type="Edm.Double"), "nan", "Enter a number"),
        (field("date"), "2025-03-31", None),
        (field("date"), "31.03.2025", "Enter Label as a date"),
        (field("datetime"), "2025-03-31T14:30", None),
        (field("datetime"), "2025-03-31 14:30:15", None),
        (field("datetime"), "2025-03-31T14:30Z", None),
        (field("datetime"), "tomorrow", "Enter Label as a date and time"),
        (field("boolean"), "true", None),
        (field("boolean"), "", None),
        (field("boolean"), "maybe", "Choose yes or no for Label."),
    ],
)
def test_field_rules(made: FormField, text: str, expected: str | None) -> None:
    found = field_error(made, text)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.startswith(expected), found


def test_validate_keeps_the_typed_text_and_converts_only_what_changed() -> None:
    fields = [
        FormField("LastName", "Last Name", "text", True, 40, (), "", MANDATORY),
        FormField("FirstName", "First Name", "text", False, 40, (), "Jane", None),
        FormField("JobTitle", "Job Title", "text", False, 40, (), "Boss", None),
        FormField("Text", "Text", "text", False, None, (), "body", None, read_only=True),
    ]
    checked = validate(fields, {"LastName": " Doe ", "FirstName": "Jane", "Text": "x", "Foo": "y"})
    assert checked.ok
    assert checked.texts == {"LastName": "Doe", "FirstName": "Jane", "JobTitle": "Boss"}
    assert (checked.changed, checked.touched) == ({"LastName": "Doe"}, ("LastName",))

    wrong = validate(fields, {"LastName": "D" * 41, "JobTitle": ""})
    assert list(wrong.errors) == ["LastName"]
    assert (wrong.texts["LastName"], wrong.touched) == ("D" * 41, ("LastName", "JobTitle"))


@pytest.mark.parametrize(
    ("text", "kind", "edm_type", "expected"),
    [
        ("", "text", "Edm.String", None),
        (" Doe ", "text", "Edm.String", "Doe"),
        ("2025-03-31T14:30", "datetime", "Edm.DateTimeOffset", AT_1430),
        ("2025-03-31T16:30+02:00", "datetime", "Edm.DateTimeOffset", AT_1430),
        ("2025-03-31", "date", "Edm.DateTime", datetime(2025, 3, 31, tzinfo=UTC)),
        ("12.50", "number", "Edm.Decimal", "12.50"),
        ("7", "number", "Edm.Int32", 7),
        ("on", "boolean", "Edm.Boolean", True),
        ("", "boolean", "Edm.Boolean", False),
    ],
)
def test_typed_text_becomes_a_c4c_value(text, kind, edm_type, expected) -> None:
    assert to_c4c_value(text, kind, edm_type) == expected


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (None, "text", ""),
        (True, "boolean", "true"),
        (AT_1430, "datetime", "2025-03-31T14:30"),
        (datetime(2025, 3, 31, 14, 30, 15, tzinfo=UTC), "datetime", "2025-03-31T14:30:15"),
        (datetime(2025, 3, 31, tzinfo=UTC), "date", "2025-03-31"),
        (date(2025, 3, 31), "date", "2025-03-31"),
    ],
)
def test_c4c_values_as_the_form_shows_them(value, kind, expected) -> None:
    assert format_value(value, kind) == expected


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2025-03-31T16:30", AT_1430), ("2025-01-31T15:30", datetime(2025, 1, 31, 14, 30, tzinfo=UTC)),
     ("2025-03-31T14:30Z", AT_1430), ("2025-03-31T14:30+00:00", AT_1430)],
)  # fmt: skip
def test_a_date_and_time_is_typed_in_the_readers_time_zone(text, expected) -> None:
    """Summer and winter time as the reader's clock has them; a time saying its own offset is
    taken as it says (Gmail's picker answers in UTC)."""
    assert to_c4c_value(text, "datetime", "Edm.DateTimeOffset", BERLIN) == expected


def test_a_date_and_time_is_shown_in_the_readers_time_zone_and_a_date_in_none() -> None:
    assert format_value(AT_1430, "datetime", BERLIN) == "2025-03-31T16:30", "summer time"
    midnight = datetime(2025, 3, 31, tzinfo=UTC)
    assert format_value(midnight, "date", ZoneInfo("America/New_York")) == "2025-03-31"
    assert to_c4c_value("2025-03-31", "date", "Edm.DateTime", BERLIN) == midnight


@pytest.mark.parametrize(
    ("edm_type", "code_list", "name", "kind"),
    [
        ("Edm.String", "CountryCodeCollection", "CountryCode", "code"),
        ("Edm.Boolean", None, "AllDayEvent", "boolean"),
        ("Edm.Decimal", None, "Revenue", "number"),
        ("Edm.DateTime", None, "BirthDate", "date"),
        ("Edm.DateTimeOffset", None, "StartDateTime", "datetime"),
        ("Edm.String", None, "Email", "email"),
        ("Edm.String", None, "FromEmailURI", "text"),
        ("Edm.String", None, "LastName", "text"),
    ],
)
def test_input_kind_per_property(edm_type, code_list, name, kind) -> None:
    definition = FieldDefinition(name, name, edm_type, False, None, True, True, code_list)
    assert field_kind(definition) == kind


# -- which fields the form shows ----------------------------------------------------------------


def test_contact_form_shows_what_the_item_has_plus_required_and_flagged_fields() -> None:
    record = ContactRecord(id="AAMk1", given_name="Nolast", emails=("n@fabrikam.test",))
    current = CONTACTS.to_c4c(record, Links("2000001", None))
    definition = DEFINITIONS["ContactCollection"]
    fields = build_fields(definition, CONTACTS, current, ["LastName"], MANDATORY,
                          writable=True, linked=False)  # fmt: skip
    assert [(f.name, f.label, f.kind, f.required, f.value, f.error) for f in fields] == [
        ("FirstName", "First Name", "text", False, "Nolast", None),
        ("LastName", "Last Name", "text", True, "", MANDATORY),
        ("Email", "E-Mail", "email", False, "n@fabrikam.test", None),
    ]
    flagged_twice = build_fields(definition, CONTACTS, current, ["LastName", "Phone"], MANDATORY,
                                 writable=True, linked=False)  # fmt: skip
    assert [(f.name, f.error) for f in flagged_twice if f.error] == [
        ("LastName", MANDATORY),
        ("Phone", "SAP Cloud for Customer reports a problem with Phone: check it."),
    ]


def test_code_fields_carry_their_list_and_email_fields_are_read_only_but_what_is_required() -> None:
    account = build_fields(DEFINITIONS["CorporateAccountCollection"], MAPPINGS[ItemType.ACCOUNT],
                           {"Name": "Fabrikam", "CountryCode": "DE"}, [], None,
                           writable=True, linked=True)  # fmt: skip
    country = next(f for f in account if f.name == "CountryCode")
    assert (country.kind, country.max_length, ("DE", "Germany") in country.options) == (
        "code", 10, True,
    )  # fmt: skip
    record = EmailRecord(id="AAMk2", subject="Hi", sender="x@nowhere.test", body="Hello")
    email = build_fields(DEFINITIONS["EMailCollection"], EMAILS, EMAILS.to_c4c(record, Links()),
                         ["AccountID"], "No contact", writable=False, linked=False)  # fmt: skip
    assert [(f.name, f.read_only) for f in email] == [
        ("Subject", False), ("FromEmailURI", True), ("Text", True),
    ]  # fmt: skip
    link = related_link(ItemType.EMAIL, EMAILS, None, None, ["AccountID"], "No contact")
    assert (link.kind, link.required, link.error) == ("account_or_contact", True, "No contact")
    assert related_link(ItemType.TASK, TASKS, None, None, [], None) is None


def test_after_a_check_untouched_fields_keep_their_issue_message() -> None:
    fields = (
        FormField("LastName", "Last Name", "text", True, 40, (), "", MANDATORY),
        FormField("JobTitle", "Job Title", "text", False, 40, (), "Boss", "Too long"),
    )
    shown = with_input(fields, {"LastName": "x" * 41, "JobTitle": "Boss"},
                       {"LastName": "at most 40"}, keep_untouched=True)  # fmt: skip
    assert [(f.value, f.error) for f in shown] == [("x" * 41, "at most 40"), ("Boss", "Too long")]
    answered = with_input(fields, {"LastName": "Doe"}, {}, keep_untouched=False)
    assert [f.error for f in answered] == [None, None]


def test_a_form_shown_again_keeps_what_was_typed_but_not_into_read_only_fields() -> None:
    fields = (
        FormField("Subject", "Subject", "text", True, 255, (), "Hi", None),
        FormField("FromEmailURI", "From", "text", False, 255, (), "x@a.test", None, True),
    )
    form = SaveForm(1, ItemType.EMAIL, "EMailCollection", "Hi", None, fields, None, ())
    typed = with_values(form, {"Subject": "Hello", "FromEmailURI": "y@b.test", "Other": "z"})
    assert [f.value for f in typed.fields] == ["Hello", "x@a.test"]
    assert (typed.issue_id, typed.title) == (1, "Hi")


# -- what a submit changes ----------------------------------------------------------------------


def test_typed_values_reach_the_mailbox_record_through_the_mapping() -> None:
    record = ContactRecord(id="AAMk1", change_key="ck", categories=("VIP",), given_name="Nolast",
                           display_name="Nolast", department="Sales")  # fmt: skip
    shown = CONTACTS.to_c4c(record, Links())
    updated = updated_record(CONTACTS, record, shown, {"LastName": "Smith"})
    assert (updated.surname, updated.display_name, updated.department) == (
        "Smith", "Nolast Smith", "Sales",
    )  # fmt: skip
    assert (updated.id, updated.change_key, updated.categories) == ("AAMk1", "ck", ("VIP",))
    assert updated_record(CONTACTS, record, shown, {}) is record
    linked = updated_record(CONTACTS, record, shown, {}, {"AccountFormattedName": "Fabrikam"})
    assert linked.company == "Fabrikam"


def test_fields_the_person_did_not_touch_survive_a_lossy_round_trip() -> None:
    task = TaskRecord(id="AAMk3", subject="Call", status="Deferred", importance="High")
    renamed = updated_record(TASKS, task, TASKS.to_c4c(task, Links()), {"Subject": "Call back"})
    assert (renamed.subject, renamed.status) == ("Call back", "Deferred")
    assert renamed.importance == "High"


def test_what_goes_to_c4c() -> None:
    record = ContactRecord(id="AAMk1", given_name="Jane", surname="Old")
    values = c4c_values(CONTACTS, record, Links("2000001"), {"LastName": "Doe", "StatusCode": "2"})
    # Mapped fields come from the record (``updated_record`` already wrote what was typed);
    # values the mailbox has no place for go on top.
    assert (values["LastName"], values["AccountID"]) == ("Old", "2000001")
    assert values["StatusCode"] == "2"
    email = EmailRecord(id="AAMk2", subject="Hi", sender="x@nowhere.test")
    assert updated_record(EMAILS, email, {}, {"Subject": "Hello"}) is email
    sent = c4c_values(EMAILS, email, Links("2000001"), {"Subject": "Hello"})
    assert (sent["Subject"], sent["FromEmailURI"], sent["AccountID"]) == (
        "Hello", "x@nowhere.test", "2000001",
    )  # fmt: skip

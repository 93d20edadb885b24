"""The part of C4C's data model the emulator serves: entity sets, their fields and code lists.

One table drives everything: the ``$metadata`` document, the JSON shapes and the business rules
(required fields, maximum lengths, code values, which fields a client may write).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NAMESPACE = "c4codata"


@dataclass(frozen=True)
class Field:
    """One property of an entity type.

    ``required`` fields are ``Nullable="false"`` and must be filled on create; fields that are not
    ``creatable``/``updatable`` are computed by the server and refused in a payload.
    """

    name: str
    type: str = "Edm.String"
    max_length: int | None = None
    required: bool = False
    creatable: bool = True
    updatable: bool = True
    code_list: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    employee: bool = False
    """The value names an employee (``EmployeeID``); C4C refuses one it does not know."""

    def label(self, language: str) -> str:
        """The label in ``language``, English otherwise."""
        return self.labels.get(language) or self.labels.get("en") or self.name


@dataclass(frozen=True)
class Navigation:
    """A navigation: ``source_field`` of this entity equals ``target_field`` there; ``many``
    for a node's rows (an account's team), one entity otherwise."""

    name: str
    target_set: str
    source_field: str
    target_field: str
    many: bool = False


@dataclass(frozen=True)
class EntitySet:
    name: str
    type_name: str
    fields: tuple[Field, ...]
    id_field: str | None = None
    id_prefix: str = ""
    navigations: tuple[Navigation, ...] = ()
    read_only_set: bool = False
    parent_set: str | None = None
    """For a node of another object (an account's team member): the set its ``ParentObjectID``
    names an object of. Changing a node changes that object (its stamps move), as in C4C."""

    def field(self, name: str) -> Field | None:
        """The property called ``name``, if the type has one."""
        return next((item for item in self.fields if item.name == name), None)


def _label(en: str, de: str) -> dict[str, str]:
    return {"en": en, "de": de}


def _key() -> Field:
    return Field(
        "ObjectID", max_length=70, required=True, creatable=False, updatable=False,
        labels=_label("Object ID", "Objekt-ID"),
    )  # fmt: skip


def _server(name: str, en: str, de: str, type_: str = "Edm.String", length: int | None = None):
    return Field(name, type_, length, creatable=False, updatable=False, labels=_label(en, de))


def _text(name: str, length: int | None, en: str, de: str, *, required: bool = False) -> Field:
    return Field(name, max_length=length, required=required, labels=_label(en, de))


def _code(name: str, code_list: str, en: str, de: str) -> Field:
    return Field(name, max_length=10, code_list=code_list, labels=_label(en, de))


def _party(name: str, en: str, de: str) -> Field:
    return Field(name, max_length=20, employee=True, labels=_label(en, de))


def _parent() -> Field:
    return Field(
        "ParentObjectID", max_length=70, required=True, updatable=False,
        labels=_label("Parent Object ID", "Übergeordnete Objekt-ID"),
    )  # fmt: skip


def _node(set_name: str) -> Navigation:
    """The navigation from an object to the rows of one of its nodes."""
    return Navigation(
        set_name.removesuffix("Collection"), set_name, "ObjectID", "ParentObjectID", many=True
    )


def _when(name: str, en: str, de: str) -> Field:
    return Field(name, "Edm.DateTimeOffset", labels=_label(en, de))


def _stamps() -> tuple[Field, ...]:
    return (
        _server("CreationOn", "Created On", "Angelegt am", "Edm.DateTimeOffset"),
        _server("EntityLastChangedOn", "Changed On", "Geändert am", "Edm.DateTimeOffset"),
        _server("ETag", "ETag", "ETag", "Edm.DateTimeOffset"),
    )


_EXTERNAL = _text("ExternalID", 40, "External ID", "Externe ID")
_ACCOUNT = _text("AccountID", 10, "Account ID", "Account-ID")
_CONTACT = _text("PrimaryContactID", 10, "Primary Contact ID", "Hauptansprechpartner-ID")
_PRIORITY = _code("PriorityCode", "ActivityPriorityCodeCollection", "Priority", "Priorität")
_ACTIVITY_STATUS = _code(
    "LifeCycleStatusCode", "ActivityLifeCycleStatusCodeCollection", "Status", "Status"
)
_BODY = _text("Text", None, "Text", "Text")
ACCOUNT_TEAM = "CorporateAccountTeamCollection"
APPOINTMENT_PARTIES = "AppointmentInvolvedPartiesCollection"
_OWNER = _party("OwnerID", "Owner", "Verantwortlicher")
_ACTIVITY_OWNER = _party("OwnerPartyID", "Owner", "Verantwortlicher")

ENTITY_SETS: dict[str, EntitySet] = {
    entity_set.name: entity_set
    for entity_set in (
        EntitySet(
            "ContactCollection", "Contact",
            (
                _key(), _server("ContactID", "Contact ID", "Ansprechpartner-ID", length=10),
                _EXTERNAL, _text("FirstName", 40, "First Name", "Vorname"),
                _text("LastName", 40, "Last Name", "Nachname", required=True), _ACCOUNT,
                _server("AccountFormattedName", "Account", "Account", length=80),
                _text("JobTitle", 40, "Job Title", "Position"),
                _text("Email", 255, "E-Mail", "E-Mail"), _text("Phone", 40, "Phone", "Telefon"),
                _text("Mobile", 40, "Mobile", "Mobiltelefon"),
                _code("StatusCode", "ContactStatusCodeCollection", "Status", "Status"), _OWNER,
                *_stamps(),
            ),
            id_field="ContactID", id_prefix="1",
            navigations=(
                Navigation("CorporateAccount", "CorporateAccountCollection", "AccountID",
                           "AccountID"),
            ),
        ),
        EntitySet(
            "CorporateAccountCollection", "CorporateAccount",
            (
                _key(), _server("AccountID", "Account ID", "Account-ID", length=10), _EXTERNAL,
                _text("Name", 40, "Name", "Name", required=True),
                _text("Email", 255, "E-Mail", "E-Mail"), _text("Phone", 40, "Phone", "Telefon"),
                _text("WebSite", 255, "Web Site", "Website"),
                _text("Street", 60, "Street", "Straße"),
                _text("StreetPostalCode", 10, "Postal Code", "Postleitzahl"),
                _text("City", 40, "City", "Ort"),
                _code("CountryCode", "CountryCodeCollection", "Country", "Land"),
                _code("LifeCycleStatusCode", "CorporateAccountLifeCycleStatusCodeCollection",
                      "Status", "Status"),
                _OWNER, *_stamps(),
            ),
            id_field="AccountID", id_prefix="2",
            navigations=(_node(ACCOUNT_TEAM),),
        ),
        EntitySet(
            ACCOUNT_TEAM, "CorporateAccountTeam",
            (
                _key(), _parent(), _server("AccountID", "Account ID", "Account-ID", length=10),
                Field("EmployeeID", max_length=20, required=True, employee=True,
                      labels=_label("Employee ID", "Mitarbeiter-ID")),
                _text("PartyRoleCode", 10, "Party Role", "Rolle", required=True),
                Field("MainIndicator", "Edm.Boolean", labels=_label("Main", "Haupt")),
                _server("ETag", "Entity Tag", "Entity-Tag", "Edm.DateTimeOffset"),
            ),
            parent_set="CorporateAccountCollection",
        ),
        EntitySet(
            "IndividualCustomerCollection", "IndividualCustomer",
            (
                _key(), _server("CustomerID", "Customer ID", "Kunden-ID", length=10), _EXTERNAL,
                _text("FirstName", 40, "First Name", "Vorname"),
                _text("LastName", 40, "Last Name", "Nachname", required=True),
                _text("Email", 255, "E-Mail", "E-Mail"), _text("Phone", 40, "Phone", "Telefon"),
                _text("Mobile", 40, "Mobile", "Mobiltelefon"), _text("City", 40, "City", "Ort"),
                _code("CountryCode", "CountryCodeCollection", "Country", "Land"), *_stamps(),
            ),
            id_field="CustomerID", id_prefix="3",
        ),
        EntitySet(
            "TasksCollection", "Tasks",
            (
                _key(), _server("ID", "Task ID", "Aufgaben-ID", length=35), _EXTERNAL,
                _text("Subject", 255, "Subject", "Betreff", required=True),
                _when("StartDateTime", "Start Date", "Startdatum"),
                _when("DueDateTime", "Due Date", "Fälligkeitsdatum"),
                _ACTIVITY_STATUS, _PRIORITY, _ACCOUNT, _CONTACT, _BODY, _ACTIVITY_OWNER,
                _party("ProcessorPartyID", "Processor", "Bearbeiter"), *_stamps(),
            ),
            id_field="ID", id_prefix="4",
        ),
        EntitySet(
            "AppointmentCollection", "Appointment",
            (
                _key(), _server("ID", "Appointment ID", "Termin-ID", length=35), _EXTERNAL,
                _text("Subject", 255, "Subject", "Betreff", required=True),
                _when("StartDateTime", "Start Date/Time", "Beginn"),
                _when("EndDateTime", "End Date/Time", "Ende"),
                Field("AllDayEvent", "Edm.Boolean", labels=_label("All Day", "Ganztägig")),
                _text("LocationName", 100, "Location", "Ort"),
                _ACTIVITY_STATUS, _PRIORITY, _ACCOUNT, _CONTACT, _BODY, _ACTIVITY_OWNER,
                *_stamps(),
            ),
            id_field="ID", id_prefix="5",
            navigations=(_node(APPOINTMENT_PARTIES),),
        ),
        EntitySet(
            APPOINTMENT_PARTIES, "AppointmentInvolvedParties",
            (
                _key(), _parent(), _text("PartyID", 20, "Party ID", "Partner-ID", required=True),
                _text("PartyTypeCode", 15, "Party Type", "Partnertyp"),
                _text("RoleCode", 10, "Role", "Rolle", required=True),
                _server("PartyName", "Party Name", "Partnername", length=480),
                _server("EMail", "E-Mail", "E-Mail", length=255),
                _server("ETag", "Entity Tag", "Entity-Tag", "Edm.DateTimeOffset"),
            ),
            parent_set="AppointmentCollection",
        ),
        EntitySet(
            "EMailCollection", "EMail",
            (
                _key(), _server("ID", "E-Mail ID", "E-Mail-ID", length=35), _EXTERNAL,
                _text("Subject", 255, "Subject", "Betreff", required=True),
                _text("MessageID", 255, "Message ID", "Nachrichten-ID"),
                _text("FromEmailURI", 255, "From", "Von"),
                _text("ToEmailURIs", 1000, "To", "An"), _text("CcEmailURIs", 1000, "Cc", "Cc"),
                _when("SentOn", "Sent On", "Gesendet am"),
                _PRIORITY, _ACCOUNT, _CONTACT, _BODY, *_stamps(),
            ),
            id_field="ID", id_prefix="6",
        ),
        EntitySet(
            "EmployeeCollection", "Employee",
            (
                _key(), _server("EmployeeID", "Employee ID", "Mitarbeiter-ID", length=20),
                _text("FirstName", 40, "First Name", "Vorname"),
                _text("LastName", 40, "Last Name", "Nachname", required=True),
                _text("Email", 255, "E-Mail", "E-Mail"), _text("UserID", 40, "User", "Benutzer"),
                Field("UserLockedIndicator", "Edm.Boolean",
                      labels=_label("User Locked", "Benutzer gesperrt")),
                *_stamps(),
            ),
            id_field="EmployeeID", id_prefix="8",
        ),
    )
}  # fmt: skip

CODE_LISTS: dict[str, dict[str, str]] = {
    "ContactStatusCodeCollection": {"1": "Preparation", "2": "Active", "3": "Obsolete"},
    "CorporateAccountLifeCycleStatusCodeCollection": {
        "1": "In Preparation", "2": "Active", "3": "Blocked", "4": "Obsolete",
    },
    "ActivityLifeCycleStatusCodeCollection": {
        "1": "Open", "2": "In Process", "3": "Completed", "4": "Canceled",
    },
    "ActivityPriorityCodeCollection": {"1": "Immediate", "2": "Urgent", "3": "Normal", "7": "Low"},
    "CountryCodeCollection": {
        "AT": "Austria", "CH": "Switzerland", "DE": "Germany", "ES": "Spain", "FR": "France",
        "GB": "United Kingdom", "IT": "Italy", "NL": "Netherlands", "US": "United States",
    },
}  # fmt: skip

CODE_FIELDS = (Field("Code", max_length=10, required=True), Field("Description", max_length=80))

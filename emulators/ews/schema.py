"""What the emulator knows of the EWS types schema: item kinds, element order, field URIs.

Responses list an item's elements in schema order (``t:ItemType`` first, then the kind's own);
requests name fields by URI (``item:Subject``, ``contacts:EmailAddress`` with an index), which
map to the element that holds the value.
"""

from __future__ import annotations

ITEM_FIELDS = [
    "MimeContent",
    "ItemId",
    "ParentFolderId",
    "ItemClass",
    "Subject",
    "Sensitivity",
    "TextBody",
    "Body",
    "Attachments",
    "DateTimeReceived",
    "Size",
    "Categories",
    "Importance",
    "InReplyTo",
    "IsSubmitted",
    "IsDraft",
    "IsFromMe",
    "IsResend",
    "IsUnmodified",
    "InternetMessageHeaders",
    "DateTimeSent",
    "DateTimeCreated",
    "ResponseObjects",
    "ReminderDueBy",
    "ReminderIsSet",
    "ReminderMinutesBeforeStart",
    "DisplayCc",
    "DisplayTo",
    "HasAttachments",
    "Culture",
    "EffectiveRights",
    "LastModifiedName",
    "LastModifiedTime",
    "IsAssociated",
    "WebClientReadFormQueryString",
    "WebClientEditFormQueryString",
    "ConversationId",
    "UniqueBody",
]

KIND_FIELDS = {
    "Message": [
        "Sender",
        "ToRecipients",
        "CcRecipients",
        "BccRecipients",
        "IsReadReceiptRequested",
        "IsDeliveryReceiptRequested",
        "ConversationIndex",
        "ConversationTopic",
        "From",
        "InternetMessageId",
        "IsRead",
        "IsResponseRequested",
        "References",
        "ReplyTo",
        "ReceivedBy",
        "ReceivedRepresenting",
        "ReminderMessageData",
    ],
    "CalendarItem": [
        "UID",
        "RecurrenceId",
        "Start",
        "End",
        "OriginalStart",
        "IsAllDayEvent",
        "LegacyFreeBusyStatus",
        "Location",
        "When",
        "IsMeeting",
        "IsCancelled",
        "IsRecurring",
        "MeetingRequestWasSent",
        "IsResponseRequested",
        "CalendarItemType",
        "MyResponseType",
        "Organizer",
        "RequiredAttendees",
        "OptionalAttendees",
        "Resources",
        "ConflictingMeetingCount",
        "AdjacentMeetingCount",
        "ConflictingMeetings",
        "AdjacentMeetings",
        "Duration",
        "AppointmentReplyTime",
        "AppointmentSequenceNumber",
        "AppointmentState",
        "Recurrence",
        "FirstOccurrence",
        "LastOccurrence",
        "ModifiedOccurrences",
        "DeletedOccurrences",
        "StartTimeZone",
        "EndTimeZone",
        "ConferenceType",
        "AllowNewTimeProposal",
        "IsOnlineMeeting",
        "MeetingWorkspaceUrl",
        "NetShowUrl",
    ],
    "Contact": [
        "FileAs",
        "FileAsMapping",
        "DisplayName",
        "GivenName",
        "Initials",
        "MiddleName",
        "Nickname",
        "CompleteName",
        "CompanyName",
        "EmailAddresses",
        "PhysicalAddresses",
        "PhoneNumbers",
        "AssistantName",
        "Birthday",
        "BusinessHomePage",
        "Children",
        "Companies",
        "ContactSource",
        "Department",
        "Generation",
        "ImAddresses",
        "JobTitle",
        "Manager",
        "Mileage",
        "OfficeLocation",
        "PostalAddressIndex",
        "Profession",
        "SpouseName",
        "Surname",
        "WeddingAnniversary",
        "HasPicture",
        "PhoneticFullName",
        "PhoneticFirstName",
        "PhoneticLastName",
        "Alias",
        "Notes",
        "Photo",
        "UserSMIMECertificate",
        "MSExchangeCertificate",
        "DirectoryId",
        "ManagerMailbox",
        "DirectReports",
    ],
    "Task": [
        "ActualWork",
        "AssignedTime",
        "BillingInformation",
        "ChangeCount",
        "Companies",
        "CompleteDate",
        "Contacts",
        "DelegationState",
        "Delegator",
        "DueDate",
        "IsAssignmentEditable",
        "IsComplete",
        "IsRecurring",
        "IsTeamTask",
        "Mileage",
        "Owner",
        "PercentComplete",
        "Recurrence",
        "StartDate",
        "Status",
        "StatusDescription",
        "TotalWork",
    ],
}

ITEM_CLASSES = {
    "Message": "IPM.Note",
    "CalendarItem": "IPM.Appointment",
    "Contact": "IPM.Contact",
    "Task": "IPM.Task",
}

ORDER = {
    kind: {name: i for i, name in enumerate(ITEM_FIELDS + fields)}
    for kind, fields in KIND_FIELDS.items()
}

INDEXED_CONTAINERS = {
    "EmailAddress": "EmailAddresses",
    "PhysicalAddress": "PhysicalAddresses",
    "PhoneNumber": "PhoneNumbers",
    "ImAddress": "ImAddresses",
}
"""Indexed field URIs (``contacts:PhoneNumber`` + ``FieldIndex``) and the element holding them."""

SERVER_FIELDS = frozenset(
    [
        "ItemId",
        "ParentFolderId",
        "DateTimeCreated",
        "LastModifiedTime",
        "Size",
        "HasAttachments",
        "DisplayTo",
        "DisplayCc",
        "ConversationId",
        "ConversationTopic",
        "Organizer",
        "MyResponseType",
        "IsMeeting",
        "CalendarItemType",
    ]
)
"""Elements the server computes; a client may not set them (``ErrorInvalidPropertySet``)."""

COMPUTED_FIELDS = {
    "Message": (
        "DateTimeReceived",
        "DisplayTo",
        "DisplayCc",
        "ConversationId",
        "ConversationTopic",
    ),
    "CalendarItem": ("IsMeeting", "CalendarItemType"),
    "Contact": ("FileAs",),
    "Task": (),
}
"""Per kind, the elements the server derives from others when it keeps none of its own."""

BOOLEAN_FIELDS = frozenset(
    [
        "IsSubmitted",
        "IsDraft",
        "IsFromMe",
        "IsResend",
        "IsUnmodified",
        "ReminderIsSet",
        "HasAttachments",
        "IsAssociated",
        "IsReadReceiptRequested",
        "IsDeliveryReceiptRequested",
        "IsRead",
        "IsResponseRequested",
        "IsAllDayEvent",
        "IsMeeting",
        "IsCancelled",
        "IsRecurring",
        "MeetingRequestWasSent",
        "AllowNewTimeProposal",
        "IsOnlineMeeting",
        "HasPicture",
        "IsComplete",
        "IsTeamTask",
        "IsAssignmentEditable",
    ]
)
"""``xs:boolean`` elements: a client may send ``1``/``0``, Exchange answers ``true``/``false``."""

STREAMED_FIELDS = frozenset(["Body", "TextBody", "UniqueBody", "MimeContent", "Attachments"])
"""Elements FindItem and SyncFolderItems never return (GetItem does)."""

MULTI_VALUED = frozenset(["Categories", "Companies", "Contacts", "Children"])

DATETIME_FIELDS = frozenset(
    [
        "DateTimeReceived",
        "DateTimeSent",
        "DateTimeCreated",
        "LastModifiedTime",
        "Start",
        "End",
        "ReminderDueBy",
        "CompleteDate",
        "AssignedTime",
    ]
)


def element_for_uri(uri: str) -> tuple[str, str | None]:
    """The element holding field ``uri`` and, for indexed sub-fields, the leaf element name.

    ``item:Subject`` gives ``("Subject", None)``; ``contacts:PhysicalAddress:City`` gives
    ``("PhysicalAddresses", "City")``; ``contacts:EmailAddress`` gives ``("EmailAddresses", None)``.
    """
    parts = uri.split(":")
    if len(parts) < 2:
        return uri, None
    name = parts[1]
    leaf = parts[2] if len(parts) > 2 else None
    return INDEXED_CONTAINERS.get(name, name), leaf


FOLDER_ELEMENTS = {
    "IPF.Note": "Folder",
    "IPF.Contact": "ContactsFolder",
    "IPF.Appointment": "CalendarFolder",
    "IPF.Task": "TasksFolder",
}

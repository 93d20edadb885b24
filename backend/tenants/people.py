"""The people of a tenant: adding, importing and removing users by one set of rules, for the
admin panel and the operator's commands alike.

A user is added with an address of one of the tenant's e-mail domains, once: an address
already used in this tenant, or by another company, is refused with the reason (without naming
the other company). A CSV import is checked line by line first and applied only when every line
is fine, so a file with one bad line changes nothing. Removing a user deletes their mailbox
credentials and ends their sessions at once; the user, their issues and the audit stay (the
user marked removed) until the retention ends, and adding the address again brings them back.

What a refusal says is in the reader's language when a page asks (English on the command line).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth import addin_tokens
from backend.auth.credentials import store_mailbox_credentials
from backend.auth.crypto import TokenCipher
from backend.models import Mailbox, Tenant, User
from backend.models.audit import record_audit
from backend.models.mailbox import Provider
from backend.models.types import MailSystem
from backend.models.user import Role
from backend.storage.db import utcnow
from backend.sync import status
from backend.tenants.onboarding import PROVIDER_OF, add_user
from backend.text import N_

MAX_LINES = 5000
"""The most people one CSV file adds (a bigger company imports in parts)."""
COLUMNS = ("email", "name", "role", "mail_system")
REQUIRED_COLUMNS = ("email", "name")
EMAIL = re.compile(r"^[^@\s,;<>\"]{1,64}@([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")
ROLES = {"user": Role.USER, "key user": Role.KEY_USER, "key_user": Role.KEY_USER,
         "key-user": Role.KEY_USER}  # fmt: skip


def system_name(system: MailSystem) -> str:
    """``exchange-server``, ``exchange-online``, ``gmail``: as the commands and the CSV name it."""
    return system.value.lower().replace("_", "-")


MAIL_SYSTEMS = {system_name(system): system for system in MailSystem}


@dataclass(frozen=True)
class Person:
    """A user to add: their address, name, role, and mail system when not the tenant's."""

    email: str
    name: str
    role: Role = Role.USER
    mail_system: MailSystem | None = None


@dataclass(frozen=True)
class Unfit:
    """Words that make no person: the address as typed and what is wrong."""

    email: str
    problem: str


@dataclass(frozen=True)
class Verdict:
    """What the rules say of one line: fine, or its problem in plain words."""

    line: int
    """The line of the file (the header is line 1); 0 for one person added by hand."""
    email: str
    problem: str = ""

    @property
    def fine(self) -> bool:
        return not self.problem


class Refused(Exception):
    """Nothing was added: at least one line breaks a rule (each verdict says which)."""

    def __init__(self, verdicts: Sequence[Verdict]) -> None:
        self.verdicts = list(verdicts)
        wrong = [verdict for verdict in self.verdicts if not verdict.fine]
        super().__init__("; ".join(said(verdict) for verdict in wrong))


def said(verdict: Verdict) -> str:
    """The verdict in one line: ``line 3: ben@contoso.test: already a user``."""
    email = verdict.email or gettext("(no address)")
    if verdict.line:
        return gettext("line %(line)d: %(email)s: %(problem)s", line=verdict.line, email=email,
                       problem=verdict.problem)  # fmt: skip
    return f"{email}: {verdict.problem}"


def person(email: str, name: str, role: str = "user", mail_system: str = "") -> Person | Unfit:
    """A person from the words a key user or an operator typed, or what is wrong with them."""
    email = (email or "").strip().lower()
    problem = _words_problem(email, " ".join((name or "").split()), role, mail_system)
    if problem:
        return Unfit(email if len(email) <= 320 else email[:320] + "...", problem)
    found_role = ROLES[" ".join((role or "user").strip().lower().split())]
    system = MAIL_SYSTEMS.get((mail_system or "").strip().lower())
    return Person(email, " ".join(name.split()), found_role, system)


def _words_problem(email: str, name: str, role: str, mail_system: str) -> str:
    if not email:
        return gettext("the e-mail address is missing")
    if not EMAIL.match(email) or len(email) > 320:
        return gettext("not an e-mail address")
    if not name:
        return gettext("the name is missing")
    if len(name) > 200:
        return gettext("the name is longer than 200 characters")
    if " ".join((role or "user").strip().lower().split()) not in ROLES:
        return gettext("the role %(role)s is neither 'user' nor 'key user'",
                       role=repr(role.strip()))  # fmt: skip
    system = (mail_system or "").strip().lower()
    if system and system not in MAIL_SYSTEMS:
        return gettext("the mail system %(system)s is not one of %(systems)s",
                       system=repr(system), systems=", ".join(MAIL_SYSTEMS))  # fmt: skip
    return ""


def read_csv(text: str) -> list[tuple[int, Person | Unfit]]:
    """The lines of a CSV file (header ``email,name[,role][,mail_system]``), each a person or
    what is wrong with the line.

    Raises:
        Refused: the file as a whole cannot be read (no header, unknown columns, too long).
    """
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [column.strip().lower() for column in next(rows, [])]
    unknown = [column for column in header if column not in COLUMNS]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if unknown or missing or len(set(header)) != len(header):
        problem = gettext(
            "the first line names the columns: %(columns)s (email and name are needed, each once)",
            columns=", ".join(COLUMNS),
        )
        raise Refused([Verdict(1, "", problem)])
    found: list[tuple[int, Person | Unfit]] = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(found) == MAX_LINES:
            problem = gettext("a file adds at most %(num)d people", num=MAX_LINES)
            raise Refused([Verdict(number, "", problem)])
        if len(row) != len(header):
            problem = gettext("%(values)d values where the header names %(columns)d",
                              values=len(row), columns=len(header))  # fmt: skip
            found.append((number, Unfit("", problem)))
            continue
        values = dict(zip(header, row, strict=True))
        found.append((number, person(**values)))
    return found


def check(
    session: Session, tenant: Tenant, lines: Iterable[tuple[int, Person | str]]
) -> list[Verdict]:
    """The verdict of each line: its own problem, or the tenant's rules for the person."""
    verdicts: list[Verdict] = []
    lines = list(lines)
    addresses = [found.email for _line, found in lines if isinstance(found, Person)]
    existing = {
        user.email: user for user in session.scalars(select(User).where(User.email.in_(addresses)))
    }
    seen: dict[str, int] = {}
    for line, found in lines:
        if isinstance(found, Unfit):
            verdicts.append(Verdict(line, found.email, found.problem))
            continue
        verdicts.append(Verdict(line, found.email, _problem(found, tenant, existing, seen, line)))
        seen.setdefault(found.email, line)
    return verdicts


def _problem(
    found: Person, tenant: Tenant, existing: dict[str, User], seen: dict[str, int], line: int
) -> str:
    config = tenant.config
    if found.email in seen:
        if seen[found.email]:
            return gettext("the same address is also on line %(line)d", line=seen[found.email])
        return gettext("the same address is also on this list")
    if not config.owns_address(found.email):
        domains = ", ".join(config.email_domains) or gettext("none yet: set them in the settings")
        return gettext("not an address of the company's domains (%(domains)s)", domains=domains)
    user = existing.get(found.email)
    if user is not None and user.tenant_id != tenant.id:
        return gettext("this address belongs to a user of another company")
    if user is not None and user.removed_at is None:
        return gettext("already a user")
    return ""


def add_people(
    session: Session,
    tenant: Tenant,
    lines: Sequence[tuple[int, Person | Unfit]],
    *,
    actor: User | str,
    cipher: TokenCipher,
) -> list[User]:
    """Add every person of ``lines`` (all or none), each audited; the caller commits.

    Raises:
        Refused: a line breaks a rule; nothing was added.
    """
    verdicts = check(session, tenant, lines)
    if not verdicts or any(not verdict.fine for verdict in verdicts):
        raise Refused(verdicts or [Verdict(0, "", gettext("the list names nobody"))])
    added = []
    for _line, found in lines:
        assert isinstance(found, Person)
        added.append(_add(session, tenant, found, actor=actor, cipher=cipher))
    return added


def _add(session: Session, tenant: Tenant, found: Person, *, actor: User | str, cipher) -> User:
    provider = PROVIDER_OF[found.mail_system or tenant.mail_system]
    user = session.scalars(select(User).where(User.email == found.email)).one_or_none()
    if user is not None:
        user.removed_at, user.name, user.role = None, found.name, found.role
        mailbox = session.scalars(select(Mailbox).where(Mailbox.user_id == user.id)).one()
        mailbox.provider = provider
        action = "user.restore"
    else:
        user = add_user(
            session, tenant, email=found.email, name=found.name, cipher=cipher,
            role=found.role, provider=provider,
        )  # fmt: skip
        mailbox = session.scalars(select(Mailbox).where(Mailbox.user_id == user.id)).one()
        action = "user.add"
    _await_connection(tenant, mailbox)
    record_audit(
        session, tenant_id=tenant.id, actor=actor, action=action, target_type="user",
        target_id=str(user.id),
        details={"email": user.email, "role": str(user.role), "provider": str(provider)},
    )  # fmt: skip
    return user


def _await_connection(tenant: Tenant, mailbox: Mailbox) -> None:
    """A new mailbox syncs once its user connects it, or at once where the company's own grant
    opens every mailbox (Exchange Online with application permissions)."""
    status.await_connection(mailbox)
    if mailbox.provider is Provider.GRAPH and tenant.config.graph_app_tenant_id:
        status.reactivate(mailbox, utcnow())


def remove_person(
    session: Session, tenant: Tenant, user: User, *, actor: User | str, cipher: TokenCipher
) -> None:
    """Remove ``user``: credentials deleted and sessions ended now, no more syncs; the caller
    commits.

    Raises:
        Refused: the user is of another tenant, already removed, or the actor themself.
    """
    problem = ""
    if user.tenant_id != tenant.id:
        problem = gettext("not a user of this company")
    elif user.removed_at is not None:
        problem = gettext("already removed")
    elif isinstance(actor, User) and actor.id == user.id:
        problem = gettext("key users cannot remove themselves")
    if problem:
        raise Refused([Verdict(0, user.email, problem)])
    user.removed_at = utcnow()
    user.end_sessions()
    addin_tokens.revoke_all(session, user.id)
    for mailbox in session.scalars(select(Mailbox).where(Mailbox.user_id == user.id)):
        store_mailbox_credentials(mailbox, None, cipher)
        status.disable(mailbox, N_("The user was removed"))
    record_audit(
        session, tenant_id=tenant.id, actor=actor, action="user.remove", target_type="user",
        target_id=str(user.id), details={"email": user.email},
    )  # fmt: skip

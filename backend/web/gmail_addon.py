"""The Gmail add-on's endpoints (``/gmail-addon/``): Google posts an event object, we answer cards.

- ``POST /gmail-addon/home``: the homepage trigger, the user's sync status and open issues;
- ``POST /gmail-addon/message``: the contextual trigger of an open message, its sync state;
- ``POST /gmail-addon/action``: every button. ``parameters.action`` names a handler of
  :data:`HANDLERS` (nothing else is called) and ``parameters.state`` carries the card's state,
  signed and bound to the user and to that handler, so a button cannot be replayed by someone
  else, pointed at another handler or altered. A card older than an hour gets the home card.

Each request is verified first (:mod:`backend.gmail_addon.verify`): Google's system ID token for
this endpoint's public URL, from the header, before the body is read; then the user's ID token
in the body, whose e-mail must be one of our users. A request that fails answers 401 with no
data; a body that is not a JSON object, 400. Anything else Gmail could not show as a card (an
unknown button, too many requests, an issue that is gone) answers 200 with a notification, so
the person reads a sentence rather than Gmail's generic error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import parse as parse_limit
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from backend import i18n, presenters, savedialog
from backend.actions import mailbox as mailbox_actions
from backend.addin import item_status as addin
from backend.auth.signin import SignedInUser
from backend.extensions import db_session, resources
from backend.gmail_addon import events, screens
from backend.gmail_addon.cards import Action, Json, notify, push, update
from backend.gmail_addon.verify import Refused, verify_system, verify_user
from backend.models import Issue, Mailbox, User
from backend.models.mailbox import Provider
from backend.models.types import ItemType
from backend.sync import issues as issue_service
from backend.sync import warnings as sync_warnings
from backend.text import N_
from backend.web.access import visible_issue_or_404
from backend.web.request_limits import count_refusals_per_address
from backend.web.security import csrf, limiter

log = logging.getLogger(__name__)

gmail_addon = Blueprint("gmail_addon", __name__, url_prefix="/gmail-addon")
csrf.exempt(gmail_addon)

STATE_SALT = "gmail-addon-card-state"
STATE_SECONDS = 3600
"""A card's buttons work for an hour; then the user opens the add-on again."""
HOME_ISSUES = 20
UNAVAILABLE = N_(
    "SAP or your mailbox cannot be reached now. What you typed is kept: try again soon."
)
TOO_MANY = N_("Too many clicks in a short time. Wait a minute, then try again.")
GONE = N_(
    "That issue is no longer there (resolved, or not one of yours). Here are your open issues."
)
UNKNOWN_BUTTON = N_("That button is out of date. Here are your open issues.")


class Unauthorised(Exception):
    pass


@dataclass(frozen=True)
class Call:
    """One verified request: the event, our user and their mailbox, the card state."""

    event: dict[str, Any]
    user: User
    mailbox: Mailbox
    state: dict[str, Any]

    def inputs(self) -> dict[str, str]:
        """The card's form values, as the Save dialog's text."""
        return events.form_values(self.event)

    def time(self) -> screens.UserTime:
        """The user's time zone."""
        return events.user_time(self.event)


@gmail_addon.errorhandler(Unauthorised)
def _unauthorised(_error: Unauthorised) -> tuple[Response, int]:
    return Response(status=401), 401  # type: ignore[return-value]


@gmail_addon.errorhandler(429)
def _too_many(_error: HTTPException) -> Response:
    """A person Google vouches for reads a sentence; anyone else is turned away with no data."""
    if not g.get("from_google", False):
        return Response(status=429)
    return jsonify(notify(_(TOO_MANY)))


@gmail_addon.errorhandler(404)
def _gone(_error: HTTPException) -> Response:
    call = g.get("gmail_call")
    if call is None:
        return jsonify(notify(_(GONE)))
    return jsonify(update(_home_card(call), _(GONE)))


def _public_url(path: str) -> str:
    return resources().settings.public_base_url + path


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(resources().settings.secret_key, salt=STATE_SALT)


def _action_for(call_user: User, message_id: str | None) -> Callable[..., Action]:
    def action_for(name: str, **state: Any) -> Action:
        signed = _serializer().dumps({"u": call_user.id, "m": message_id, "a": name, **state})
        return Action(_public_url("/gmail-addon/action"), {"action": name, "state": signed})

    return action_for


def _not_from_google(_answer: Response) -> bool:
    return not g.get("from_google", False)


# Every call comes from Google's servers: what counts per address before the tokens are checked
# is only the refusals of callers that are not Google. Each user has a budget once Google
# vouches for them (``_count_for``).
count_refusals_per_address(gmail_addon, _not_from_google)


@gmail_addon.before_request
def _verify() -> None:
    settings = resources().settings
    try:
        verify_system(request.headers.get("Authorization", ""), _public_url(request.path),
                      settings)  # fmt: skip
    except Refused as refused:
        log.info("Gmail add-on request refused: %s", refused)
        raise Unauthorised from None
    g.from_google = True
    event = request.get_json()
    if not isinstance(event, dict):
        abort(400)
    i18n.follow_client(events.user_locale(event), events.user_zone(event))
    try:
        caller = verify_user(event, settings)
    except Refused as refused:
        log.info("Gmail add-on request refused: %s", refused)
        raise Unauthorised from None
    session = db_session()
    user = session.scalars(
        select(User).where(User.email == caller.email, User.removed_at.is_(None))
    ).one_or_none()
    mailbox = (
        session.scalars(select(Mailbox).where(Mailbox.user_id == user.id)).one_or_none()
        if user is not None
        else None
    )
    if user is None or mailbox is None:
        log.info("Gmail add-on request of %s, who has no mailbox here", caller.email)
        raise Unauthorised
    _count_for(user)
    addin.record_use(session, user)
    g.gmail_call = Call(event, user, mailbox, {})
    # Tenant-scoped lookups (``backend.web.access``) read flask-login's user: this one.
    g._login_user = SignedInUser(user)


def _count_for(user: User) -> None:
    """The verified user's own budget: Google may send a fresh user ID token on every call."""
    per_minute = parse_limit(f"{resources().settings.rate_limit_per_minute} per minute")
    try:
        allowed = limiter.limiter.hit(per_minute, "gmail-addon-user", str(user.id))
    except Exception:  # the limiter's store is down: as the other limits, let it through
        log.warning("rate limit store unavailable", exc_info=True)
        return
    if not allowed:
        abort(429)


def _call() -> Call:
    return g.gmail_call


def _message_id(call: Call) -> str | None:
    found = (call.event.get("gmail") or {}).get("messageId")
    return found if isinstance(found, str) and found else None


def _stopped(call: Call) -> Json | None:
    if screens.stopped_mailbox(call.mailbox):
        return push(screens.reactivation(call.mailbox, _public_url("/reactivate/")))
    return None


@gmail_addon.post("/home")
def home() -> Response:
    call = _call()
    return jsonify(_stopped(call) or push(_home_card(call)))


def _home_card(call: Call) -> Any:
    issues = issue_service.open_issues(db_session(), call.mailbox.id)
    actionable = [issue for issue in issues if not issue.informational]
    warned = presenters.warning_views(
        sync_warnings.open_for(db_session(), call.mailbox.tenant_id, call.mailbox.id),
        resources().settings.public_base_url,
    )
    return screens.home(call.mailbox, actionable[:HOME_ISSUES], len(actionable),
                        _action_for(call.user, None), _public_url("/"), call.time(),
                        warned)  # fmt: skip


@gmail_addon.post("/message")
def message() -> Response:
    call, message_id = _call(), _message_id(_call())
    stopped = _stopped(call)
    if stopped:
        return jsonify(stopped)
    if message_id is None:
        return jsonify(push(_home_card(call)))
    if call.mailbox.provider is not Provider.GMAIL:
        return jsonify(push(screens.elsewhere(call.mailbox)))
    found = addin.item_status(db_session(), call.mailbox, ItemType.EMAIL, message_id)
    return jsonify(push(screens.message(found, _action_for(call.user, message_id))))


# -- buttons ---------------------------------------------------------------------------------

Handler = Callable[[Call], Json]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function

    return register


@gmail_addon.post("/action")
def action() -> Response:
    call = _call()
    parameters = (call.event.get("commonEventObject") or {}).get("parameters") or {}
    name, signed = parameters.get("action"), parameters.get("state")
    if not isinstance(signed, str):
        raise Unauthorised
    try:
        state = _serializer().loads(signed, max_age=STATE_SECONDS)
    except SignatureExpired:
        return jsonify(
            update(_home_card(call), _("That card was out of date: here is the latest."))
        )
    except BadSignature:
        raise Unauthorised from None
    if not isinstance(state, dict) or state.get("u") != call.user.id:
        raise Unauthorised
    chosen = HANDLERS.get(name) if isinstance(name, str) and name == state.get("a") else None
    if chosen is None:
        return jsonify(update(_home_card(call), _(UNKNOWN_BUTTON)))
    return jsonify(chosen(Call(call.event, call.user, call.mailbox, state)))


def _issue(call: Call) -> Issue:
    found = call.state.get("issue")
    return visible_issue_or_404(found if isinstance(found, int) else 0)


def _actions(call: Call) -> Callable[..., Action]:
    return _action_for(call.user, call.state.get("m"))


@handler("home")
def _go_home(call: Call) -> Json:
    return update(_home_card(call))


@handler("issue")
def _show_issue(call: Call) -> Json:
    return update(screens.issue_card(_issue(call), _actions(call)))


def _refused(call: Call, error: savedialog.SaveDialogError) -> Json:
    """A Save dialog that cannot go on: an issue fixed meanwhile shows the open issues."""
    if error.code is savedialog.DialogErrorCode.ALREADY_FIXED:
        return update(_home_card(call), error.message)
    return notify(error.message)


@handler("form")
def _open_form(call: Call) -> Json:
    try:
        form = savedialog.open_form(db_session(), resources(), _issue(call), viewer=call.user)
    except savedialog.SaveDialogError as error:
        return _refused(call, error)
    return update(screens.form(form, _actions(call), call.time()))


@handler("search")
def _search(call: Call) -> Json:
    issue, inputs = _issue(call), call.inputs()
    query = inputs.get(screens.RELATED_QUERY, "").strip()
    try:
        form = savedialog.with_values(
            savedialog.open_form(db_session(), resources(), issue, viewer=call.user), inputs
        )
        found = (
            savedialog.search_related(db_session(), resources(), issue, query, viewer=call.user)
            if query
            else []
        )
    except savedialog.SaveDialogError as error:
        return _refused(call, error)
    notice = _("Type a name to search for.") if not query else None
    notice = notice or (None if found else _("Nothing found in SAP by that name."))
    return update(screens.form(form, _actions(call), call.time(), found, query), notice)


@handler("save")
def _save(call: Call) -> Json:
    issue, inputs = _issue(call), call.inputs()
    linked = call.state.get("related")
    related_id = inputs.pop(screens.RELATED_CHOICE, None) or (
        linked if isinstance(linked, str) else None
    )
    inputs.pop(screens.RELATED_QUERY, None)
    try:
        result = savedialog.submit(
            db_session(), resources(), issue, inputs, call.user, related_id=related_id
        )
    except savedialog.SaveDialogError as error:
        return _refused(call, error)
    if result.ok:
        return update(screens.saved(issue.title, _actions(call)), _("Saved and synced."))
    if result.status == "UNAVAILABLE":
        notice = _(UNAVAILABLE)
    else:
        more = _("SAP needs more: see the fields.")
        notice = result.form.errors[0] if result.form.errors else more
    return update(screens.form(result.form, _actions(call), call.time()), notice)


@handler("retry")
def _retry(call: Call) -> Json:
    found = resources()
    try:
        queued = mailbox_actions.retry_item(db_session(), found.redis, _issue(call), found.settings)
    except mailbox_actions.AlreadyResolved as resolved:
        return update(_home_card(call), str(resolved))
    if not queued:
        return notify(_("This issue is about the whole mailbox; it clears when it syncs."))
    return notify(_("It will be tried again in a moment."))


@handler("track")
def _track(call: Call) -> Json:
    message_id = call.state.get("m")
    if not isinstance(message_id, str):
        return notify(_("Open an e-mail to track it."))
    session = db_session()
    try:
        found = addin.track(session, resources(), call.mailbox, call.user, ItemType.EMAIL,
                            message_id)  # fmt: skip
    except addin.TrackRefused as refused:
        return notify(str(refused))
    return update(screens.message(found, _actions(call)), _("Tracked: it syncs now."))

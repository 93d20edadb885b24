"""The HTML a browser sees: the sign-in form, the error page and the signed-out page.

Browser tests drive the form by its ids: ``#email``, ``#password`` and the ``#sign-in`` button;
a failed sign-in shows ``#error``. Templates are kept here as strings so the package needs no
data files.
"""

from __future__ import annotations

from jinja2 import DictLoader, Environment

from emulators.identity.realms import Realm

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{% block title %}{% endblock %} · {{ realm.title }}</title>
  <style>
    * { box-sizing: border-box; }
    body { margin: 0; min-height: 100vh; display: flex; align-items: center;
           justify-content: center; background: #f2f2f2; color: #1b1b1b;
           font: 15px/1.5 "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    .card { width: 100%; max-width: 440px; margin: 24px; padding: 44px; background: #fff;
            border-radius: 8px; box-shadow: 0 2px 6px rgba(0, 0, 0, .2); }
    .brand { margin: 0 0 16px; font-size: 14px; font-weight: 600; color: {{ accent }}; }
    h1 { margin: 0 0 8px; font-size: 24px; font-weight: 600; }
    .lead { margin: 0 0 24px; color: #5f6368; }
    label { display: block; margin: 16px 0 4px; font-weight: 600; }
    input { width: 100%; padding: 8px 10px; font: inherit; border: 1px solid #8a8886;
            border-radius: 4px; }
    input:focus { outline: 2px solid {{ accent }}; outline-offset: 1px; }
    button { margin-top: 28px; padding: 8px 24px; font: inherit; font-weight: 600;
             color: #fff; background: {{ accent }}; border: 0; border-radius: 4px;
             cursor: pointer; float: right; }
    form::after { content: ""; display: block; clear: both; }
    .error { margin: 0 0 8px; padding: 8px 12px; color: #a4262c; background: #fde7e9;
             border-radius: 4px; }
    .code { font-family: ui-monospace, Consolas, monospace; font-size: 13px; }
    .note { margin: 32px 0 0; font-size: 12px; color: #8a8886; }
  </style>
</head>
<body>
  <main class="card">
    <p class="brand">{{ realm.title }}</p>
    {% block content %}{% endblock %}
    <p class="note">Local test sign-in service, standing in for {{ realm.title }}.</p>
  </main>
</body>
</html>
"""

_SIGN_IN = """{% extends "layout" %}
{% block title %}Sign in{% endblock %}
{% block content %}
    <h1>Sign in with {{ realm.title }}</h1>
    <p class="lead">to continue to <strong>{{ client_id }}</strong></p>
    {% if error %}<p class="error" id="error" role="alert">{{ error }}</p>{% endif %}
    <form method="post" action="{{ action }}">
      <label for="email">Email</label>
      <input id="email" name="email" type="email" value="{{ email }}"
             autocomplete="username" required {% if not email %}autofocus{% endif %}>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password"
             required {% if email %}autofocus{% endif %}>
      <button id="sign-in" type="submit">Sign in</button>
    </form>
{% endblock %}
"""

_ERROR = """{% extends "layout" %}
{% block title %}Error{% endblock %}
{% block content %}
    <h1>{{ heading }}</h1>
    <p class="error" id="error" role="alert">
      <span class="code" id="error-code">{{ code }}</span>: {{ description }}
    </p>
{% endblock %}
"""

_SIGNED_OUT = """{% extends "layout" %}
{% block title %}Signed out{% endblock %}
{% block content %}
    <h1>You signed out of your account</h1>
    <p class="lead">It's a good idea to close all browser windows.</p>
{% endblock %}
"""

_ACCENTS = {"microsoft": "#0067b8", "google": "#1a73e8"}
_ERROR_HEADINGS = {
    "microsoft": "Sorry, but we're having trouble signing you in.",
    "google": "Access blocked: this app's request is invalid",
}
_templates = Environment(
    loader=DictLoader(
        {"layout": _LAYOUT, "sign_in": _SIGN_IN, "error": _ERROR, "signed_out": _SIGNED_OUT}
    ),
    autoescape=True,
)


def _render(name: str, realm: Realm, **context: object) -> str:
    accent = _ACCENTS.get(realm.name, "#0067b8")
    return _templates.get_template(name).render(realm=realm, accent=accent, **context)


def sign_in_page(realm: Realm, *, action: str, client_id: str, email: str, error: str) -> str:
    """The sign-in form.

    Args:
        realm: whose name heads the card.
        action: where the form posts (the authorize URL with its query).
        client_id: the application asking.
        email: pre-filled e-mail address (``login_hint`` or the last attempt).
        error: a message about the last attempt, or empty.

    Returns:
        The HTML page.
    """
    return _render("sign_in", realm, action=action, client_id=client_id, email=email, error=error)


def error_page(realm: Realm, code: str, description: str) -> str:
    """The page shown instead of redirecting when the redirect target can't be trusted.

    Args:
        realm: whose name heads the card.
        code: a short error code (``invalid_client``, ``redirect_uri_mismatch``, ...).
        description: what was wrong.

    Returns:
        The HTML page.
    """
    heading = _ERROR_HEADINGS.get(realm.name, "Sign-in error")
    return _render("error", realm, heading=heading, code=code, description=description)


def signed_out_page(realm: Realm) -> str:
    """The page shown after signing out when there is nowhere to return to."""
    return _render("signed_out", realm)

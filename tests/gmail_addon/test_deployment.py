"""The add-on's deployment descriptor: every URL under the public base URL, the scopes we use,
Google's system ID token on each call; and the command that prints it."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from backend import create_app
from backend.gmail_addon.deployment import render

BASE = "https://sync.contoso.test"


def urls(node) -> list[str]:
    if isinstance(node, dict):
        return [url for value in node.values() for url in urls(value)]
    if isinstance(node, list):
        return [url for value in node for url in urls(value)]
    return [node] if isinstance(node, str) and node.startswith(("http://", "https://")) else []


def test_every_url_is_ours_and_every_endpoint_answers(app) -> None:
    descriptor = render(BASE + "/")
    ours = [url for url in urls(descriptor) if not url.startswith("https://www.googleapis.com/")]
    assert ours and all(url.startswith(BASE + "/") for url in ours)
    assert descriptor["addOns"]["httpOptions"] == {"authorizationHeader": "SYSTEM_ID_TOKEN"}
    assert sorted(descriptor["oauthScopes"]) == [
        "https://www.googleapis.com/auth/gmail.addons.current.message.metadata",
        "https://www.googleapis.com/auth/gmail.addons.execute",
        "https://www.googleapis.com/auth/userinfo.email",
    ]
    triggers = [descriptor["addOns"]["common"]["homepageTrigger"]["runFunction"]] + [
        t["onTriggerFunction"] for t in descriptor["addOns"]["gmail"]["contextualTriggers"]
    ]
    adapter = app.url_map.bind("sync.contoso.test")
    for url in triggers:
        endpoint, _ = adapter.match(url.removeprefix(BASE), method="POST")
        assert endpoint.startswith("gmail_addon.")


def test_the_command_prints_it_and_refuses_a_relative_url(runner) -> None:
    printed = runner.invoke(args=["gmail-addon", "deployment", "--base-url", BASE])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output) == render(BASE)
    refused = runner.invoke(args=["gmail-addon", "deployment", "--base-url", "/relative"])
    assert refused.exit_code != 0 and "--base-url" in refused.output


@pytest.mark.parametrize("bad", ["ftp://x.test", "sync.contoso.test", "https://x.test/?a=1"])
def test_only_absolute_http_urls(bad: str) -> None:
    with pytest.raises(ValueError, match="not an absolute"):
        render(bad)


def test_http_only_on_a_development_machine(
    runner, database_url, redis_url, tmp_path, monkeypatch
) -> None:
    with pytest.raises(ValueError, match="only over https"):
        render("http://sync.contoso.test")
    assert render("http://127.0.0.1:8000", allow_http=True)
    development = runner.invoke(args=["gmail-addon", "deployment", "--base-url",
                                      "http://127.0.0.1:8000"])  # fmt: skip
    assert development.exit_code == 0, development.output

    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    production = create_app({
        "SSI_ENV": "production", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "INSTANCE_PATH": str(tmp_path / "instance"),
    })  # fmt: skip
    refused = production.test_cli_runner().invoke(
        args=["gmail-addon", "deployment", "--base-url", "http://sync.contoso.test"]
    )
    assert refused.exit_code != 0 and "only over https" in refused.output
    fine = production.test_cli_runner().invoke(
        args=["gmail-addon", "deployment", "--base-url", BASE]
    )
    assert fine.exit_code == 0, fine.output

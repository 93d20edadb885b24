"""A mailbox as its owner edits it in Outlook: bare exchangelib, no code of ours in between."""

from __future__ import annotations

from exchangelib import BASIC, DELEGATE, Account, Build, Configuration, Credentials, Version


def bare_account(endpoint: str, address: str, password: str) -> Account:
    config = Configuration(
        service_endpoint=endpoint,
        credentials=Credentials(address, password),
        auth_type=BASIC,
        version=Version(build=Build(15, 2, 1544, 4)),
    )
    return Account(address, config=config, autodiscover=False, access_type=DELEGATE)

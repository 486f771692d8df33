"""The portal calls accounts for its visitors: it names each visitor's own address, so accounts
slows down failed logins by the person's address, not by the portal's (docs/security.md)."""

import pytest
from flask import Flask

from mumaris_testing.http import json_server
from portal.adapters.services import Accounts

pytestmark = pytest.mark.unit


def test_the_visitors_address_reaches_accounts_as_x_real_ip():
    seen = []

    def answer(request):
        seen.append(request.headers.get("X-Real-IP"))
        return {"access_token": "t", "token_type": "Bearer", "expires_in": 900}

    with json_server(answer) as url:
        accounts = Accounts(url)
        with Flask(__name__).test_request_context("/login", environ_base={"REMOTE_ADDR": "198.51.100.7"}):
            accounts.login("sara@example.sa", "a passphrase")
        accounts.login("sara@example.sa", "a passphrase")  # outside a visitor's request: none to name
    assert seen == ["198.51.100.7", None]

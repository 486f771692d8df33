"""The portal calls accounts for its visitors: it names each visitor's own address, so accounts
slows down failed logins by the person's address, not by the portal's (docs/security.md)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask

from portal.adapters.services import Accounts

pytestmark = pytest.mark.unit


def test_the_visitors_address_reaches_accounts_as_x_real_ip():
    seen = []

    class FakeAccounts(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.headers.get("X-Real-IP"))
            body = json.dumps({"access_token": "t", "token_type": "Bearer", "expires_in": 900}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAccounts)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        accounts = Accounts(f"http://127.0.0.1:{server.server_port}")
        with Flask(__name__).test_request_context("/login", environ_base={"REMOTE_ADDR": "198.51.100.7"}):
            accounts.login("sara@example.sa", "a passphrase")
        accounts.login("sara@example.sa", "a passphrase")  # outside a visitor's request: none to name
    finally:
        server.shutdown()
    assert seen == ["198.51.100.7", None]

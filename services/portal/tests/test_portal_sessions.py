"""The session behind the cookie: CSRF on every form, the cookie's flags, the token kept on the
server, renewal, expiry back to the page wanted, roles, and where a login may send one."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mumaris_shared.events import utcnow
from portal.security import safe_next

from .conftest import TOKEN, csrf_of, log_in

pytestmark = pytest.mark.unit


def test_a_form_sent_without_its_csrf_token_is_refused(client):
    refused = client.post("/login", data={"email": "sara@example.sa", "password": "x"})
    assert refused.status_code == 400 and "انتهت صلاحية هذا النموذج" in refused.get_data(as_text=True)
    assert client.post("/login", data={"csrf_token": "forged", "email": "x", "password": "y"}).status_code == 400


def test_the_session_cookie_is_http_only_lax_and_secure_over_https(client, app):
    cookie = log_in(client).headers.getlist("Set-Cookie")
    session = next(c for c in cookie if c.startswith("mumaris_portal="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Secure" not in session
    https = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"}).headers.getlist("Set-Cookie")
    assert any("Secure" in c for c in https if c.startswith("mumaris_portal="))


def test_the_access_token_stays_on_the_server(client):
    answer = log_in(client)
    cookies = "".join(answer.headers.getlist("Set-Cookie"))
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert TOKEN not in page and TOKEN not in cookies


def test_logging_in_opens_the_page_wanted_and_adopts_the_accounts_language(client):
    answer = log_in(client, next="/account")
    assert answer.headers["Location"] == "/account"
    assert any(c.startswith("lang=en;") for c in answer.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "account"])
def test_a_login_never_sends_anyone_to_another_site(target):
    assert safe_next(target, "/requests") == "/requests"
    assert safe_next("/requests/MR-1?x=1", "/") == "/requests/MR-1?x=1"


def test_an_expired_session_sends_one_to_log_in_with_a_message_then_back(client, app):
    log_in(client)
    with app.extensions["portal.sessions"].db.transaction() as session:
        session.execute(sa.text("UPDATE sessions SET expires_at = :past"), {"past": utcnow() - timedelta(minutes=1)})
    answer = client.get("/requests")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login?next=/requests"
    assert "session has expired" in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_a_session_about_to_expire_is_renewed_through_accounts(client, services):
    services.accounts.expires_in = 60  # less than PORTAL_RENEW_BEFORE (5 minutes) left
    log_in(client)
    assert client.get("/requests").status_code == 200
    assert services.accounts.renewals == 1


def test_a_page_of_another_role_is_a_translated_403(client):
    log_in(client)
    client.set_cookie("lang", "ar")
    forbidden = client.get("/staff/queue")
    assert forbidden.status_code == 403 and "غير مسموح" in forbidden.get_data(as_text=True)


def test_logging_out_ends_the_session(client):
    log_in(client)
    client.post("/logout", data={"csrf_token": csrf_of(client, "/account")})
    assert client.get("/account").headers["Location"] == "/login?next=/account"

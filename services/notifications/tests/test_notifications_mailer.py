"""The mailer against a real (in-process) SMTP server: sent once with a stable Message-ID, kept
and retried later while the server is down, given up on when the address is refused for good."""

import email
import email.policy
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from mumaris_shared.events import utcnow
from notifications.adapters.orm import deliveries_table
from notifications.adapters.smtp import Smtp
from notifications.handlers import HANDLERS
from notifications.mailer import Mailer, MailerSettings, message_for
from ops.mailcatcher import MailCatcher
from ops.net import free_port

pytestmark = pytest.mark.unit


@pytest.fixture
def queued(sqlite_runtime, events, deliveries):
    """A pending verification e-mail to sara@example.com, in Arabic."""
    sqlite_runtime.consumer(HANDLERS, url="amqp://never-connected").handle(events.code_issued("sara@example.com"))
    [delivery] = deliveries(sqlite_runtime)
    return delivery


def _mailer(runtime, port: int) -> Mailer:
    return Mailer(runtime.db, MailerSettings(smtp_port=port, retry_base=timedelta(seconds=30)))


def _parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_the_message_carries_both_bodies_and_an_id_made_from_the_delivery(queued):
    raw = message_for(queued, "Mumaris <no-reply@mumaris.local>")
    message = _parsed(raw)

    assert message["Message-ID"] == f"<{queued.id}@mumaris.local>"
    assert message["To"] == "sara@example.com" and message["Subject"] == queued.subject
    assert message["Content-Language"] == "ar"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    text, html = (part.get_content() for part in message.iter_parts())
    assert (text, html) == (queued.text, queued.html)
    assert all(len(line) <= 78 for line in raw.split(b"\r\n")) and b"\n" not in raw.replace(b"\r\n", b"")
    assert message_for(queued, "Mumaris <no-reply@mumaris.local>") == raw  # the same each time it is sent


def test_a_due_delivery_is_sent_once_and_marked_sent(sqlite_runtime, queued, deliveries):
    with MailCatcher(smtp_port=0, http_port=None) as catcher:
        mailer = _mailer(sqlite_runtime, catcher.smtp_port)
        assert mailer.deliver_next() is True
        assert mailer.deliver_next() is False
        mail = catcher.wait_for(lambda m: "sara@example.com" in m["to"])

    assert len(catcher.messages()) == 1
    assert mail["subject"] == "رمز التحقق الخاص بك في ممارس" and "482913" in mail["text"]
    assert mail["message_id"] == f"<{queued.id}@mumaris.local>" and 'dir="rtl"' in mail["html"]
    [sent] = deliveries(sqlite_runtime)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, None) and sent.sent_at is not None


def test_while_the_server_is_down_the_delivery_waits_with_a_growing_delay(sqlite_runtime, queued, deliveries):
    mailer = _mailer(sqlite_runtime, free_port())
    before = utcnow()

    assert mailer.deliver_next() is True
    [waiting] = deliveries(sqlite_runtime)
    assert (waiting.status, waiting.attempts) == ("pending", 1) and "Connection" in waiting.last_error
    assert waiting.next_attempt_at >= before + timedelta(seconds=30)
    assert mailer.deliver_next() is False  # not due again yet


@contextmanager
def _serving(handler) -> Iterator[int]:
    """An SMTP server (aiosmtpd) with `handler`, on a free port, for the block; the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


class _Server:
    """An aiosmtpd handler that offers PIPELINING or not."""

    def __init__(self, pipelining: bool):
        self.pipelining, self.connections = pipelining, 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses


class _RefusesEveryone(_Server):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 no such mailbox"


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])
def test_an_address_refused_for_good_is_marked_failed_not_retried(sqlite_runtime, queued, deliveries, pipelining):
    with _serving(_RefusesEveryone(pipelining)) as port:
        assert _mailer(sqlite_runtime, port).deliver_next() is True

    [refused] = deliveries(sqlite_runtime)
    assert (refused.status, refused.attempts) == ("failed", 1) and "no such mailbox" in refused.last_error


def test_a_code_e_mail_keeps_its_code_in_the_log_no_longer_than_the_code_lives(sqlite_runtime, events, deliveries):
    handle = sqlite_runtime.consumer(HANDLERS, url="amqp://never-connected").handle
    handle(events.code_issued("sara@example.com", code="482913", expires_in=timedelta(minutes=10)))
    handle(events.code_issued("huda@example.com", code="771204", expires_in=timedelta(seconds=-1)))
    handle(events.activated("sara@example.com"))  # no secret: kept as it is
    with MailCatcher(smtp_port=0, http_port=None) as catcher:
        mailer = _mailer(sqlite_runtime, catcher.smtp_port)
        while mailer.deliver_next():
            pass
        assert mailer.blank_expired_secrets() == 1
    sent_to = sorted(mail["to"][0] for mail in catcher.messages())
    assert sent_to == ["sara@example.com", "sara@example.com"]  # the expired code was not sent
    by_recipient = {(d.recipient, d.template): d for d in deliveries(sqlite_runtime)}
    expired = by_recipient[("huda@example.com", "verification_code")]
    assert expired.status == "failed" and "771204" not in expired.text + expired.html
    live = by_recipient[("sara@example.com", "verification_code")]
    assert live.status == "sent" and "482913" in live.text  # still valid: still readable

    with sqlite_runtime.db.transaction() as session:  # ten minutes on
        session.execute(
            deliveries_table.update()
            .values(secret_until=utcnow() - timedelta(seconds=1))
            .where(deliveries_table.c.id == live.id)
        )
    assert mailer.blank_expired_secrets() == 1
    blanked = {d.id: d for d in deliveries(sqlite_runtime)}[live.id]
    assert "482913" not in blanked.text + blanked.html and blanked.status == "sent"
    welcome = by_recipient[("sara@example.com", "welcome")]
    assert {d.id: d for d in deliveries(sqlite_runtime)}[welcome.id].text == welcome.text


class _Counts(_Server):
    """Accepts every message but one address's (refused for good), counting connections and messages."""

    def __init__(self, refused: str, pipelining: bool):
        super().__init__(pipelining)
        self.refused, self.messages = refused, []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])
def test_a_batch_goes_out_over_the_connections_it_may_open_and_a_refusal_in_it_stops_no_other(
    sqlite_runtime, events, deliveries, pipelining
):
    handle = sqlite_runtime.consumer(HANDLERS, url="amqp://never-connected").handle
    addresses = [f"person{n}@example.com" for n in range(6)]
    for address in addresses:
        handle(events.activated(address))
    server = _Counts(refused=addresses[2], pipelining=pipelining)
    with _serving(server) as port:
        mailer = Mailer(sqlite_runtime.db, MailerSettings(smtp_port=port, connections=2))
        assert mailer.deliver_next() is True
        assert mailer.deliver_next() is False

    assert sorted(server.messages) == sorted(addresses[:2] + addresses[3:]) and server.connections <= 2
    status = {d.recipient: (d.status, d.attempts) for d in deliveries(sqlite_runtime)}
    assert status == {a: ("failed" if a == addresses[2] else "sent", 1) for a in addresses}


def _writes(monkeypatch) -> list[bytes]:
    """What the client writes to its SMTP servers, one item a write."""
    written: list[bytes] = []
    send = Smtp.send

    def counted(self, data):
        written.append(data if isinstance(data, bytes) else data.encode())
        return send(self, data)

    monkeypatch.setattr(Smtp, "send", counted)
    return written


def test_where_the_server_offers_pipelining_a_message_takes_two_writes_and_arrives_whole(monkeypatch):
    written = _writes(monkeypatch)
    # A line that begins with a dot must not end the message early (RFC 5321's dot-stuffing).
    messages = [b"Subject: %d\r\n\r\nfirst line\r\n.hidden\r\n..two\r\nlast" % n for n in range(3)]
    with MailCatcher(smtp_port=0, http_port=None) as catcher:
        smtp = Smtp(catcher.smtp_host, catcher.smtp_port, timeout=10)
        for n, message in enumerate(messages):
            smtp.send_one("no-reply@mumaris.local", f"person{n}@example.com", message)
        smtp.quit()
        arrived = catcher.wait_for(lambda m: m["to"] == ["person2@example.com"])

    assert len(written) == 1 + 2 * 3 + 1  # EHLO; per message the commands, then the message; QUIT
    assert written[1].count(b"\r\n") == 3 and written[1].startswith(b"MAIL FROM:<no-reply@mumaris.local>")
    assert [m["to"] for m in catcher.messages()] == [[f"person{n}@example.com"] for n in range(3)]
    assert arrived["text"].replace("\r\n", "\n").rstrip("\n") == "first line\n.hidden\n..two\nlast"


def test_without_pipelining_it_sends_command_by_command(monkeypatch):
    written = _writes(monkeypatch)
    server = _Counts(refused="nobody", pipelining=False)
    with _serving(server) as port:
        smtp = Smtp("127.0.0.1", port, timeout=10)
        smtp.send_one("no-reply@mumaris.local", "person@example.com", b"Subject: hi\r\n\r\nhello\r\n")
        smtp.quit()
    assert server.messages == ["person@example.com"]
    assert len(written) == 1 + 4 + 1  # EHLO; MAIL, RCPT, DATA, the message; QUIT


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])
def test_a_line_break_in_an_address_is_refused_before_anything_is_sent(monkeypatch, pipelining):
    written = _writes(monkeypatch)
    server = _Counts(refused="nobody", pipelining=pipelining)
    with _serving(server) as port:
        smtp = Smtp("127.0.0.1", port, timeout=10)
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.send_one("no-reply@mumaris.local", "a@example.com\r\nRCPT TO:<b@example.com>", b"x\r\n")
        smtp.quit()
    assert not any(b"b@example.com" in data for data in written) and server.messages == []

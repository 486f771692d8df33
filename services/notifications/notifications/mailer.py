"""The mailer: sends the e-mails that handlers queued in `deliveries`.

    python -m notifications.mailer

Settings: SMTP_HOST (127.0.0.1), SMTP_PORT (1025), SMTP_TIMEOUT (PT10S), MAIL_FROM
("Mumaris <no-reply@mumaris.local>"), MAILER_RETRY_BASE (PT1S: the delay before the first retry,
doubling with each failure up to five minutes), MAILER_BATCH (50), MAILER_CONNECTIONS (4).

It claims the due deliveries, up to MAILER_BATCH at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
so replicas never take the same one; on SQLite there is one mailer), hands them to the SMTP server
over up to MAILER_CONNECTIONS connections at once (each kept while there is work, closed when
there is none, or after any error; two round trips a message where the server offers PIPELINING:
adapters/smtp.py), and marks each sent.
While the server is down, refuses the connection, times out or answers with a temporary error, the
delivery stays pending and is retried with growing delays: e-mails wait, and go out once the server
is back. A recipient address the server refuses outright (5xx) is marked failed, as no retry can help.

The one window no mailer can close: the SMTP server has accepted the message, and the mailer dies
(or loses its database) before the row is marked sent. The delivery is still pending, so it is sent
again — with the same `Message-ID: <delivery-id@mumaris.local>`, which lets mail systems that
de-duplicate by Message-ID show it once. SMTP has no way to ask whether a server already holds a
message, so this repeat-after-crash is the price of never losing one."""

from __future__ import annotations

import binascii
import logging
import smtplib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache, lru_cache

from sqlalchemy import or_, update

from mumaris_shared.config import env, env_duration, env_int
from mumaris_shared.db import Database, claim
from mumaris_shared.events import utcnow
from mumaris_shared.loop import keep_working
from mumaris_shared.outbox import Waker, backoff
from mumaris_shared.runtime import configure_logging, run_until_signalled

from .adapters.deliveries import FAILED, NOTIFY_CHANNEL, PENDING, SENT, blank_expired
from .adapters.orm import deliveries_table
from .adapters.smtp import Smtp
from .bootstrap import runtime

log = logging.getLogger(__name__)

MESSAGE_ID_DOMAIN = "mumaris.local"


@dataclass(frozen=True)
class MailerSettings:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_timeout: timedelta = timedelta(seconds=10)
    mail_from: str = "Mumaris <no-reply@mumaris.local>"
    retry_base: timedelta = timedelta(seconds=1)
    batch: int = 50
    connections: int = 4

    @classmethod
    def from_env(cls) -> MailerSettings:
        return cls(
            smtp_host=env("SMTP_HOST", cls.smtp_host),
            smtp_port=env_int("SMTP_PORT", cls.smtp_port),
            smtp_timeout=env_duration("SMTP_TIMEOUT", "PT10S"),
            mail_from=env("MAIL_FROM", cls.mail_from),
            retry_base=env_duration("MAILER_RETRY_BASE", "PT1S"),
            batch=env_int("MAILER_BATCH", cls.batch),
            connections=env_int("MAILER_CONNECTIONS", cls.connections),
        )


class RecipientRefused(Exception):
    """The server will never take a message for this address."""


def message_for(delivery, mail_from: str) -> bytes:
    """The e-mail of a delivery row, as sent: the same Message-ID, Date and boundary each time; the
    text and the HTML bodies as alternatives, in UTF-8. Written out directly: the `email` package's
    composing and folding would cost more than everything else a delivery does."""
    boundary = f"=_{delivery.id}"
    headers = {
        "Message-ID": f"<{delivery.id}@{MESSAGE_ID_DOMAIN}>",
        "Date": format_datetime(delivery.created_at),
        "From": _from_header(mail_from),
        "To": formataddr(("", delivery.recipient)),
        "Subject": _encoded("Subject", delivery.subject),
        "Auto-Submitted": "auto-generated",
        "MIME-Version": "1.0",
        "Content-Type": f'multipart/alternative;\r\n boundary="{boundary}"',  # folded: lines of 78 at most
        "Content-Language": delivery.language,
    }
    lines = [f"{name}: {value}" for name, value in headers.items()] + [""]
    for subtype, body in (("plain", delivery.text), ("html", delivery.html)):
        lines += [
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: base64",
            "",
            _base64_lines(body.encode()),
        ]
    lines += [f"--{boundary}--", ""]
    return "\r\n".join(lines).encode("ascii")


def _base64_lines(data: bytes) -> str:
    """`data` in base64, in lines of 76 as MIME wants, with SMTP's line ends (base64.encodebytes
    encodes 57 bytes at a time in a Python loop: most of an e-mail's composing)."""
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "\r\n".join([encoded[at : at + 76] for at in range(0, len(encoded), 76)])


@cache
def _from_header(mail_from: str) -> str:
    return formataddr(parseaddr(mail_from), charset="utf-8")


@cache
def _sender(mail_from: str) -> str:
    """The envelope sender: MAIL_FROM's address."""
    return parseaddr(mail_from)[1]


@lru_cache(maxsize=256)  # a template's subject is the same for every recipient
def _encoded(name: str, text: str) -> str:
    """A header's text, in RFC 2047 words when it is not ASCII (an Arabic subject), folded."""
    if text.isascii():
        return text
    return Header(text, "utf-8", maxlinelen=78, header_name=name).encode(linesep="\r\n")


class Mailer:
    BLANK_EVERY = 10.0  # seconds: a code expired this long ago at most is still in the log

    def __init__(self, db: Database, settings: MailerSettings, waker: Waker | None = None):
        self.db = db
        self.settings = settings
        self.table = deliveries_table
        self.waker = waker or Waker(db, channel=NOTIFY_CHANNEL)
        self._idle: list[Smtp] = []  # open connections, kept while there is work
        self._senders = ThreadPoolExecutor(settings.connections, thread_name_prefix="mailer")

    def deliver_next(self) -> bool:
        """Send the due deliveries, up to a batch; False when none is due."""
        table, now = self.table, utcnow()
        with self.db.transaction() as session:
            rows = claim(
                session,
                self.db,
                table,
                table.c.status == PENDING,
                table.c.next_attempt_at <= now,
                or_(table.c.secret_until.is_(None), table.c.secret_until > now),
                order_by=table.c.next_attempt_at,
                limit=self.settings.batch,
            )
            if not rows:
                self._hang_up()
                return False
            if not self.db.is_postgres:
                # One mailer per SQLite file: don't hold its write lock while the SMTP server answers.
                session.commit()
            sent = []
            # Several at a time, each over a connection of its own: the SMTP server's answers overlap.
            outcomes = self._senders.map(lambda delivery: self._deliver(delivery, now), rows)
            for delivery, changes in zip(rows, outcomes, strict=True):
                if changes is None:
                    sent.append(delivery.id)
                else:
                    session.execute(
                        update(table).where(table.c.id == delivery.id).values(attempts=table.c.attempts + 1, **changes)
                    )
            if sent:
                session.execute(
                    update(table)
                    .where(table.c.id.in_(sent))
                    .values(attempts=table.c.attempts + 1, status=SENT, sent_at=utcnow(), last_error=None)
                )
        return True

    def _deliver(self, delivery, now: datetime) -> dict | None:
        """Hand one delivery to the SMTP server: None once it has it, else the row's changes."""
        try:
            self._send(delivery.recipient, message_for(delivery, self.settings.mail_from))
        except RecipientRefused as exc:
            log.error("mailer: %s to %s refused for good: %s", delivery.id, delivery.recipient, exc)
            return dict(status=FAILED, last_error=str(exc))
        except (OSError, smtplib.SMTPException) as exc:
            retry_in = backoff(delivery.attempts + 1, self.settings.retry_base.total_seconds())
            log.warning("mailer: %s not sent (%r); retrying in %s", delivery.id, exc, retry_in)
            return dict(next_attempt_at=now + retry_in, last_error=f"{type(exc).__name__}: {exc}"[:2000])
        log.info("mailer: %s (%s) sent to %s", delivery.id, delivery.template, delivery.recipient)
        return None

    def _send(self, recipient: str, message: bytes) -> None:
        settings = self.settings
        try:  # list.pop and append are atomic: each sender takes a connection no other one holds
            smtp = self._idle.pop()
        except IndexError:
            smtp = Smtp(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout.total_seconds())
        try:
            smtp.send_one(_sender(settings.mail_from), recipient, message)
        except smtplib.SMTPRecipientsRefused as exc:  # the connection is still good for the next
            self._idle.append(smtp)
            if all(code >= 500 for code, _reply in exc.recipients.values()):
                raise RecipientRefused(str(exc.recipients)) from exc
            raise
        except (OSError, smtplib.SMTPException):
            _close(smtp)  # in an unknown state: the next message gets a fresh connection
            raise
        self._idle.append(smtp)

    def _hang_up(self) -> None:
        while self._idle:
            _close(self._idle.pop())

    def blank_expired_secrets(self) -> int:
        """The e-mails whose code has expired lose it (adapters/deliveries.blank_expired)."""
        with self.db.transaction() as session:
            return blank_expired(session, utcnow())

    def run(self, stop: threading.Event) -> None:
        blanked_at = 0.0

        def step() -> bool:
            nonlocal blanked_at
            if time.monotonic() - blanked_at > self.BLANK_EVERY:
                self.blank_expired_secrets()
                blanked_at = time.monotonic()
            return self.deliver_next()

        keep_working(step, stop, self.waker.wait, "mailer")
        self._hang_up()
        self._senders.shutdown()
        self.waker.close()


def _close(smtp: Smtp) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def main() -> None:
    configure_logging()
    mailer = Mailer(runtime().db, MailerSettings.from_env())
    log.info("mailer: sending through %s:%s", mailer.settings.smtp_host, mailer.settings.smtp_port)
    run_until_signalled(mailer.run)


if __name__ == "__main__":
    main()

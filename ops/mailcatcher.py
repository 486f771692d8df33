"""A local mail catcher: a real SMTP server that keeps every message in memory, with a web view.

Standalone (``make run`` starts it through ops.launcher)::

    python -m ops.mailcatcher [--smtp-port 1025] [--http-port 8025] [--host 127.0.0.1]

Its web view (``ops.mailcatcher_web``) lists the messages at ``/`` and as JSON at ``/api/messages``.

In-process, from tests::

    catcher = MailCatcher(smtp_port=0, http_port=None)   # 0 = any free port; None = no web view
    catcher.start()
    ... point SMTP_HOST/SMTP_PORT at catcher.smtp_host / catcher.smtp_port ...
    msg = catcher.wait_for(lambda m: "alice@example.com" in m["to"], timeout=10)
    catcher.stop()
"""

from __future__ import annotations

import argparse
import email
import email.policy
import email.utils
import os
import signal
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from .mailcatcher_web import web_handler
from .net import free_port, port_free

__all__ = ["MailCatcher", "parse_message"]

Message = dict[str, Any]


def _addresses(value: str | None) -> list[str]:
    if not value:
        return []
    return [addr for _name, addr in email.utils.getaddresses([str(value)]) if addr]


def parse_message(
    raw: bytes, envelope_from: str = "", envelope_to: list[str] | None = None, msg_id: int = 0
) -> Message:
    """Parse raw RFC 5322 bytes into the catcher's JSON shape (headers decoded, bodies as text)."""
    msg = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
    text = None
    html_body = None
    attachments = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        if disposition == "attachment":
            attachments.append({"filename": part.get_filename(), "content_type": ctype})
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):  # unknown charset etc.
            payload = part.get_payload(decode=True) or b""
            content = payload.decode("utf-8", errors="replace")
        if ctype == "text/plain" and text is None:
            text = content
        elif ctype == "text/html" and html_body is None:
            html_body = content
        else:
            attachments.append({"filename": part.get_filename(), "content_type": ctype})
    to = _addresses(msg.get("To")) + _addresses(msg.get("Cc"))
    from_ = _addresses(msg.get("From"))
    return {
        "id": msg_id,
        "from": from_[0] if from_ else (envelope_from or ""),
        "from_header": str(msg.get("From", "")),
        "to": to or list(envelope_to or []),
        "envelope_from": envelope_from,
        "envelope_to": list(envelope_to or []),
        "subject": str(msg.get("Subject", "")),
        "date": str(msg.get("Date", "")),
        "message_id": str(msg.get("Message-ID", "")),
        "text": text,
        "html": html_body,
        "attachments": attachments,
        "headers": {k: str(v) for k, v in msg.items()},
        "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "raw": raw.decode("utf-8", errors="replace"),
    }


class MessageStore:
    def __init__(self) -> None:
        self._messages: list[Message] = []
        self._next_id = 1
        self.condition = threading.Condition()

    def add(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> Message:
        with self.condition:
            msg = parse_message(raw, mail_from, rcpt_tos, self._next_id)
            self._next_id += 1
            self._messages.append(msg)
            self.condition.notify_all()
            return msg

    def all(self) -> list[Message]:
        with self.condition:
            return list(self._messages)

    def get(self, msg_id: int) -> Message | None:
        with self.condition:
            for m in self._messages:
                if m["id"] == msg_id:
                    return m
        return None

    def clear(self) -> None:
        with self.condition:
            self._messages.clear()
            self.condition.notify_all()


class _Handler:
    """aiosmtpd handler: accept every message and keep it. It offers PIPELINING, as the mail
    servers the platform sends through in production do: aiosmtpd reads the commands one line after
    another from what has arrived, so a client's MAIL, RCPT and DATA sent in one write are answered
    in order (the mailer then sends each message in two round trips)."""

    def __init__(self, store: MessageStore) -> None:
        self.store = store

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        self.store.add(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class MailCatcher:
    """SMTP server + optional HTTP view, in background threads of the current process."""

    def __init__(self, smtp_port: int = 0, http_port: int | None = 0, host: str = "127.0.0.1") -> None:
        self.host = host
        self._smtp_port_wanted = smtp_port
        self._http_port_wanted = http_port
        self.smtp_port: int | None = None
        self.http_port: int | None = None
        self._store = MessageStore()
        self._controller: Controller | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> MailCatcher:
        smtp_port = self._smtp_port_wanted or free_port(self.host)
        if not port_free(smtp_port, self.host):
            raise RuntimeError(f"mail catcher: SMTP port {self.host}:{smtp_port} is already in use")
        if self._http_port_wanted is not None:
            http_port = self._http_port_wanted
            if http_port and not port_free(http_port, self.host):
                raise RuntimeError(f"mail catcher: HTTP port {self.host}:{http_port} is already in use")
            self._httpd = ThreadingHTTPServer((self.host, http_port), web_handler(self._store))
            self._httpd.daemon_threads = True
            self.http_port = self._httpd.server_address[1]
            self._http_thread = threading.Thread(target=self._httpd.serve_forever, name="mailcatcher-http", daemon=True)
            self._http_thread.start()
        self._controller = Controller(
            _Handler(self._store),
            hostname=self.host,
            port=smtp_port,
            server_hostname="mailcatcher.local",
            decode_data=False,
            enable_SMTPUTF8=True,
        )
        try:
            self._controller.start()
        except Exception:
            self.stop()
            raise
        self.smtp_port = smtp_port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            try:
                self._controller.stop()
            finally:
                self._controller = None
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- access
    @property
    def smtp_host(self) -> str:
        return self.host

    @property
    def http_url(self) -> str | None:
        return f"http://{self.host}:{self.http_port}" if self.http_port else None

    def messages(self) -> list[Message]:
        """Every message so far, oldest first, parsed ({id, from, to, subject, date, text, html, ...})."""
        return self._store.all()

    def clear(self) -> None:
        self._store.clear()

    def wait_for(
        self, predicate: Callable[[Message], bool] | None = None, timeout: float = 10.0, *, since: int = 0
    ) -> Message:
        """Block until a message (with id > since) matching predicate exists; return it.

        Raises TimeoutError after ``timeout`` seconds. Already received messages count too.
        """
        predicate = predicate or (lambda m: True)
        deadline = time.monotonic() + timeout
        cond = self._store.condition
        with cond:
            while True:
                for m in self._store._messages:
                    if m["id"] > since and predicate(m):
                        return m
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    subjects = [m["subject"] for m in self._store._messages]
                    raise TimeoutError(f"no matching e-mail within {timeout}s; have: {subjects}")
                cond.wait(remaining)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default=os.environ.get("MAILCATCHER_HOST", "127.0.0.1"))
    p.add_argument("--smtp-port", type=int, default=int(os.environ.get("MAILCATCHER_SMTP_PORT", "1025")))
    p.add_argument("--http-port", type=int, default=int(os.environ.get("MAILCATCHER_HTTP_PORT", "8025")))
    args = p.parse_args(argv)
    catcher = MailCatcher(smtp_port=args.smtp_port, http_port=args.http_port, host=args.host)
    try:
        catcher.start()
    except (RuntimeError, OSError) as exc:
        print(f"mailcatcher: {exc}", flush=True)
        return 1
    print(f"mailcatcher: SMTP {args.host}:{catcher.smtp_port}, web {catcher.http_url}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    catcher.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A local mail catcher: a real SMTP server that keeps every message in memory, with a web view.

Standalone (``make run`` starts it through ops.launcher)::

    python -m ops.mailcatcher [--smtp-port 1025] [--http-port 8025] [--host 127.0.0.1]

    GET    /                   HTML list of messages (click one to read its text / HTML body)
    GET    /messages/<id>      one message as a page
    GET    /messages/<id>.html the message's HTML part as sent
    GET    /api/messages       JSON [{id, from, to, subject, date, message_id, text, html}], newest last
    GET    /api/messages/<id>  one message (adds "headers" and "raw")
    DELETE /api/messages       clears everything

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
import html
import json
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["MailCatcher", "parse_message"]

Message = dict[str, Any]


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
        return False


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


_PUBLIC_FIELDS = (
    "id",
    "from",
    "to",
    "subject",
    "date",
    "message_id",
    "text",
    "html",
    "envelope_from",
    "envelope_to",
    "received_at",
    "attachments",
)


class _Store:
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
    """aiosmtpd handler: accept every message and keep it."""

    def __init__(self, store: _Store) -> None:
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        self.store.add(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


# ---------------------------------------------------------------- web view
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{{font-family:system-ui,"Noto Sans Arabic","Segoe UI",Tahoma,sans-serif;margin:0;color:#222}}
 header{{background:#0b5d4b;color:#fff;padding:.6em 1em;display:flex;gap:1em;align-items:center}}
 header a{{color:#fff}} main{{padding:1em}}
 table{{border-collapse:collapse;width:100%}}
 th,td{{text-align:start;padding:.35em .6em;border-bottom:1px solid #ddd;vertical-align:top}}
 tr:hover td{{background:#f3f8f6}} .muted{{color:#777}}
 pre{{white-space:pre-wrap;background:#f7f7f7;padding:1em;unicode-bidi:plaintext}}
 iframe{{width:100%;height:60vh;border:1px solid #ccc}} button{{cursor:pointer}}
 td.auto, h2.auto{{unicode-bidi:plaintext}}
</style></head><body>
<header><strong>Mumaris mail catcher</strong><a href="/">messages</a><a href="/api/messages">JSON</a>
<form method="post" action="/clear" style="margin:0"><button>clear all</button></form></header>
<main>{body}</main></body></html>"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


class _WebHandler(BaseHTTPRequestHandler):
    server_version = "MumarisMailCatcher/1"
    store: _Store  # set on the subclass

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(
            status, json.dumps(obj, ensure_ascii=False, indent=1).encode("utf-8"), "application/json; charset=utf-8"
        )

    def _html(self, status: int, title: str, body: str) -> None:
        self._send(status, _PAGE.format(title=_esc(title), body=body).encode("utf-8"), "text/html; charset=utf-8")

    def _not_found(self) -> None:
        if self.path.startswith("/api/"):
            self._json(404, {"error": {"code": "not_found", "message": "No such message.", "details": {}}})
        else:
            self._html(404, "Not found", "<p>Not found.</p>")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/api/messages":
            self._json(200, [{k: m.get(k) for k in _PUBLIC_FIELDS} for m in self.store.all()])
            return
        m = re.fullmatch(r"/api/messages/(\d+)", path)
        if m:
            msg = self.store.get(int(m.group(1)))
            return self._json(200, msg) if msg else self._not_found()
        m = re.fullmatch(r"/messages/(\d+)\.html", path)
        if m:
            msg = self.store.get(int(m.group(1)))
            if not msg or msg["html"] is None:
                return self._not_found()
            # the message's own HTML, sandboxed by the iframe that shows it
            return self._send(
                200,
                msg["html"].encode("utf-8"),
                "text/html; charset=utf-8",
                {"Content-Security-Policy": "script-src 'none'"},
            )
        m = re.fullmatch(r"/messages/(\d+)", path)
        if m:
            msg = self.store.get(int(m.group(1)))
            return self._html(200, msg["subject"], self._message_page(msg)) if msg else self._not_found()
        if path in ("/", "/index.html"):
            return self._html(200, "Mail catcher", self._index_page())
        if path == "/healthz":
            return self._json(200, {"status": "ok"})
        self._not_found()

    def do_DELETE(self) -> None:
        if self.path.split("?", 1)[0] == "/api/messages":
            self.store.clear()
            self._send(204, b"", "text/plain")
        else:
            self._not_found()

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] == "/clear":
            self.store.clear()
            self._send(303, b"", "text/plain", {"Location": "/"})
        else:
            self._not_found()

    def _index_page(self) -> str:
        msgs = list(reversed(self.store.all()))  # newest first on the page
        if not msgs:
            return '<p class="muted">No messages yet.</p>'
        rows = "".join(
            f'<tr><td>{m["id"]}</td><td class="auto">{_esc(m["from_header"] or m["from"])}</td>'
            f"<td>{_esc(', '.join(m['to']))}</td>"
            f'<td class="auto"><a href="/messages/{m["id"]}" dir="auto">{_esc(m["subject"]) or "(no subject)"}</a></td>'
            f'<td class="muted">{_esc(m["date"])}</td></tr>'
            for m in msgs
        )
        return (
            "<table><thead><tr><th>#</th><th>From</th><th>To</th><th>Subject</th><th>Date</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )

    def _message_page(self, m: Message) -> str:
        parts = [
            f'<h2 class="auto" dir="auto">{_esc(m["subject"]) or "(no subject)"}</h2>',
            "<table>",
            f'<tr><th>From</th><td class="auto">{_esc(m["from_header"] or m["from"])}</td></tr>',
            f"<tr><th>To</th><td>{_esc(', '.join(m['to']))}</td></tr>",
            f"<tr><th>Date</th><td>{_esc(m['date'])}</td></tr>",
            f"<tr><th>Message-ID</th><td>{_esc(m['message_id'])}</td></tr>",
            "</table>",
        ]
        if m["html"] is not None:
            parts.append(f'<h3>HTML</h3><iframe sandbox src="/messages/{m["id"]}.html"></iframe>')
        if m["text"] is not None:
            parts.append(f'<h3>Text</h3><pre dir="auto">{_esc(m["text"])}</pre>')
        parts.append(f"<details><summary>Source</summary><pre>{_esc(m['raw'])}</pre></details>")
        return "".join(parts)


class MailCatcher:
    """SMTP server + optional HTTP view, in background threads of the current process."""

    def __init__(self, smtp_port: int = 0, http_port: int | None = 0, host: str = "127.0.0.1") -> None:
        self.host = host
        self._smtp_port_wanted = smtp_port
        self._http_port_wanted = http_port
        self.smtp_port: int | None = None
        self.http_port: int | None = None
        self._store = _Store()
        self._controller: Controller | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> MailCatcher:
        smtp_port = self._smtp_port_wanted or _free_port(self.host)
        if _port_in_use(self.host, smtp_port):
            raise RuntimeError(f"mail catcher: SMTP port {self.host}:{smtp_port} is already in use")
        if self._http_port_wanted is not None:
            http_port = self._http_port_wanted
            if http_port and _port_in_use(self.host, http_port):
                raise RuntimeError(f"mail catcher: HTTP port {self.host}:{http_port} is already in use")
            handler = type("Handler", (_WebHandler,), {"store": self._store})
            self._httpd = ThreadingHTTPServer((self.host, http_port), handler)
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

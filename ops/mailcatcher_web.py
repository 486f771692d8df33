"""The mail catcher's web view (``ops.mailcatcher``): the messages it holds as pages and as JSON::

GET    /                   HTML list of messages (click one to read its text / HTML body)
GET    /messages/<id>      one message as a page
GET    /messages/<id>.html the message's HTML part as sent
GET    /api/messages       JSON [{id, from, to, subject, date, message_id, text, html}], newest last
GET    /api/messages/<id>  one message (adds "headers" and "raw")
DELETE /api/messages       clears everything
"""

from __future__ import annotations

import html
import json
import re
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .mailcatcher import Message, MessageStore

PUBLIC_FIELDS = (
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


class WebHandler(BaseHTTPRequestHandler):
    server_version = "MumarisMailCatcher/1"
    store: MessageStore  # set on the subclass

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
            self._json(200, [{k: m.get(k) for k in PUBLIC_FIELDS} for m in self.store.all()])
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


def web_handler(store: MessageStore) -> type[WebHandler]:
    """The request handler class serving ``store``."""
    return type("Handler", (WebHandler,), {"store": store})

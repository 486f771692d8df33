"""The benches' SMTP server: it speaks enough SMTP for any client (greeting, EHLO/HELO, MAIL, RCPT,
DATA, RSET, NOOP, QUIT, and PIPELINING; anything else 502) and notes who each message was for and when it arrived,
nothing more. It stands for the mail system beyond the mailer, which is not what a bench measures:
on a machine of two cores every cycle it spends is one the platform does not get, so it does less
than a general-purpose server (aiosmtpd parses every command and message into objects, which made
it half of the sweep's SMTP leg).

    sink = SmtpSink().start()   # on a free port, in a thread of its own
    ... sink.port, sink.arrivals  # [(time.monotonic(), recipient), ...]
    sink.stop()
"""

from __future__ import annotations

import asyncio
import threading
import time

from ops.net import HOST, free_port

MESSAGE_LIMIT = 4 * 1024 * 1024  # the largest message it reads (asyncio's default is 64 KiB)


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.arrivals: list[tuple[float, str]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smtp-sink", daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> SmtpSink:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._session, HOST, self.port, limit=MESSAGE_LIMIT), self._loop
        )
        self._server = started.result(10)
        return self

    def stop(self) -> None:
        # Closed on its loop's thread: asyncio's server is not safe to touch from another (a session
        # ending at the same moment wakes the server's waiters there, and the two collided).
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ESMTP\r\n")
        recipients: list[str] = []
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":  # its loop answers commands sent together in turn
                    writer.write(b"250-sink\r\n250 PIPELINING\r\n")
                elif verb == b"HELO":
                    writer.write(b"250 sink\r\n")
                elif verb == b"MAIL":
                    recipients = []
                    writer.write(b"250 OK\r\n")
                elif verb == b"RCPT":
                    recipients.append(line.split(b":", 1)[1].strip().strip(b"<>").decode())
                    writer.write(b"250 OK\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    await writer.drain()
                    # The message and its end in one read (line by line, the sink cost as much CPU
                    # as the mailer): an empty message is its end alone.
                    if await reader.readline() not in (b".\r\n", b""):
                        await reader.readuntil(b"\r\n.\r\n")
                    now = time.monotonic()
                    self.arrivals.extend((now, recipient) for recipient in recipients)
                    writer.write(b"250 OK\r\n")
                elif verb in (b"RSET", b"NOOP"):
                    recipients = [] if verb == b"RSET" else recipients
                    writer.write(b"250 OK\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 Bye\r\n")
                    break
                else:
                    writer.write(b"502 Command not implemented\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

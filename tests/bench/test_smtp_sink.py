"""The benches' SMTP sink takes what a real client sends and notes each message once."""

import smtplib

import pytest

from bench.smtp_sink import SmtpSink

pytestmark = pytest.mark.unit


def test_the_sink_notes_each_recipient_of_each_message_over_one_connection():
    sink = SmtpSink().start()
    try:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
            # a line of a single dot is sent dot-stuffed: it must not end the message early
            smtp.sendmail("no-reply@mumaris.local", ["a@x.sa", "b@x.sa"], b"Subject: one\r\n\r\n.\r\nend\r\n")
            smtp.sendmail("no-reply@mumaris.local", ["c@x.sa"], b"Subject: two\r\n\r\nbody\r\n")
            assert smtp.noop()[0] == 250
        assert [recipient for _, recipient in sink.arrivals] == ["a@x.sa", "b@x.sa", "c@x.sa"]
    finally:
        sink.stop()


def test_the_sink_takes_the_mailers_pipelined_commands():
    from notifications.adapters.smtp import Smtp

    sink = SmtpSink().start()
    try:
        smtp = Smtp("127.0.0.1", sink.port, timeout=10)
        assert smtp.ehlo()[0] == 250 and smtp.has_extn("pipelining")
        for n in range(3):
            smtp.send_one("no-reply@mumaris.local", f"p{n}@x.sa", b"Subject: %d\r\n\r\n.\r\nline\r\n" % n)
        smtp.quit()
        assert [recipient for _, recipient in sink.arrivals] == ["p0@x.sa", "p1@x.sa", "p2@x.sa"]
    finally:
        sink.stop()

"""An SMTP connection that sends one message for one recipient in two round trips where the server
offers PIPELINING (RFC 2920, as Postfix, Exim and most relays do): MAIL, RCPT and DATA in one
write and their three replies read together, then the message and its end. smtplib's `sendmail`
waits for each command's reply in turn, four round trips, and on a machine of two cores its
reply parsing was a third of the mailer's time. Without PIPELINING it is `sendmail`.

It fails the way `sendmail` does, so the mailer handles both alike: `SMTPSenderRefused`,
`SMTPRecipientsRefused` (the connection still good for the next message), `SMTPDataError`,
`SMTPServerDisconnected` and `OSError`."""

from __future__ import annotations

import smtplib

ACCEPTED = (250, 251)


class Smtp(smtplib.SMTP):
    def send_one(self, sender: str, recipient: str, message: bytes) -> None:
        """Hand `message` (bytes with CRLF line ends) for `recipient` to the server."""
        if "\r" in recipient or "\n" in recipient:  # it would be a command of its own: never sendable
            raise smtplib.SMTPRecipientsRefused({recipient: (553, b"a line break in the address")})
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("pipelining"):
            self.sendmail(sender, [recipient], message)
            return
        size = f" SIZE={len(message)}" if self.has_extn("size") else ""
        # quoteaddr, as smtplib's own commands: the address between angle brackets, nothing else.
        self.send(f"MAIL FROM:{smtplib.quoteaddr(sender)}{size}\r\nRCPT TO:{smtplib.quoteaddr(recipient)}\r\nDATA\r\n")
        mail, rcpt, data = self.getreply(), self.getreply(), self.getreply()
        if data[0] == 354:
            # Told to go on: the message if MAIL and RCPT were taken, else an empty one the
            # server will not deliver to anyone (RFC 2920 §3.1: the client must send something).
            taken = mail[0] == 250 and rcpt[0] in ACCEPTED
            self.send(_stuffed(message) + b".\r\n" if taken else b".\r\n")
            done = self.getreply()
            if taken and done[0] == 250:
                return
        else:
            done = data
        if 421 in (mail[0], rcpt[0], done[0]):
            self.close()  # the server is closing the connection
        else:
            try:
                self.rset()
            except smtplib.SMTPServerDisconnected:
                pass  # the error below says what went wrong
        if mail[0] != 250:
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
        if rcpt[0] not in ACCEPTED:
            raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
        raise smtplib.SMTPDataError(*done)


def _stuffed(message: bytes) -> bytes:
    """The message as DATA carries it: a line that begins with a dot gets another (RFC 5321
    §4.5.2), and it ends with a line end. The mailer's messages are base64 under their headers, so
    this is almost always the message as it is."""
    if message.startswith(b".") or b"\n." in message:
        message = message.replace(b"\n.", b"\n..")
        if message.startswith(b"."):
            message = b"." + message
    return message if message.endswith(b"\r\n") else message + b"\r\n"

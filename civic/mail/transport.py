"""Talking SMTP: one connection per sending pass, reopened after a broken one."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType

from civic.mail.rules import MailUrl, is_permanent, scrub


@dataclass(frozen=True)
class SendError:
    """Why one attempt failed, in words fit for the audit log."""

    permanent: bool
    text: str
    connection_broken: bool


def _reply_text(code: int | None, message: bytes | str | None) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code or ''} {message or ''}".strip()


def _response_error(error: smtplib.SMTPResponseException) -> SendError:
    name = type(error).__name__
    text = scrub(f"{name}: {_reply_text(error.smtp_code, error.smtp_error)}")
    if isinstance(error, smtplib.SMTPDataError):
        # The server refused this message's content (size, policy): final when 5xx.
        return SendError(is_permanent(error.smtp_code), text, False)
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our own sender address was refused: a configuration problem, not this message's.
        return SendError(False, text, False)
    # Greeting, HELO or login refused: the server or our settings, never this message.
    return SendError(False, text, True)


def describe(error: Exception) -> SendError:
    """Turn an exception from smtplib or the network into a retry/fail decision."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(error.recipients.values()), (None, b""))
        text = scrub(f"recipient refused: {_reply_text(code, message)}")
        return SendError(is_permanent(code), text, False)
    if isinstance(error, smtplib.SMTPResponseException):
        return _response_error(error)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        # E.g. a non-ASCII address and a server without SMTPUTF8: retrying will not help.
        return SendError(True, scrub(f"not supported by the server: {error}"), False)
    return SendError(False, scrub(f"{type(error).__name__}: {error}"), True)


class SmtpConnection:
    """A lazily opened SMTP session; `send` raises smtplib/OSError exceptions unchanged."""

    def __init__(self, url: MailUrl, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        # Set when the server could not be reached at all; the rest of the pass skips it.
        self.unreachable: SendError | None = None

    @property
    def is_open(self) -> bool:
        """True while a session with the server is established."""
        return self._smtp is not None

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.url.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                self.url.host, self.url.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.url.host, self.url.port, timeout=self.timeout)
        try:
            if self.url.security == "starttls":
                smtp.starttls(context=context)
            if self.url.username:
                smtp.login(self.url.username, self.url.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        """Hand one message to the server for one recipient."""
        if self._smtp is None:
            self._smtp = self._open()
        self._smtp.send_message(message, from_addr=sender, to_addrs=[recipient])

    def drop(self) -> None:
        """Forget a broken connection; the next send opens a new one."""
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        """Say goodbye politely, ignoring a server that already left."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self.drop()

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

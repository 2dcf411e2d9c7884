"""Mail use cases: queue a message, send what is due, retry a failed one.

Queueing happens in the caller's transaction (the caller commits), so a message exists
exactly when the change that caused it was committed. Sending claims messages in one short
transaction, talks SMTP outside any transaction, and records each outcome in its own.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, cast

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from jinja2 import TemplateNotFound
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult

from civic import audit, clock
from civic.errors import Conflict, InvalidInput, NotFound
from civic.extensions import db
from civic.mail.models import OutboxMessage, OutboxStatus
from civic.mail.rules import Outcome, after_failure, parse_mail_url, safe_header, scrub
from civic.mail.transport import SendError, SmtpConnection, describe

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    """What one sending pass did."""

    released: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0  # claims taken over by another sender after we were presumed dead

    def summary(self) -> str:
        """One line for the CLI and the scheduler log."""
        return (
            f"{self.sent} sent, {self.retried} to retry, {self.failed} failed, "
            f"{self.released} released from stopped senders"
        )


@dataclass(frozen=True)
class _Settings:
    sender: str
    max_attempts: int
    base: timedelta
    cap: timedelta
    claim_timeout: timedelta
    timeout: float


def _settings() -> _Settings:
    config = current_app.config
    return _Settings(
        sender=config["MAIL_FROM"],
        max_attempts=int(config.get("MAIL_MAX_ATTEMPTS", 12)),
        base=config.get("MAIL_RETRY_BASE", timedelta(minutes=1)),
        cap=config.get("MAIL_RETRY_MAX", timedelta(hours=6)),
        claim_timeout=config.get("MAIL_CLAIM_TIMEOUT", timedelta(minutes=10)),
        timeout=float(config.get("MAIL_TIMEOUT", 30)),
    )


# -- queueing ------------------------------------------------------------------------------


def _check_address(to: str) -> None:
    local, _, domain = to.rpartition("@")
    if (
        not local
        or not domain
        or "." not in domain
        or len(to) > 254
        or any(c.isspace() for c in to)
        or not safe_header(to)
    ):
        raise InvalidInput(_l("This is not a valid e-mail address."))


def _new_message_id() -> str:
    _, address = parseaddr(current_app.config["MAIL_FROM"])
    domain = address.rpartition("@")[2] or "civic.invalid"
    return make_msgid(domain=domain)


def enqueue(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    kind: str,
    actor: Any = None,
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction and audit it (no address)."""
    to = to.strip()
    _check_address(to)
    if not safe_header(subject) or not subject.strip():
        raise InvalidInput(_l("The subject must be one line of text."))
    if not kind or len(kind) > 60:
        raise InvalidInput(_l("The kind of message is missing or too long."))
    now = clock.now()
    message = OutboxMessage(
        message_id=_new_message_id(),
        to_address=to,
        subject=subject.strip()[:300],
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    audit.record(actor, "mail.queued", message, after={"kind": kind, "status": "queued"})
    return message


def _render_optional(name: str, context: dict[str, Any]) -> str | None:
    try:
        current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return None
    return render_template(name, **context)


def enqueue_template(
    to: str,
    kind: str,
    template_base: str,
    *,
    subject: Any,
    locale: str | None = None,
    actor: Any = None,
    **context: Any,
) -> OutboxMessage:
    """Render mail/<template_base>.txt (and .html when present) in the recipient's locale
    and queue it. `subject` is usually a lazy_gettext string, translated here."""
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject_text = str(subject)
        # Jinja drops the template's final newline; a text mail ends with one.
        body_text = render_template(f"mail/{template_base}.txt", **context).rstrip("\n") + "\n"
        body_html = _render_optional(f"mail/{template_base}.html", context)
    return enqueue(
        to=to,
        subject=subject_text,
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        actor=actor,
    )


# -- sending -------------------------------------------------------------------------------


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message: UTF-8, quoted-printable, the same headers on every attempt."""
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = sender
    mail["To"] = message.to_address
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message.message_id
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.body_text, charset="utf-8", cte="quoted-printable")
    if message.body_html:
        mail.add_alternative(
            message.body_html, subtype="html", charset="utf-8", cte="quoted-printable"
        )
    return mail


def _rows_changed(statement: Any) -> int:
    """Execute an UPDATE and return how many rows it changed."""
    result = cast(CursorResult[Any], db.session.execute(statement))
    return int(result.rowcount)


def _audit_status(
    action: str, message_id: int, before: dict[str, Any], after: dict[str, Any]
) -> None:
    audit.record(
        None, action, None, before, after, object_type="OutboxMessage", object_id=str(message_id)
    )


def release_stale_claims(settings: _Settings | None = None) -> tuple[int, int]:
    """Put messages claimed by a sender that stopped back in the queue (or fail them when
    out of attempts). The interrupted attempt counts. Returns (released, failed)."""
    settings = settings or _settings()
    now = clock.now()
    cutoff = now - settings.claim_timeout
    stale = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.attempts).where(
            OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < cutoff
        )
    ).all()
    released = failed = 0
    for message_id, attempts in stale:
        outcome, next_at = after_failure(
            attempts + 1, False, settings.max_attempts, now, settings.base, settings.cap
        )
        status = OutboxStatus.QUEUED if outcome is Outcome.RETRY else OutboxStatus.FAILED
        error = "the sender stopped during the attempt"
        changed = _rows_changed(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claimed_at < cutoff,
            )
            .values(
                status=status,
                attempts=attempts + 1,
                next_attempt_at=next_at,
                last_error=error,
                claimed_at=None,
                claim_token=None,
            )
            .execution_options(synchronize_session=False)
        )
        if changed != 1:
            continue
        action = "mail.released" if status is OutboxStatus.QUEUED else "mail.failed"
        _audit_status(
            action,
            message_id,
            {"status": "sending", "attempts": attempts},
            {"status": status.value, "attempts": attempts + 1, "error": error},
        )
        if status is OutboxStatus.QUEUED:
            released += 1
        else:
            failed += 1
    return released, failed


def claim_due(limit: int, token: str) -> list[int]:
    """Atomically take up to `limit` due messages for this sender; returns their ids.

    The conditional UPDATE is what makes a claim exclusive (a second sender's UPDATE finds
    the status already changed). On PostgreSQL, SKIP LOCKED also keeps senders from
    queueing behind each other; SQLite ignores it and serialises writers anyway."""
    now = clock.now()
    candidates = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not candidates:
        return []
    claimed = sorted(
        db.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), OutboxMessage.status == OutboxStatus.QUEUED)
            .values(status=OutboxStatus.SENDING, claimed_at=now, claim_token=token)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
    )
    for message_id in claimed:
        _audit_status("mail.sending", message_id, {"status": "queued"}, {"status": "sending"})
    return claimed


def _finish(
    message_id: int, token: str, error: SendError | None, settings: _Settings
) -> Outcome | None:
    """Record one attempt's outcome in its own transaction; None if our claim was lost."""
    attempts = db.session.scalar(
        select(OutboxMessage.attempts).where(OutboxMessage.id == message_id)
    )
    attempts = (attempts or 0) + 1
    now = clock.now()
    if error is None:
        outcome, next_at = Outcome.SENT, now
        values: dict[str, Any] = {"status": OutboxStatus.SENT, "sent_at": now, "last_error": None}
    else:
        outcome, next_at = after_failure(
            attempts, error.permanent, settings.max_attempts, now, settings.base, settings.cap
        )
        status = OutboxStatus.QUEUED if outcome is Outcome.RETRY else OutboxStatus.FAILED
        values = {"status": status, "last_error": error.text}
    changed = _rows_changed(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claim_token == token,
        )
        .values(
            attempts=attempts,
            next_attempt_at=next_at,
            claimed_at=None,
            claim_token=None,
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    if changed != 1:
        db.session.rollback()
        log.warning("outbox message %s: claim lost to another sender", message_id)
        return None
    after: dict[str, Any] = {"status": values["status"].value, "attempts": attempts}
    if error is not None:
        after["error"] = error.text
        if outcome is Outcome.RETRY:
            after["next_attempt_at"] = next_at.isoformat(timespec="seconds")
    _audit_status(f"mail.{outcome.value}", message_id, {"status": "sending"}, after)
    db.session.commit()
    return outcome


def _unexpected(message_id: int, exc: Exception) -> SendError:
    # A bug rather than the server: retry later, so it fails for good after max attempts.
    log.exception("outbox message %s: unexpected error while sending", message_id)
    return SendError(False, scrub(f"{type(exc).__name__}: {exc}"), True)


def _attempt(connection: SmtpConnection, message_id: int, sender: str) -> SendError | None:
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None
    try:
        email, recipient = build_email(message, sender), message.to_address
    except Exception as exc:
        return _unexpected(message_id, exc)
    finally:
        db.session.rollback()  # hold no transaction open while talking to the network
    fresh = not connection.is_open
    try:
        connection.send(email, parseaddr(sender)[1], recipient)
    except (smtplib.SMTPException, OSError) as exc:
        error = describe(exc)
        if error.connection_broken and fresh:  # the server cannot be reached at all:
            connection.unreachable = error  # no point trying the others in this pass
    except Exception as exc:
        error = _unexpected(message_id, exc)
    else:
        return None
    if error.connection_broken:
        connection.drop()
    log.info("outbox message %s not sent: %s", message_id, error.text)
    return error


def _tally(report: SendReport, outcome: Outcome | None) -> None:
    if outcome is None:
        report.lost += 1
    elif outcome is Outcome.SENT:
        report.sent += 1
    elif outcome is Outcome.RETRY:
        report.retried += 1
    else:
        report.failed += 1


def _send_pass(limit: int) -> SendReport:
    settings = _settings()
    url = parse_mail_url(current_app.config["MAIL_URL"])  # a bad setting fails before claiming
    report = SendReport()
    report.released, report.failed = release_stale_claims(settings)
    db.session.commit()
    token = secrets.token_hex(16)
    claimed = claim_due(limit, token)
    db.session.commit()
    report.claimed = len(claimed)
    if not claimed:
        return report
    with SmtpConnection(url, settings.timeout) as connection:
        for message_id in claimed:
            error = connection.unreachable or _attempt(connection, message_id, settings.sender)
            _tally(report, _finish(message_id, token, error, settings))
    return report


def send_pending(app: Flask | None = None, *, limit: int = 100) -> SendReport:
    """One sending pass: release stale claims, claim due messages, send, record outcomes."""
    if app is None:
        return _send_pass(limit)
    with app.app_context():
        try:
            return _send_pass(limit)
        finally:
            db.session.remove()


# -- administration ------------------------------------------------------------------------


def retry_now(message_id: int, actor: Any) -> OutboxMessage:
    """Queue a failed (or waiting) message for the next pass, with a fresh set of attempts."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound()
    if message.status not in (OutboxStatus.FAILED, OutboxStatus.QUEUED):
        raise Conflict(_l("Only failed or waiting messages can be retried."))
    before = {"status": message.status.value, "attempts": message.attempts}
    now = clock.now()
    changed = _rows_changed(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == message.status)
        .values(status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed != 1:  # a sender claimed it in the meantime
        raise Conflict(_l("This message is being sent right now. Please reload the page."))
    db.session.refresh(message)
    audit.record(
        actor, "mail.retry_requested", message, before, {"status": "queued", "attempts": 0}
    )
    return message


def list_messages(status: OutboxStatus | None, page: int, per_page: int = 50) -> Pagination:
    """One page of the outbox, newest first, optionally of one status."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def counts_by_status() -> dict[OutboxStatus, int]:
    """How many messages are in each status."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


def get_message(message_id: int) -> OutboxMessage:
    """One message or NotFound."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound()
    return message


def due_count(now: datetime | None = None) -> int:
    """How many queued messages are due (for monitoring)."""
    moment = now or clock.now()
    return int(
        db.session.scalar(
            select(func.count()).where(
                OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= moment
            )
        )
        or 0
    )

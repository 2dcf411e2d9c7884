"""The outbox and its sender, against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import event, select

from civic import clock
from civic.accounts.models import Role
from civic.audit.models import AuditEntry
from civic.errors import Conflict, InvalidInput
from civic.extensions import db
from civic.mail import services
from civic.mail.models import OutboxMessage, OutboxStatus
from civic.mail.rules import backoff, parse_mail_url, scrub
from civic.mail.services import claim_due, enqueue, enqueue_template, retry_now, send_pending
from civic.mail.views import STATUS_LABELS
from tests.support import SmtpSink, csrf_token, free_port

DUTCH = "Geachte bewoner, uw idee ‘Fietsenstalling bij het station’ krijgt één reactie — café!"


def _queue(to: str = "bewoner@example.org", **kwargs: Any) -> OutboxMessage:
    fields = {"subject": "Uw idee is ontvangen", "body_text": "Hallo", "kind": "test.kind"}
    message = enqueue(to=to, **{**fields, **kwargs})
    db.session.commit()
    return message


def _reload(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None
    return message


def _restart(sink: SmtpSink) -> None:
    """Start the server again on the same port (an aiosmtpd controller cannot restart)."""
    sink.controller = Controller(sink.controller.handler, hostname=sink.host, port=sink.port)
    sink.controller.start()


def _mail_audit() -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("mail.%")).order_by(AuditEntry.seq)
        )
    )


# -- pure rules ----------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap() -> None:
    base, cap = timedelta(minutes=1), timedelta(hours=6)
    waits = [backoff(n, base, cap) for n in range(1, 12)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits[-1] == cap and max(waits) == cap


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:1025", ("127.0.0.1", 1025, "plain", None, None)),
        ("smtps://mail.example.org", ("mail.example.org", 465, "ssl", None, None)),
        (
            "smtp+starttls://u%40x:p%3Aw@mx.example.org",
            ("mx.example.org", 587, "starttls", "u@x", "p:w"),
        ),
    ],
)
def test_mail_url(url: str, expected: tuple[Any, ...]) -> None:
    parsed = parse_mail_url(url)
    assert (parsed.host, parsed.port, parsed.security, parsed.username, parsed.password) == expected


def test_mail_url_rejects_unknown_scheme() -> None:
    with pytest.raises(ValueError, match="scheme"):
        parse_mail_url("http://127.0.0.1")


def test_scrub_removes_addresses() -> None:
    text = scrub("550 5.1.1 <jan.de.vries@example.org>: Recipient address rejected")
    assert "@" not in text and "<address>" in text


# -- queueing ------------------------------------------------------------------------------


def test_enqueue_writes_one_audit_row_without_the_address(app: Flask) -> None:
    message = _queue(kind="account.confirm")
    assert message.status is OutboxStatus.QUEUED and message.attempts == 0
    assert message.message_id.startswith("<") and message.message_id.endswith("@civic.example>")
    rows = _mail_audit()
    assert [(r.action, r.object_type, r.object_id) for r in rows] == [
        ("mail.queued", "OutboxMessage", str(message.id))
    ]
    assert "account.confirm" in rows[0].after
    assert "example.org" not in rows[0].after + rows[0].before


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("not-an-address", "Hallo"),
        ("a@b.nl\r\nBcc: x@y.nl", "Hallo"),
        ("bewoner@example.org", "Hallo\r\nBcc: x@y.nl"),
        ("bewoner@example.org", "   "),
    ],
)
def test_enqueue_refuses_bad_input_and_writes_nothing(app: Flask, to: str, subject: str) -> None:
    with app.test_request_context(), pytest.raises(InvalidInput):
        enqueue(to=to, subject=subject, body_text="x", kind="test.kind")
    db.session.rollback()
    assert db.session.scalar(select(OutboxMessage.id)) is None
    assert _mail_audit() == []


def test_enqueue_template_renders_in_the_recipients_locale(app: Flask) -> None:
    templates = {
        "mail/test_note.txt": '{{ _("Outbox") }}: {{ name }}\n',
        "mail/test_note.html": '<p>{{ _("Outbox") }}: {{ name }}</p>',
        "mail/test_plain.txt": "{{ name }} & co\n",
    }
    app.jinja_env.loader = ChoiceLoader([DictLoader(templates), app.jinja_env.loader])
    subject = STATUS_LABELS[OutboxStatus.SENT]  # a lazy gettext string
    dutch = enqueue_template("a@example.org", "test.note", "test_note", subject=subject, name="Jan")
    english = enqueue_template(
        "b@example.org", "test.note", "test_note", subject=subject, locale="en", name="<Jo>"
    )
    plain = enqueue_template("c@example.org", "test.note", "test_plain", subject=subject, name="A")
    db.session.commit()
    assert (dutch.subject, dutch.body_text) == ("Verstuurd", "Postvak uit: Jan\n")
    assert dutch.body_html == "<p>Postvak uit: Jan</p>"
    assert (english.subject, english.body_text) == ("Sent", "Outbox: <Jo>\n")
    assert english.body_html == "<p>Outbox: &lt;Jo&gt;</p>"  # HTML is escaped, text is not
    assert plain.body_text == "A & co\n" and plain.body_html is None


# -- sending -------------------------------------------------------------------------------


def test_send_delivers_utf8_with_stable_headers(app: Flask, smtp_server: SmtpSink) -> None:
    message = _queue(
        to="j.de.vries@example.org",
        subject="Reactie op ‘Fietsenstalling’ — één stem",
        body_text=DUTCH + "\n",
        body_html=f"<p>{DUTCH}</p>",
        kind="idea.response",
    )
    report = send_pending(app)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [received] = smtp_server.messages
    assert received["Subject"] == "Reactie op ‘Fietsenstalling’ — één stem"
    assert received["To"] == "j.de.vries@example.org"
    assert received["From"] == app.config["MAIL_FROM"]
    assert received["Message-ID"] == message.message_id
    assert received["Auto-Submitted"] == "auto-generated"
    plain = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content_charset() == "utf-8"
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert plain.get_content().replace("\r\n", "\n") == DUTCH + "\n"  # CRLF on the wire
    assert html.get_content().strip() == f"<p>{DUTCH}</p>"
    stored = _reload(message.id)
    assert stored.status is OutboxStatus.SENT and stored.attempts == 1
    assert stored.sent_at is not None and stored.claim_token is None
    assert [r.action for r in _mail_audit()] == ["mail.queued", "mail.sending", "mail.sent"]
    assert send_pending(app).claimed == 0  # nothing is sent twice


def test_server_down_message_waits_then_goes_out_once(app: Flask, smtp_server: SmtpSink) -> None:
    smtp_server.stop()
    first, second = _queue(), _queue(to="ander@example.org")
    report = send_pending(app)
    assert (report.claimed, report.retried, report.sent) == (2, 2, 0)
    waiting = _reload(first.id)
    assert waiting.status is OutboxStatus.QUEUED and waiting.attempts == 1
    assert waiting.next_attempt_at > clock.now()
    assert waiting.last_error and "ConnectionRefused" in waiting.last_error
    assert send_pending(app).claimed == 0  # backing off: not due yet

    _restart(smtp_server)
    clock.move(timedelta(minutes=2))
    report = send_pending(app)
    assert (report.sent, report.retried) == (2, 0)
    assert send_pending(app).claimed == 0
    clock.move(timedelta(hours=7))
    assert send_pending(app).claimed == 0
    ids = sorted(m["Message-ID"] for m in smtp_server.messages)
    assert ids == sorted([first.message_id, second.message_id])
    assert _reload(first.id).attempts == 2 and _reload(first.id).status is OutboxStatus.SENT
    assert not any("example.org" in r.after for r in _mail_audit())


def test_out_of_attempts_fails_and_admin_retry_sends(app: Flask, smtp_server: SmtpSink) -> None:
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp_server.stop()
    message = _queue()
    send_pending(app)
    clock.move(timedelta(minutes=2))
    report = send_pending(app)
    assert report.failed == 1
    assert _reload(message.id).status is OutboxStatus.FAILED
    clock.move(timedelta(days=1))
    assert send_pending(app).claimed == 0  # failed messages stay put

    retry_now(message.id, None)
    db.session.commit()
    _restart(smtp_server)
    assert send_pending(app).sent == 1
    assert len(smtp_server.messages) == 1
    actions = [r.action for r in _mail_audit()]
    assert actions.count("mail.retry") == 1 and actions.count("mail.failed") == 1
    assert actions[-3:] == ["mail.retry_requested", "mail.sending", "mail.sent"]
    with app.test_request_context(), pytest.raises(Conflict):
        retry_now(message.id, None)


@pytest.fixture()
def picky_server(app: Flask) -> Iterator[SmtpSink]:
    """A real SMTP server that refuses some recipients: nobody@ for good (550), busy@ for
    now (450)."""
    sink = SmtpSink("127.0.0.1", free_port())

    class Handler:
        async def handle_RCPT(  # noqa: N802
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if address.startswith("nobody@"):
                return f"550 5.1.1 <{address}>: Recipient address rejected"
            if address.startswith("busy@"):
                return f"450 4.2.1 <{address}>: Mailbox busy, try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
            return "250 OK"

    sink.controller = Controller(Handler(), hostname=sink.host, port=sink.port)
    sink.controller.start()
    app.config["MAIL_URL"] = sink.url
    yield sink
    with contextlib.suppress(AssertionError, RuntimeError):
        sink.controller.stop()


def test_permanent_refusal_fails_at_once_temporary_retries(
    app: Flask, picky_server: SmtpSink
) -> None:
    refused = _queue(to="nobody@example.org")
    busy = _queue(to="busy@example.org")
    fine = _queue(to="bewoner@example.org")
    report = send_pending(app)
    assert (report.sent, report.retried, report.failed) == (1, 1, 1)
    assert _reload(refused.id).status is OutboxStatus.FAILED
    assert _reload(refused.id).attempts == 1
    assert _reload(busy.id).status is OutboxStatus.QUEUED
    assert _reload(fine.id).status is OutboxStatus.SENT
    assert len(picky_server.messages) == 1
    errors = [_reload(m.id).last_error or "" for m in (refused, busy)]
    assert "550" in errors[0] and "450" in errors[1]
    assert all("@" not in e for e in errors)
    assert not any("example.org" in r.after for r in _mail_audit())


def test_two_senders_never_send_a_message_twice(app: Flask, smtp_server: SmtpSink) -> None:
    """Both senders read the same due messages before either claims them."""
    ids = [_queue(to=f"bewoner{i}@example.org").id for i in range(6)]
    barrier = threading.Barrier(2, timeout=30)
    local = threading.local()
    met: list[int] = []

    def after_select(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "outbox_message.next_attempt_at <=" in statement and not getattr(local, "met", 0):
            local.met = 1
            met.append(threading.get_ident())
            barrier.wait()  # both senders have their candidate list; now both claim

    reports: list[services.SendReport] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            reports.append(send_pending(app))
        except BaseException as error:  # noqa: BLE001 - surfaced below
            errors.append(error)

    event.listen(db.engine, "after_cursor_execute", after_select)
    try:
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(db.engine, "after_cursor_execute", after_select)
    assert not errors
    assert len(set(met)) == 2  # the interleaving really happened
    assert sorted(r.claimed for r in reports) == [0, 6]
    assert sum(r.sent for r in reports) == 6
    received = [m["Message-ID"] for m in smtp_server.messages]
    assert sorted(received) == sorted(_reload(i).message_id for i in ids)
    assert len(set(received)) == 6


def test_claim_of_a_crashed_sender_is_released(app: Flask, smtp_server: SmtpSink) -> None:
    message = _queue()
    assert claim_due(10, "sender-that-dies") == [message.id]
    db.session.commit()
    assert send_pending(app).claimed == 0  # still held: the sender may just be slow
    assert _reload(message.id).status is OutboxStatus.SENDING

    clock.move(timedelta(minutes=11))
    assert send_pending(app).released == 1
    released = _reload(message.id)
    assert released.status is OutboxStatus.QUEUED and released.attempts == 1
    clock.move(timedelta(minutes=2))
    assert send_pending(app).sent == 1
    assert len(smtp_server.messages) == 1
    # The presumed-dead sender wakes up: its outcome cannot overwrite the real one.
    settings = services._settings()
    assert services._finish(message.id, "sender-that-dies", None, settings) is None
    assert _reload(message.id).status is OutboxStatus.SENT
    assert "mail.released" in [r.action for r in _mail_audit()]


@pytest.fixture()
def auth_server(app: Flask) -> Iterator[SmtpSink]:
    """A real SMTP server that wants a login (user "civic", password "geheim:1/@")."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    sink = SmtpSink("127.0.0.1", free_port())

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"civic",
            b"geheim:1/@",
        )
        return AuthResult(success=ok, handled=False)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
            return "250 OK"

    sink.controller = Controller(
        Handler(),
        hostname=sink.host,
        port=sink.port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    sink.controller.start()
    yield sink
    with contextlib.suppress(AssertionError, RuntimeError):
        sink.controller.stop()


def test_login_with_credentials_from_the_url(app: Flask, auth_server: SmtpSink) -> None:
    app.config["MAIL_URL"] = f"smtp://civic:wrong@{auth_server.host}:{auth_server.port}"
    message = _queue()
    assert send_pending(app).retried == 1  # our settings are wrong, not the message
    error = _reload(message.id).last_error or ""
    assert "SMTPAuthenticationError" in error and "wrong" not in error
    app.config["MAIL_URL"] = f"smtp://civic:geheim%3A1%2F%40@{auth_server.host}:{auth_server.port}"
    clock.move(timedelta(minutes=2))
    assert send_pending(app).sent == 1
    assert len(auth_server.messages) == 1


# -- command line --------------------------------------------------------------------------


def test_cli_send_and_list(app: Flask, runner: Any, smtp_server: SmtpSink) -> None:
    _queue(subject="Uitnodiging voor het burgerpanel")
    listed = runner.invoke(args=["mail", "list"])
    assert listed.exit_code == 0 and "queued" in listed.output
    assert "Uitnodiging voor het burgerpanel" in listed.output
    sent = runner.invoke(args=["mail", "send"])
    assert sent.exit_code == 0, sent.output
    assert "1 sent, 0 to retry, 0 failed" in sent.output
    assert len(smtp_server.messages) == 1
    assert "sent" in runner.invoke(args=["mail", "list", "--status", "sent"]).output


# -- admin pages ---------------------------------------------------------------------------


def test_outbox_requires_login(client: FlaskClient) -> None:
    answer = client.get("/admin/outbox/")
    assert answer.status_code == 302 and "/account/login" in answer.headers["Location"]


def test_outbox_refuses_residents_and_logs_it(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any], login: Callable[..., None]
) -> None:
    message = _queue()
    resident = make_user(Role.RESIDENT)
    login(client, resident)
    assert client.get("/admin/outbox/").status_code == 403
    assert client.get(f"/admin/outbox/{message.id}").status_code == 403
    denied = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "access.denied")
    ).all()
    assert len(denied) == 2 and all(d.actor_id == resident.id for d in denied)


def test_admin_reads_the_outbox_and_retries(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., Any],
    login: Callable[..., None],
    smtp_server: SmtpSink,
) -> None:
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    smtp_server.stop()
    failed = _queue(subject="Uw stem is geteld", body_text=DUTCH)
    send_pending(app)
    _queue(subject="Wachtend bericht")
    admin = make_user(Role.ADMIN)
    login(client, admin)

    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert "Postvak uit" in page and "Uw stem is geteld" in page and "Wachtend bericht" in page
    only_failed = client.get("/admin/outbox/?status=failed").get_data(as_text=True)
    assert "Uw stem is geteld" in only_failed and "Wachtend bericht" not in only_failed
    assert client.get("/admin/outbox/?status=lost").status_code == 422
    assert client.get("/admin/outbox/?page=0").status_code == 422

    detail = client.get(f"/admin/outbox/{failed.id}").get_data(as_text=True)
    assert "Geachte bewoner" in detail and "Mislukt" in detail and "mail.failed" in detail
    assert client.get("/admin/outbox/99999").status_code == 404

    url = f"/admin/outbox/{failed.id}/retry"
    assert client.post(url).status_code == 400  # no CSRF token
    token = csrf_token(client, f"/admin/outbox/{failed.id}")
    answer = client.post(url, data={"csrf_token": token})
    assert answer.status_code == 302
    assert _reload(failed.id).status is OutboxStatus.QUEUED
    [requested] = [r for r in _mail_audit() if r.action == "mail.retry_requested"]
    assert requested.actor_id == admin.id


def test_outbox_pages_through_long_lists(
    app: Flask, client: FlaskClient, make_user: Callable[..., Any], login: Callable[..., None]
) -> None:
    for i in range(55):
        enqueue(to=f"b{i}@example.org", subject=f"Bericht {i:02d}", body_text="x", kind="t")
    db.session.commit()
    login(client, make_user(Role.ADMIN))
    first = client.get("/admin/outbox/").get_data(as_text=True)
    assert "Bericht 54" in first and "Bericht 04" not in first and "Pagina 1 van 2" in first
    second = client.get("/admin/outbox/?page=2").get_data(as_text=True)
    assert "Bericht 04" in second and "Bericht 54" not in second

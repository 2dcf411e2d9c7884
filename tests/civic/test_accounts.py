"""Accounts: sign-up, confirmation, log-in/out, throttling, password reset, profile."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from civic import clock
from civic.accounts.models import LoginSession, User
from civic.extensions import db
from tests.civic.account_support import (
    PASSWORD,
    audit_rows,
    confirm_via_outbox,
    link_path,
    log_in,
    outbox,
    post,
    signup,
    without_tokens,
)
from tests.support import SmtpSink

EMAIL = "anna@example.org"


def _user(email: str = EMAIL) -> User:
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/account/").status_code == 200


def test_signup_confirm_login_logout(client: FlaskClient) -> None:
    answer = signup(client, " Anna@Example.org ", name="Anna")
    assert answer.status_code == 200
    assert "anna@example.org" in answer.get_data(as_text=True).lower()
    user = _user()
    assert user.password_hash.startswith("$argon2id$")
    assert user.email_confirmed_at is None and user.display_name == "Anna"
    assert user.locale == "nl"  # the language in use when signing up is remembered

    (mail,) = outbox("account.confirm", EMAIL)
    path = link_path(mail.body_text)
    assert path in (mail.body_html or "")
    assert client.get(path).status_code == 200  # a GET alone confirms nothing
    assert _user().email_confirmed_at is None
    confirmed = post(client, path, {})
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/account/login"
    assert _user().email_confirmed_at is not None

    logged = log_in(client, EMAIL)
    assert logged.status_code == 302 and logged.headers["Location"] == "/account/"
    assert _logged_in(client)
    out = post(client, "/account/logout", {}, form_page="/account/")
    assert out.status_code == 302
    assert not _logged_in(client)
    actions = [e.action for e in audit_rows() if e.object_type == "User"]
    assert actions == ["account.created", "account.confirmed", "login.succeeded", "session.ended"]
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_logout_needs_post(client: FlaskClient) -> None:
    assert client.get("/account/logout").status_code == 405


def test_unconfirmed_account_cannot_log_in_and_can_ask_for_a_new_link(client: FlaskClient) -> None:
    signup(client, EMAIL)
    refused = log_in(client, EMAIL)
    assert refused.status_code == 403
    assert "Bevestig eerst uw e-mailadres" in refused.get_data(as_text=True)
    assert not _logged_in(client)
    clock.move(timedelta(minutes=2))
    again = post(client, "/account/confirm", {"email": EMAIL})
    assert again.status_code == 200
    assert len(outbox("account.confirm", EMAIL)) == 2
    confirm_via_outbox(client, EMAIL)
    assert log_in(client, EMAIL).status_code == 302


def test_resend_answer_is_the_same_for_unknown_addresses(client: FlaskClient) -> None:
    known = post(client, "/account/confirm", {"email": EMAIL})
    signup(client, "bob@example.org")
    clock.move(timedelta(minutes=2))
    unknown = post(client, "/account/confirm", {"email": "bob@example.org"})
    assert without_tokens(known.get_data(as_text=True)).replace(EMAIL, "x") == without_tokens(
        unknown.get_data(as_text=True)
    ).replace("bob@example.org", "x")


def test_replayed_confirmation_link_is_refused(client: FlaskClient) -> None:
    signup(client, EMAIL)
    path = link_path(outbox("account.confirm", EMAIL)[0].body_text)
    assert post(client, path, {}).status_code == 302
    replay = post(client, path, {})
    assert replay.status_code == 400
    assert "Deze link is niet geldig" in replay.get_data(as_text=True)
    assert len(audit_rows("account.confirmed")) == 1


def test_expired_or_forged_confirmation_link_is_refused(client: FlaskClient, app: Flask) -> None:
    signup(client, EMAIL)
    path = link_path(outbox("account.confirm", EMAIL)[0].body_text)
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert post(client, forged, {}).status_code == 400
    clock.move(app.config["TOKEN_MAX_AGE"] + timedelta(seconds=1))
    assert post(client, path, {}).status_code == 400
    assert _user().email_confirmed_at is None


def test_a_reset_link_does_not_confirm_as_a_confirmation_link(client: FlaskClient) -> None:
    signup(client, EMAIL)
    post(client, "/account/reset", {"email": EMAIL})
    reset_path = link_path(outbox("account.reset", EMAIL)[0].body_text)
    token = reset_path.rsplit("/", 1)[1]
    assert post(client, f"/account/confirm/{token}", {}, "/account/confirm").status_code == 400


def test_signup_with_a_known_address_answers_the_same(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    make_user(email=EMAIL)
    known = signup(client, EMAIL)
    new = signup(client, "new@example.org")
    assert known.status_code == new.status_code == 200
    assert without_tokens(known.get_data(as_text=True)).replace(EMAIL, "x") == without_tokens(
        new.get_data(as_text=True)
    ).replace("new@example.org", "x")
    assert len(outbox("account.exists", EMAIL)) == 1
    assert outbox("account.confirm", EMAIL) == []
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_password_policy(client: FlaskClient) -> None:
    cases = {
        "short-pw": "Gebruik minstens 12 tekens.",
        EMAIL: "Gebruik uw e-mailadres niet als wachtwoord.",
        "anna": "Gebruik uw e-mailadres niet als wachtwoord.",
        "Password1234": "Dit wachtwoord komt te vaak voor.",
        "zzzzzzzzzzzzzz": "Dit wachtwoord komt te vaak voor.",
    }
    for password, message in cases.items():
        answer = post(client, "/account/signup", {"email": EMAIL, "password": password})
        assert answer.status_code == 422, password
        html = answer.get_data(as_text=True)
        assert message in html and 'aria-invalid="true"' in html
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_password_policy_messages_in_english(client: FlaskClient) -> None:
    post(client, "/language", {"lang": "en", "next": "/"}, form_page="/")
    for password, message in {
        "short-pw": "Use at least 12 characters.",
        EMAIL: "Do not use your e-mail address as your password.",
        "Password1234": "This password is too common.",
    }.items():
        answer = post(client, "/account/signup", {"email": EMAIL, "password": password})
        assert answer.status_code == 422
        assert message in answer.get_data(as_text=True)


def test_failed_logins_look_the_same_for_known_and_unknown_accounts(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    make_user(email=EMAIL, password=PASSWORD)
    known = log_in(client, EMAIL, "wrong password here")
    unknown = log_in(client, "nobody@example.org", "wrong password here")
    assert known.status_code == unknown.status_code == 401
    assert without_tokens(known.get_data(as_text=True)).replace(EMAIL, "x") == without_tokens(
        unknown.get_data(as_text=True)
    ).replace("nobody@example.org", "x")


def test_failed_login_audit_stores_no_password_or_unknown_address(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    make_user(email=EMAIL)
    log_in(client, EMAIL, "secret-guess-one")
    log_in(client, "stranger@example.org", "secret-guess-two")
    rows = audit_rows("login.failed")
    assert len(rows) == 2
    text = " ".join(f"{r.object_type} {r.object_id} {r.before} {r.after}" for r in rows)
    assert "secret-guess" not in text and "stranger" not in text
    assert rows[0].object_type == "User" and "wrong_password" in rows[0].after
    assert rows[1].object_type == "login" and "unknown_account" in rows[1].after


def _hammer(client: FlaskClient, email: str, times: int, ip: str = "127.0.0.1") -> None:
    for _ in range(times):
        answer = log_in(client, email, "not the password", environ_base={"REMOTE_ADDR": ip})
        assert answer.status_code == 401


def test_throttling_per_account_answers_alike_for_known_and_unknown(
    client: FlaskClient, make_user: Callable[..., Any], app: Flask
) -> None:
    clock.freeze(clock.now())
    make_user(email=EMAIL, password=PASSWORD)
    limit = app.config["LOGIN_FAILURES_PER_ACCOUNT"]
    _hammer(client, EMAIL, limit)
    _hammer(client, "ghost@example.org", limit)
    right_password = log_in(client, EMAIL, PASSWORD)
    wrong_password = log_in(client, EMAIL, "still not it")
    unknown = log_in(client, "ghost@example.org", PASSWORD)
    for answer in (right_password, wrong_password, unknown):
        assert answer.status_code == 429
        assert int(answer.headers["Retry-After"]) == 15 * 60
    bodies = {
        without_tokens(a.get_data(as_text=True))
        .replace(EMAIL, "x")
        .replace("ghost@example.org", "x")
        for a in (right_password, wrong_password, unknown)
    }
    assert len(bodies) == 1
    assert not _logged_in(client)
    # Another account from the same address is not affected.
    make_user(email="other@example.org", password=PASSWORD)
    assert log_in(client, "other@example.org").status_code == 302


def test_throttling_ends_after_the_window(
    client: FlaskClient, make_user: Callable[..., Any], app: Flask
) -> None:
    clock.freeze(clock.now())
    make_user(email=EMAIL, password=PASSWORD)
    _hammer(client, EMAIL, app.config["LOGIN_FAILURES_PER_ACCOUNT"])
    clock.move(timedelta(minutes=10))
    answer = log_in(client, EMAIL)
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) == 5 * 60
    clock.move(timedelta(minutes=5))
    assert log_in(client, EMAIL).status_code == 302


def test_throttling_per_ip_address(client: FlaskClient, make_user: Callable[..., Any]) -> None:
    clock.freeze(clock.now())
    make_user(email=EMAIL, password=PASSWORD)
    for n in range(20):  # 20 different addresses, one failure each, from one IP
        _hammer(client, f"guess{n}@example.org", 1, ip="203.0.113.9")
    from_attacker = log_in(client, EMAIL, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    unknown = log_in(client, "guess99@example.org", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert from_attacker.status_code == unknown.status_code == 429
    assert without_tokens(from_attacker.get_data(as_text=True)).replace(
        EMAIL, "x"
    ) == without_tokens(unknown.get_data(as_text=True)).replace("guess99@example.org", "x")
    elsewhere = log_in(client, EMAIL, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert elsewhere.status_code == 302


def test_ip_behind_a_trusted_proxy_is_the_forwarded_one(
    make_user: Callable[..., Any], app: Flask
) -> None:
    from civic import create_app

    proxied = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TRUST_PROXY_HOPS": 1},
    )
    from tests.conftest import IsolatedClient

    proxied.test_client_class = IsolatedClient
    client = proxied.test_client()
    with proxied.app_context():
        log_in(
            client, "x@example.org", "wrong wrong wrong", headers={"X-Forwarded-For": "192.0.2.4"}
        )
        db.session.remove()
        db.engine.dispose()
    from civic.accounts.throttle import ip_pseudonym

    (row,) = audit_rows("login.failed")
    assert f'"ip":"{ip_pseudonym("192.0.2.4")}"' in row.after  # the audit log holds no IP
    assert "192.0.2.4" not in row.after


def test_copied_session_cookie_stops_working_after_logout(
    client: FlaskClient, make_user: Callable[..., Any], app: Flask
) -> None:
    make_user(email=EMAIL, password=PASSWORD)
    log_in(client, EMAIL)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    assert thief.get("/account/").status_code == 200
    post(client, "/account/logout", {}, form_page="/account/")
    stolen = thief.get("/account/")
    assert stolen.status_code == 302 and "/account/login" in stolen.headers["Location"]


def test_login_redirects_only_to_local_pages(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    make_user(email=EMAIL, password=PASSWORD)
    token_page = client.get("/account/login?next=//evil.example/x")
    assert token_page.status_code == 200
    answer = post(
        client,
        "/account/login",
        {"email": EMAIL, "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert answer.headers["Location"] == "/account/"


def test_protected_page_sends_visitors_to_log_in_and_back(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    make_user(email=EMAIL, password=PASSWORD)
    answer = client.get("/account/")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/account/login?next=")
    back = post(
        client, "/account/login", {"email": EMAIL, "password": PASSWORD, "next": "/account/"}
    )
    assert back.headers["Location"] == "/account/"


def test_password_reset(client: FlaskClient, make_user: Callable[..., Any], app: Flask) -> None:
    make_user(email=EMAIL, password=PASSWORD)
    other_device = app.test_client()
    log_in(other_device, EMAIL)
    assert _logged_in(other_device)

    known = post(client, "/account/reset", {"email": EMAIL})
    unknown = post(client, "/account/reset", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.get_data(as_text=True)).replace(EMAIL, "x") == without_tokens(
        unknown.get_data(as_text=True)
    ).replace("nobody@example.org", "x")
    (mail,) = outbox("account.reset")
    assert mail.to_address == EMAIL
    path = link_path(mail.body_text)

    weak = post(client, path, {"password": "short"})
    assert weak.status_code == 422
    done = post(client, path, {"password": "a brand new passphrase"})
    assert done.status_code == 302 and done.headers["Location"] == "/account/login"
    assert not _logged_in(other_device)  # every session ended
    assert post(client, path, {"password": "yet another passphrase"}, "/").status_code == 400
    assert client.get(path).status_code == 400
    assert log_in(client, EMAIL, PASSWORD).status_code == 401
    assert log_in(client, EMAIL, "a brand new passphrase").status_code == 302
    assert len(audit_rows("password.reset")) == 1


def test_password_change_invalidates_open_reset_links(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    make_user(email=EMAIL, password=PASSWORD)
    post(client, "/account/reset", {"email": EMAIL})
    path = link_path(outbox("account.reset")[0].body_text)
    log_in(client, EMAIL)
    changed = post(
        client,
        "/account/password",
        {"pw-current": PASSWORD, "pw-password": "my next long passphrase"},
        form_page="/account/",
    )
    assert changed.status_code == 302
    assert client.get(path).status_code == 400


def test_change_password_needs_the_current_one_and_ends_other_sessions(
    client: FlaskClient, make_user: Callable[..., Any], app: Flask
) -> None:
    make_user(email=EMAIL, password=PASSWORD)
    other_device = app.test_client()
    log_in(other_device, EMAIL)
    log_in(client, EMAIL)
    wrong = post(
        client,
        "/account/password",
        {"pw-current": "not my password", "pw-password": "my next long passphrase"},
        form_page="/account/",
    )
    assert wrong.status_code == 422
    assert "Uw huidige wachtwoord klopt niet" in wrong.get_data(as_text=True)
    ok = post(
        client,
        "/account/password",
        {"pw-current": PASSWORD, "pw-password": "my next long passphrase"},
        form_page="/account/",
    )
    assert ok.status_code == 302
    assert _logged_in(client) and not _logged_in(other_device)
    assert len(audit_rows("password.changed")) == 1


def test_profile_name_public_name_and_language(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    make_user(email=EMAIL, password=PASSWORD)
    log_in(client, EMAIL)
    saved = post(
        client,
        "/account/",
        {"display_name": "Anna de Vries", "show_publicly": "y", "locale": "en"},
    )
    assert saved.status_code == 302
    user = _user()
    assert (user.display_name, user.public_name, user.locale) == (
        "Anna de Vries",
        "Anna de Vries",
        "en",
    )
    page = client.get("/account/").get_data(as_text=True)
    assert '<html lang="en">' in page and "My account" in page
    (entry,) = audit_rows("profile.changed")
    assert '"locale":"en"' in entry.after and '"public_name"' in entry.after  # field names
    assert "Anna" not in entry.before + entry.after  # never the name itself
    hidden = post(client, "/account/", {"display_name": "Anna", "locale": "en"})
    assert hidden.status_code == 302
    assert _user().public_name is None
    refused = post(client, "/account/", {"display_name": "", "show_publicly": "y", "locale": "en"})
    assert refused.status_code == 422
    assert "Enter a name to show it publicly." in refused.get_data(as_text=True)


def test_language_choice_survives_log_in(
    client: FlaskClient, make_user: Callable[..., Any]
) -> None:
    user = make_user(email=EMAIL, password=PASSWORD)
    user.locale = "en"
    db.session.commit()
    log_in(client, EMAIL)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    post(client, "/account/logout", {}, form_page="/account/")
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_signup_confirm_through_real_smtp(client: FlaskClient, smtp_server: SmtpSink) -> None:
    from civic.mail.services import send_pending

    signup(client, EMAIL)
    report = send_pending()
    assert report.sent == 1
    (message,) = smtp_server.messages
    assert message["To"] == EMAIL
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    path = link_path(body.get_content())
    assert post(client, path, {}).status_code == 302
    assert log_in(client, EMAIL).status_code == 302
    assert _logged_in(client)


def test_housekeeping_forgets_old_attempts_sessions_and_links(
    client: FlaskClient, make_user: Callable[..., Any], login: Any, app: Flask
) -> None:
    from civic.accounts.jobs import purge_expired
    from civic.accounts.models import AccountToken, LoginAttempt

    make_user(email=EMAIL, password=PASSWORD)
    log_in(client, EMAIL, "wrong wrong wrong")
    log_in(client, EMAIL)
    log_in(client, "ghost@example.org", "an old failure")
    post(client, "/account/reset", {"email": EMAIL})
    assert purge_expired() == {"attempts": 0, "sessions": 0, "tokens": 0}
    db.session.commit()
    clock.move(app.config["PERMANENT_SESSION_LIFETIME"] + timedelta(days=31))
    log_in(client, "other@example.org", "a fresh failure")
    assert purge_expired() == {"attempts": 1, "sessions": 1, "tokens": 1}
    db.session.commit()
    for model in (LoginAttempt, LoginSession, AccountToken):
        count = db.session.scalar(select(func.count()).select_from(model))
        assert count == (1 if model is LoginAttempt else 0)


def test_guessing_the_current_password_is_throttled_too(
    client: FlaskClient, make_user: Callable[..., Any], app: Flask
) -> None:
    clock.freeze(clock.now())
    make_user(email=EMAIL, password=PASSWORD)
    log_in(client, EMAIL)
    data = {"pw-current": "a wrong guess", "pw-password": "my next long passphrase"}
    for _ in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        assert post(client, "/account/password", data, form_page="/account/").status_code == 422
    right = {**data, "pw-current": PASSWORD}
    refused = post(client, "/account/password", right, form_page="/account/")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 15 * 60
    assert audit_rows("password.changed") == []

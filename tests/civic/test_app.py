"""The factory, security headers, language switch and error pages."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support import csrf_token


def test_home_is_dutch_by_default(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert "Naar de hoofdinhoud" in html


def test_security_headers(client: FlaskClient) -> None:
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_language_switch_is_remembered(client: FlaskClient) -> None:
    token = csrf_token(client, "/")
    answer = client.post("/language", data={"lang": "en", "next": "/", "csrf_token": token})
    assert answer.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Skip to main content" in html


def test_language_switch_refuses_foreign_redirect(client: FlaskClient) -> None:
    token = csrf_token(client, "/")
    answer = client.post(
        "/language", data={"lang": "en", "next": "//evil.example/x", "csrf_token": token}
    )
    assert answer.headers["Location"] == "/"


def test_post_without_csrf_is_refused(client: FlaskClient) -> None:
    answer = client.post("/language", data={"lang": "en", "next": "/"})
    assert answer.status_code == 400


def test_unknown_page_is_404_in_design(client: FlaskClient) -> None:
    answer = client.get("/no-such-page")
    assert answer.status_code == 404
    assert "skip-link" in answer.get_data(as_text=True)

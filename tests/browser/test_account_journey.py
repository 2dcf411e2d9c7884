"""A resident's first visit in a real browser: sign up, confirm through the mail that really
passed through SMTP, log in, switch language (remembered on the account), log out. axe-core
checks every page on the way."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from civic.mail.services import send_pending

EMAIL = "nieuwe.inwoner@example.org"
PASSWORD = "lange zin als wachtwoord 2026"


def _confirmation_link(smtp_server: Any) -> str:
    [message] = smtp_server.messages
    assert message["To"] == EMAIL
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S+/account/confirm/\S+", body)
    assert match, body
    return match.group(0)


def test_sign_up_confirm_log_in_switch_language(
    app: Flask, page: Any, axe: Any, smtp_server: Any
) -> None:
    page.goto("/account/signup")
    axe.check(page)
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=display_name]", "Noor")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    axe.check(page)

    report = send_pending(app)  # the outbox goes out over real SMTP
    assert report.sent == 1, report
    link = _confirmation_link(smtp_server)
    page.goto(link)
    axe.check(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    axe.check(page)

    page.goto("/account/login")
    axe.check(page)
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "/account/login" not in page.url
    axe.check(page)
    # Logged in: the header offers log-out; switch to English.
    assert page.locator("form[action$='/account/logout']").count() == 1
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    axe.check(page)

    page.locator("form[action$='/account/logout'] button").click()
    page.wait_for_load_state("load")
    page.context.clear_cookies()  # a new device: only the account remembers the language
    page.goto("/account/login")
    assert page.locator("html").get_attribute("lang") == "nl"
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    axe.check(page)

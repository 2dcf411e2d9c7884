"""The account mails (confirmation, reset, sign-up attempt on a known address)."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from civic.accounts.models import User


def _link(endpoint: str, **values: Any) -> str:
    # Links use the configured public address, never the request's Host header.
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + url_for(endpoint, **values)


def _locale(user: User) -> str:
    return user.locale or str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _send(user: User, kind: str, subject: str, lines: list[str], link: str | None) -> None:
    from civic.mail.services import enqueue  # the mail package is optional at import time

    text = "\n\n".join([*lines[:1], *([link] if link else []), *lines[1:]])
    parts = [Markup("<p>{}</p>").format(lines[0])]
    if link:
        parts.append(Markup('<p><a href="{0}">{0}</a></p>').format(link))
    parts += [Markup("<p>{}</p>").format(line) for line in lines[1:]]
    enqueue(
        to=user.email, subject=subject, body_text=text + "\n", body_html="".join(parts), kind=kind
    )


def send_confirmation(user: User, token: str) -> None:
    """Ask the owner of a new account to confirm the address."""
    link = _link("accounts.confirm", token=token)
    with force_locale(_locale(user)):
        hours = int(current_app.config["TOKEN_MAX_AGE"].total_seconds() // 3600)
        _send(
            user,
            "account.confirm",
            _("Confirm your e-mail address for Civic"),
            [
                _("Welcome to Civic. Open this link to confirm your e-mail address:"),
                _("The link works once and for %(hours)s hours.", hours=hours),
                _("Did you not sign up? Then you can ignore this message."),
            ],
            link,
        )


def send_reset(user: User, token: str) -> None:
    """Send a password-reset link."""
    link = _link("accounts.reset", token=token)
    with force_locale(_locale(user)):
        hours = int(current_app.config["TOKEN_MAX_AGE"].total_seconds() // 3600)
        _send(
            user,
            "account.reset",
            _("Choose a new password for Civic"),
            [
                _(
                    "Someone asked to reset the password of your Civic account. Open this link "
                    "to choose a new password:"
                ),
                _("The link works once and for %(hours)s hours.", hours=hours),
                _(
                    "Did you not ask for this? Then you can ignore this message; your password "
                    "stays the same."
                ),
            ],
            link,
        )


def send_already_registered(user: User) -> None:
    """Tell the owner that somebody tried to sign up again with their address."""
    link = _link("accounts.login")
    with force_locale(_locale(user)):
        _send(
            user,
            "account.exists",
            _("You already have a Civic account"),
            [
                _(
                    "Somebody tried to create a Civic account with your e-mail address. You "
                    "already have an account. Log in here, or reset your password from the "
                    "log-in page:"
                ),
                _("Was this not you? Then you can ignore this message."),
            ],
            link,
        )

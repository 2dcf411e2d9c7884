"""Accounts: sign-up, e-mail confirmation, log-in, log-out, password reset."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from civic.accounts import sessions, views  # noqa: E402,F401

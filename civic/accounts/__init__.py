"""Accounts: sign-up, e-mail confirmation, log-in, log-out, password reset."""

from flask import Blueprint

from civic.scheduling import register_job

bp = Blueprint("accounts", __name__)

from civic.accounts import jobs, sessions, views  # noqa: E402,F401

register_job("accounts.purge_expired", jobs.purge_expired, seconds=3600)

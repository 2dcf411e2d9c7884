"""Mail: an outbox table and a sender over real SMTP."""

from flask import Blueprint

from civic.scheduling import register_job

bp = Blueprint("mail", __name__)

from civic.mail import jobs, views  # noqa: E402,F401

register_job("mail.send", jobs.send_mail, seconds=30)

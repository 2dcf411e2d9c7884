"""Mail: an outbox table and a sender over real SMTP."""

from flask import Blueprint

bp = Blueprint("mail", __name__)

from civic.mail import views  # noqa: E402,F401

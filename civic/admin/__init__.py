"""Administration: users, roles, agencies, outbox, audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from civic.admin import views  # noqa: E402,F401

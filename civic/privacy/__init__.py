"""Privacy: download your data, erase your account, retention of unused letter codes."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from civic.privacy import views  # noqa: E402,F401

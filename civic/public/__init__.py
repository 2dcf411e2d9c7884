"""Public pages: home, language choice, health check."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from civic.public import views  # noqa: E402,F401

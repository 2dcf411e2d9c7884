"""Panels drafted like a jury: the register, invitation waves, draws, panels and their work."""

from flask import Blueprint

bp = Blueprint("panels", __name__)

from panels import views  # noqa: E402,F401

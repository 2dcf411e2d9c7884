"""Public results dashboard: Plotly charts built on the server, each with a table and a CSV.

See docs/dashboard.md.
"""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from civic.dashboard import views  # noqa: E402,F401

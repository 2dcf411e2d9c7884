"""Ideas: submission, screening, threshold votes before a deadline; the agency inbox.

See docs/ideas.md.
"""

from flask import Blueprint

bp = Blueprint("proposals", __name__, static_folder="static", static_url_path="/static")

from proposals import jobs, views  # noqa: E402,F401

jobs.register()

"""Read-only open data: JSON under /api/v1 with pagination, ETags and an OpenAPI document.

No personal data leaves through here: no e-mail address, no register id or key, and a
person's name only when they chose a public name. See docs/dashboard.md.
"""

from flask import Blueprint

bp = Blueprint("api", __name__)

from civic.api import views  # noqa: E402,F401

"""Panels drafted like a jury: the register, invitation waves, draws, panels and their work."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

bp = Blueprint("panels", __name__)
# Invitees reply at PUBLIC_BASE_URL/reply, outside the /panels prefix, without an account.
reply_bp = Blueprint("reply", __name__)


@bp.record_once
def _register_reply_pages(state: BlueprintSetupState) -> None:
    state.app.register_blueprint(reply_bp, url_prefix="/reply")


from panels import (  # noqa: E402,F401
    admin_views,
    clerk_views,
    jobs,
    panel_views,
    public_views,
    resident_views,
    views,
    work,
)

jobs.register_jobs()

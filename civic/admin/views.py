"""Placeholder views; replaced by the admin implementation."""

from civic.accounts.models import Role
from civic.admin import bp
from civic.authz import require_role


@bp.get("/")
@require_role(Role.ADMIN)
def index() -> str:
    return "admin"

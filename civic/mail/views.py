"""Placeholder; replaced by the mail implementation (admin outbox pages)."""

from civic.accounts.models import Role
from civic.authz import require_role
from civic.mail import bp


@bp.get("/")
@require_role(Role.ADMIN)
def outbox() -> str:
    return "outbox"

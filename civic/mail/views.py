"""Admin outbox pages: list with filters, one message, retry now."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from civic.accounts.models import Role
from civic.audit.services import entries_for
from civic.authz import acting_user, require_role
from civic.errors import InvalidInput
from civic.extensions import db
from civic.mail import bp
from civic.mail.forms import OutboxFilterForm
from civic.mail.models import OutboxStatus
from civic.mail.services import counts_by_status, get_message, list_messages, retry_now

STATUS_LABELS = {
    OutboxStatus.QUEUED: _l("Waiting"),
    OutboxStatus.SENDING: _l("Being sent"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
}
RETRYABLE = (OutboxStatus.FAILED, OutboxStatus.QUEUED)


def _status_filter() -> OutboxStatus | None:
    raw = request.args.get("status", "")
    if not raw:
        return None
    try:
        return OutboxStatus(raw)
    except ValueError:
        raise InvalidInput(_("Unknown status. Choose a status from the list.")) from None


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidInput(_("The page number must be a whole number of 1 or more."))
    return int(raw)


@bp.get("/")
@require_role(Role.ADMIN)
def outbox() -> str:
    """The outbox, newest first, filterable by status."""
    status = _status_filter()
    form = OutboxFilterForm(formdata=request.args)
    counts = counts_by_status()
    form.status.choices = [("", _("All (%(count)s)", count=sum(counts.values())))] + [
        (s.value, f"{STATUS_LABELS[s]} ({counts[s]})") for s in OutboxStatus
    ]
    pagination = list_messages(status, _page())
    return render_template(
        "mail/outbox/list.html",
        form=form,
        pagination=pagination,
        status=status,
        labels=STATUS_LABELS,
    )


@bp.get("/<int:message_id>")
@require_role(Role.ADMIN)
def message(message_id: int) -> str:
    """One message as it was (or will be) sent, and its history."""
    item = get_message(message_id)
    return render_template(
        "mail/outbox/detail.html",
        message=item,
        labels=STATUS_LABELS,
        retryable=item.status in RETRYABLE,
        history=entries_for("OutboxMessage", str(item.id)),
    )


@bp.post("/<int:message_id>/retry")
@require_role(Role.ADMIN)
def retry(message_id: int) -> Response:
    """Queue the message for the next sending pass."""
    retry_now(message_id, acting_user())
    db.session.commit()
    flash(_("The message will be sent in the next sending round."), "success")
    return redirect(url_for("mail.message", message_id=message_id))

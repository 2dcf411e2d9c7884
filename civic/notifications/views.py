"""Notification pages: the preference (login) and the unsubscribe link (no login)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from civic.authz import acting_user, require_login
from civic.extensions import db
from civic.notifications import bp, services
from civic.notifications.forms import PreferenceForm, UnsubscribeForm
from civic.notifications.models import DigestFrequency


@bp.route("/preferences", methods=["GET", "POST"])
@require_login
def preferences() -> Any:
    """Choose immediately, daily, weekly or never."""
    user = acting_user()
    assert user is not None
    form = PreferenceForm()
    if form.validate_on_submit():
        services.set_frequency(user, user, DigestFrequency(form.frequency.data))
        db.session.commit()
        flash(_("Your choice has been saved."), "success")
        return redirect(url_for("notifications.preferences"), 303)
    if not form.is_submitted():
        form.frequency.data = services.frequency_of(user.id).value
    status = 422 if form.is_submitted() else 200
    return render_template("notifications/preferences.html", form=form), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Any:
    """The link in every digest: confirm with one button, no login needed."""
    user = services.user_for_token(token)
    form = UnsubscribeForm()
    if form.validate_on_submit():
        services.unsubscribe(token)
        db.session.commit()
        return render_template("notifications/unsubscribed.html")
    never = services.frequency_of(user.id) == DigestFrequency.NEVER
    return render_template("notifications/unsubscribe.html", form=form, already=never)

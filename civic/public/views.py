"""Thin handlers for the public pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, session
from sqlalchemy import text
from werkzeug.wrappers import Response

from civic import audit
from civic.authz import acting_user
from civic.extensions import db
from civic.public import bp


@bp.get("/")
def home() -> str:
    """The landing page."""
    return render_template("public/home.html")


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only same-site relative paths may be redirect targets (no open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.post("/language")
def set_language() -> Response:
    """Remember the chosen language in the session and, when logged in, on the account."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        session.permanent = True
        user = acting_user()
        if user is not None and user.locale != lang:
            audit.record(user, "account.locale", user, {"locale": user.locale}, {"locale": lang})
            user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")))


@bp.get("/healthz")
def health() -> tuple[dict[str, str], int]:
    """Liveness and database reachability for load balancers."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}, 200

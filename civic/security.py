"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_babel import lazy_gettext as _l

from civic.errors import InvalidInput

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


NUL_MESSAGE = _l(
    "The field %(field)s contains an invisible NUL character. Remove it and try again."
)


def _refuse_nul_bytes() -> None:
    """No text with NUL reaches the database (PostgreSQL cannot store it; nobody types it)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    for name, values in request.form.lists():
        if any("\x00" in value for value in values):
            raise InvalidInput(NUL_MESSAGE % {"field": name}, field=name)


def init_app(app: Flask) -> None:
    """Install the headers and the input guard; HSTS only where cookies are secure."""
    app.after_request(_headers)
    app.before_request(_refuse_nul_bytes)
    if app.config.get("SESSION_COOKIE_SECURE"):

        @app.after_request
        def _hsts(response: Response) -> Response:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            return response

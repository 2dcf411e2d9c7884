"""One typed domain error hierarchy and the one handler that renders it."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException


class CivicError(Exception):
    """Base of every rule violation; carries a stable code and an HTTP status."""

    code = "civic_error"
    status = 400
    default_message: Any = _l("Something went wrong.")

    def __init__(self, message: Any = None, **details: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.details = details
        super().__init__(str(self.message))


class NotAllowed(CivicError):
    """The actor may not do this (authorization)."""

    code = "not_allowed"
    status = 403
    default_message = _l("You are not allowed to do this.")


class NotFound(CivicError):
    """The object does not exist or is hidden from this actor."""

    code = "not_found"
    status = 404
    default_message = _l("This page or item does not exist.")


class InvalidInput(CivicError):
    """Input that passed the form's shape but breaks a rule."""

    code = "invalid_input"
    status = 422
    default_message = _l("Please check what you entered.")


class Conflict(CivicError):
    """The object is not in a state that allows this action."""

    code = "conflict"
    status = 409
    default_message = _l("This cannot be done in the current state.")


class Throttled(CivicError):
    """Too many attempts."""

    code = "throttled"
    status = 429
    default_message = _l("Too many attempts. Please wait a while and try again.")


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _problem(status: int, code: str, title: str, details: dict[str, Any]) -> Response:
    body = {"type": f"about:blank#{code}", "title": title, "status": status, **details}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def handle_civic_error(error: CivicError) -> Response | tuple[str, int]:
    """Render a CivicError as problem JSON (API) or an error page (HTML)."""
    if _wants_json():
        safe = {k: v for k, v in error.details.items() if isinstance(v, str | int | float)}
        return _problem(error.status, error.code, str(error.message), safe)
    return render_template("errors/error.html", message=error.message, status=error.status), (
        error.status
    )


def handle_http_error(error: HTTPException) -> Response | tuple[str, int] | HTTPException:
    """Render werkzeug's HTTP errors in the same design (or problem JSON)."""
    status = error.code or 500
    if _wants_json():
        return _problem(status, f"http_{status}", error.name, {})
    messages = {
        400: _l("The request was not understood. Please try again."),
        403: NotAllowed.default_message,
        404: NotFound.default_message,
        405: _l("This action is not possible on this page."),
        413: _l("The file is too large."),
        429: Throttled.default_message,
    }
    message = messages.get(status, _l("Something went wrong on our side. Please try again later."))
    return render_template("errors/error.html", message=message, status=status), status


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; a CSRF failure is a 400 with a clear message."""
    from flask_wtf.csrf import CSRFError

    app.register_error_handler(CivicError, handle_civic_error)

    def _csrf(error: CSRFError) -> tuple[str, int]:
        message = _l("Your form expired or was sent from elsewhere. Please reload the page.")
        return render_template("errors/error.html", message=message, status=400), 400

    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, handle_http_error)

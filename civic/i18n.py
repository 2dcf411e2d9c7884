"""Dutch by default, English switchable; one catalog folder per package, merged at runtime."""

from __future__ import annotations

import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel
from flask_login import current_user

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
# Every feature keeps its own catalog so features never edit each other's .po file;
# Flask-Babel merges all of them (see scripts/messages.py for the units).
CATALOG_DIRS = sorted(
    p for pattern in ("*/translations", "civic/*/translations") for p in ROOT.glob(pattern)
)


def select_locale() -> str:
    """The user's saved choice, then the session's, then Dutch."""
    languages = current_app.config["LANGUAGES"]
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return str(user_locale)
    if not has_request_context():  # commands and jobs: the default (mail passes its own)
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    if request.args.get("lang") in languages:
        return str(request.args["lang"])
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def compile_catalogs(dirs: list[Path] | None = None) -> int:
    """Compile every messages.po whose .mo is missing or older; return how many were written."""
    written = 0
    for folder in dirs or CATALOG_DIRS:
        for po_path in folder.glob("*/LC_MESSAGES/messages.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            try:
                with mo_path.open("wb") as mo_file:
                    write_mo(mo_file, catalog)
                written += 1
            except OSError as error:  # read-only install: compile at build time instead
                log.warning("cannot compile %s: %s", po_path, error)
    return written


def init_app(app: Flask, babel: Babel) -> None:
    """Bind Flask-Babel with every package's catalog folder."""
    compile_catalogs()
    dirs = ";".join(str(d) for d in CATALOG_DIRS if d.exists())
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", dirs or "translations")
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _language() -> dict[str, object]:
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}

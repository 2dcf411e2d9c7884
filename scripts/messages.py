"""Extract translatable strings per package and update its Dutch and English catalogs.

Usage: python scripts/messages.py [unit ...]   (default: every unit; see UNITS)
New Dutch entries start empty; tests/civic/test_translations.py fails until they are filled in.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract as extract_method
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
# A unit owns one catalog: its Python folder and its templates folder(s). Units let features
# keep separate .po files (no edit conflicts); Flask-Babel merges them all at runtime.
CORE_TEMPLATES = [
    "civic/templates/base.html",
    "civic/templates/macros",
    "civic/templates/errors",
    "civic/templates/public",
]
UNITS: dict[str, tuple[list[str], str]] = {
    "core": (["civic/*.py", "civic/public", "civic/agencies", *CORE_TEMPLATES], "civic"),
    "accounts": (["civic/accounts", "civic/templates/accounts"], "civic/accounts"),
    "admin": (["civic/admin", "civic/templates/admin"], "civic/admin"),
    "mail": (["civic/mail", "civic/templates/mail"], "civic/mail"),
    "scheduling": (["civic/scheduling"], "civic/scheduling"),
    "panels": (["panels", "civic/templates/panels"], "panels"),
    "proposals": (
        ["proposals", "civic/templates/proposals", "civic/templates/agencies"],
        "proposals",
    ),
    "voting": (["voting", "civic/templates/voting"], "voting"),
    "draws": (["civic/draws", "civic/templates/draws", "civic/templates/pilots"], "civic/draws"),
    "notifications": (
        ["civic/notifications", "civic/templates/notifications"],
        "civic/notifications",
    ),
    "dashboard": (["civic/dashboard", "civic/templates/dashboard"], "civic/dashboard"),
    "api": (["civic/api"], "civic/api"),
    "privacy": (["civic/privacy", "civic/templates/privacy"], "civic/privacy"),
}
# Mail bodies are Jinja .txt templates and carry translatable strings too.
SOURCE_SUFFIXES = (".py", ".html", ".txt")
KEYWORDS = {
    "_": None,
    "_l": None,
    "gettext": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "_n": (1, 2),
}


def source_files(unit: str) -> list[Path]:
    """The .py and .html files a unit's catalog covers."""
    files: list[Path] = []
    for pattern in UNITS[unit][0]:
        for path in sorted(ROOT.glob(pattern)):
            if path.is_dir():
                files += [p for p in sorted(path.rglob("*")) if p.suffix in SOURCE_SUFFIXES]
            elif path.suffix in SOURCE_SUFFIXES:
                files.append(path)
    return [f for f in files if "/translations/" not in str(f)]


def extract(unit: str) -> Catalog:
    """Every gettext string in a unit's code and templates."""
    catalog = Catalog(project="civic")
    for path in source_files(unit):
        method = "python" if path.suffix == ".py" else "jinja2"
        options = {"extensions": "jinja2.ext.do"} if method == "jinja2" else {}
        with path.open("rb") as handle:
            for lineno, message, comments, context in extract_messages(
                method, handle, KEYWORDS, options
            ):
                catalog.add(
                    message,
                    None,
                    [(str(path.relative_to(ROOT)), lineno)],
                    auto_comments=comments,
                    context=context,
                )
    return catalog


def extract_messages(method: str, handle: Any, keywords: Any, options: Any) -> Any:
    """Babel's extractor, yielding (lineno, message, comments, context)."""
    yield from extract_method(
        method, handle, keywords=keywords, options=options, comment_tags=("TRANSLATORS:",)
    )


def catalog_path(unit: str, locale: str = "nl") -> Path:
    """Where a unit's catalog lives."""
    return ROOT / UNITS[unit][1] / "translations" / locale / "LC_MESSAGES" / "messages.po"


def update(unit: str, locale: str) -> Path | None:
    """Merge the extracted strings into translations/<locale>/LC_MESSAGES/messages.po."""
    template = extract(unit)
    if not len(template):
        return None
    po_path = catalog_path(unit, locale)
    po_path.parent.mkdir(parents=True, exist_ok=True)
    if po_path.exists():
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        catalog.update(template, no_fuzzy_matching=True)
    else:
        catalog = Catalog(locale=locale, project="civic")
        catalog.update(template)
    if locale == "en":  # English catalog mirrors the msgids so fallback is explicit
        for message in catalog:
            if message.id and not message.string:
                message.string = message.id
    with po_path.open("wb") as handle:
        write_po(
            handle, catalog, width=100, omit_header=False, sort_output=True, ignore_obsolete=True
        )
    return po_path


def main(argv: list[str]) -> None:
    for unit in argv or list(UNITS):
        path = update(unit, "nl")
        if path:
            print(f"updated {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])


def fill(unit: str, translations: dict[str, str], locale: str = "nl") -> int:
    """Set translations (msgid -> text) in a unit's catalog; returns how many were set."""
    path = catalog_path(unit, locale)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    count = 0
    for message in catalog:
        if isinstance(message.id, str) and message.id in translations:
            message.string = translations[message.id]
            count += 1
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, ignore_obsolete=True)
    return count


def missing(unit: str, locale: str = "nl") -> list[str]:
    """Msgids in the unit's code without a translation in its catalog."""
    template = extract(unit)
    path = catalog_path(unit, locale)
    known: dict[Any, Any] = {}
    if path.exists():
        with path.open("rb") as handle:
            known = {m.id: m.string for m in read_po(handle, locale=locale) if m.id}
    return [str(m.id) for m in template if m.id and not known.get(m.id)]

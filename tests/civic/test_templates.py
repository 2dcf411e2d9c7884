"""Static checks on every template: the CSP forbids inline scripts, styles and handlers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    p
    for pattern in ("civic/templates/**/*.html", "*/templates/**/*.html")
    for p in ROOT.glob(pattern)
    if ".venv" not in p.parts
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"href\s*=\s*[\"']\s*javascript:", re.I)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_code(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script> (use a static file)"
    assert not INLINE_STYLE.search(text), "inline style attribute (use a CSS class)"
    assert not HANDLER.search(text), "inline event handler"
    assert not JS_URL.search(text), "javascript: URL"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_extend_the_base_layout(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if "macros" in path.parts or path.name == "base.html" or path.name.startswith("_"):
        return
    if "<html" in text:
        pytest.fail("a page must extend base.html, not define its own <html>")
    if "{% block content %}" in text:
        assert '{% extends "' in text

"""Every user-facing string has a Dutch translation (Dutch is the default language)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("civic_messages", ROOT / "scripts" / "messages.py")
assert _spec and _spec.loader
messages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messages)


@pytest.mark.parametrize("unit", sorted(messages.UNITS))
def test_every_string_has_a_dutch_translation(unit: str) -> None:
    missing = messages.missing(unit)
    assert not missing, (
        f"{len(missing)} untranslated strings in unit {unit!r}; run "
        f"`python scripts/messages.py {unit}` and fill {messages.catalog_path(unit)}: {missing}"
    )

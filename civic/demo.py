"""Placeholder; replaced by the demo data loader."""

from flask import Flask


def register(app: Flask) -> None:
    """Add `flask demo`."""

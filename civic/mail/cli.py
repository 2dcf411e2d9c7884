"""Placeholder; replaced by the mail implementation."""

from flask import Flask


def register(app: Flask) -> None:
    """Add the mail commands."""

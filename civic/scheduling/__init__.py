"""Placeholder; replaced by the scheduler implementation."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the scheduler."""

"""Civic: improve public services together with residents."""

from civic.app import create_app

__all__ = ["create_app"]

"""Append-only, hash-chained audit log: one row per state change."""

from civic.audit.services import record

__all__ = ["record"]

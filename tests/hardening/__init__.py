"""Hardening: backups, crashes and restarts, retention, no personal data in logs."""

"""Placeholder; replaced by the mail implementation."""

"""Fixtures of the dashboard tests: the seeded public world."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.dashboard.support import World, seed_world


@pytest.fixture()
def world(app: Flask) -> World:
    return seed_world(app)

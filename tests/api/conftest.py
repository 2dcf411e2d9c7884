"""Fixtures of the API tests: the seeded public world of the dashboard tests."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.dashboard.support import World, seed_world


@pytest.fixture()
def world(app: Flask) -> World:
    return seed_world(app)

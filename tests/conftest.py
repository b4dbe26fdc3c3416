"""Shared fixtures: a fresh database per test, with or without the demo data."""

from __future__ import annotations

import pytest

from skill.runtime import Runtime
from skill.store import load_store_settings


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'voicecart.db'}"


@pytest.fixture
def empty_runtime(db_url) -> Runtime:
    runtime = Runtime.open(db_url, load_store_settings())
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def runtime(empty_runtime) -> Runtime:
    """A runtime over the demo catalog and the demo account."""
    empty_runtime.seed_demo()
    return empty_runtime

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


@pytest.fixture
def skill(runtime):
    from skill.alexa import build_skill

    return build_skill(runtime)


@pytest.fixture
def send(skill):
    """Sends request JSON through the skill in-process, the way the endpoint does."""
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    serializer = DefaultSerializer()

    def _send(body: dict) -> dict:
        import json

        envelope = serializer.deserialize(json.dumps(body), RequestEnvelope)
        return serializer.serialize(skill.invoke(envelope, context={"channel": "alexa"}))

    return _send


@pytest.fixture
def dialog(send):
    from tests.alexa_requests import Dialog

    return Dialog(send)

"""Fixtures for tests of the console and the API, used as a plugin
(``pytest_plugins = ["tests.console_fixtures"]``): the web app with the admin ``merchant``, a
browser signed in as them, and an API token."""

from __future__ import annotations

import shutil

import pytest

from skill.admins import create_admin, create_token
from skill.web import AppConfig, create_app
from tests.console_helpers import PASSWORD, sign_in


@pytest.fixture
def console_app(runtime, tmp_path, monkeypatch):
    """The web app (verification off) with the admin ``merchant``; model rebuilds write to a
    copy of the interaction model."""
    from skill.interaction_model import model_path

    shutil.copy(model_path("en-US"), tmp_path / "en-US.json")
    monkeypatch.setenv("VOICECART_MODEL_DIR", str(tmp_path))
    with runtime.transaction() as s:
        create_admin(s, "merchant", PASSWORD)
    return create_app(runtime, AppConfig(verify=False, secret_key="test"))


@pytest.fixture
def console(console_app):
    """A browser signed in to the console as ``merchant``."""
    browser = console_app.test_client()
    assert sign_in(browser).status_code == 302
    return browser


@pytest.fixture
def api_token(runtime, console_app) -> str:
    """An API token of ``merchant``."""
    with runtime.transaction() as s:
        return create_token(s, "merchant", "tests")

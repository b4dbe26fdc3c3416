"""Shared fixtures: a fresh database per test, with or without the demo data.

Tests in modules marked ``pytest.mark.both_databases`` run twice: on SQLite and on the
PostgreSQL server named by ``VOICECART_TEST_PG_URL`` (``.ci/run`` starts one with
``scripts/postgres.sh``). Without that variable the PostgreSQL runs are skipped, unless
``VOICECART_REQUIRE_PG=1`` (as in CI), which makes them fail instead.
"""

from __future__ import annotations

import itertools
import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from skill.db import upgrade
from skill.runtime import Runtime
from skill.store import load_store_settings

PG_URL_ENV = "VOICECART_TEST_PG_URL"
_TEMPLATE = "voicecart_test_template"
_numbers = itertools.count()


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "both_databases: run on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
            "both_databases"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"])


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="session")
def pg_server():
    """An AUTOCOMMIT engine on the test server's maintenance database, and a template
    database migrated once that each test's database is copied from."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        if os.environ.get("VOICECART_REQUIRE_PG") == "1":
            pytest.fail(f"{PG_URL_ENV} is not set but PostgreSQL tests are required")
        pytest.skip(f"PostgreSQL tests need {PG_URL_ENV} (eval \"$(bash scripts/postgres.sh"
                    " start)\")")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {_TEMPLATE}"))
    template_url = make_url(url).set(database=_TEMPLATE)
    template = create_engine(template_url)
    upgrade(template)
    template.dispose()
    yield admin, make_url(url)
    admin.dispose()


@pytest.fixture
def db_url(backend, tmp_path, request) -> str:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'voicecart.db'}"
        return
    admin, base = request.getfixturevalue("pg_server")
    name = f"voicecart_test_{os.getpid()}_{next(_numbers)}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}"))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


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

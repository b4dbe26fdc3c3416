"""Shared fixtures: a fresh database per test, with or without the demo data.

Tests in modules marked ``pytest.mark.both_databases`` run twice: on SQLite and on the
PostgreSQL server named by ``VOICECART_TEST_PG_URL`` (``.ci/run`` starts one with
``scripts/postgres.sh``). Without that variable the PostgreSQL runs are skipped, unless
``VOICECART_REQUIRE_PG=1`` (as in CI), which makes them fail instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from skill.db import upgrade
from skill.runtime import Runtime
from skill.store import load_store_settings

PG_URL_ENV = "VOICECART_TEST_PG_URL"
_TEMPLATE = f"voicecart_test_template_{os.getpid()}"  # concurrent runs on one server
_numbers = itertools.count()


@event.listens_for(Engine, "connect")
def _no_waiting_for_the_disk(dbapi_connection, _record) -> None:
    """A test's SQLite database need not survive a power cut (the test PostgreSQL runs with
    fsync=off too): without this every commit waited for the disk (measured 6.7 ms here)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "both_databases: run on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
            "both_databases"):
        # Module scope: a module-scoped fixture (``module_runtime``) can be per backend.
        metafunc.parametrize("backend", ["sqlite", "postgresql"], scope="module")


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"


def _content(request) -> str | None:
    """What the test's database holds before the test: ``demo`` (the ``runtime`` fixture's
    migrated and seeded database), ``schema`` (``empty_runtime``'s migrated one) or None
    (only ``db_url``: as the backend gives it). Those two are built once per day and store
    terms and copied per test; the fixtures still migrate and seed, finding nothing to do."""
    if "runtime" in request.fixturenames:
        return "demo"
    return "schema" if "empty_runtime" in request.fixturenames else None


def _template_key(content: str) -> tuple:
    """Seeded data is dated relative to when it was seeded (orders some days ago): a template
    is rebuilt when the day changes, so a test sees the same dates as if it seeded itself."""
    return (content, repr(load_store_settings()), date.today(), datetime.now(timezone.utc).date())


def _fill(url: str, content: str) -> None:
    runtime = Runtime.open(url, load_store_settings())
    try:
        if content == "demo":
            runtime.seed_demo()
    finally:
        runtime.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory):
    """``copy(content, path)``: a SQLite file holding ``content`` (see ``_content``), built
    once per template key."""
    folder = tmp_path_factory.mktemp("templates")
    built: dict[tuple, str] = {}

    def copy(content: str, path) -> None:
        key = _template_key(content)
        if key not in built:
            source = folder / f"{content}-{len(built)}.db"
            _fill(f"sqlite:///{source}", content)
            # Closing the last connection checkpoints the write-ahead log into the file.
            assert not source.with_name(source.name + "-wal").exists()
            built[key] = str(source)
        shutil.copyfile(built[key], path)

    return copy


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


@pytest.fixture(scope="session")
def pg_templates(pg_server):
    """``template(content)``: the name of a PostgreSQL database holding ``content`` (see
    ``_content``) to copy a test's database from, built once per template key."""
    admin, base = pg_server
    built: dict[tuple, str] = {}

    def template(content: str) -> str:
        if content == "schema":
            return _TEMPLATE  # migrated once by pg_server
        key = _template_key(content)
        if key not in built:
            name = f"{_TEMPLATE}_{content}_{len(built)}"
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}"))
            _fill(base.set(database=name).render_as_string(hide_password=False), content)
            built[key] = name
        return built[key]

    yield template
    with admin.connect() as connection:
        for name in built.values():
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@contextmanager
def _database(backend: str, path, content: str | None, request) -> Iterator[str]:
    """A database of its own (SQLite: the file ``path``) holding ``content``; its URL."""
    if backend == "sqlite":
        if content:
            request.getfixturevalue("sqlite_templates")(content, path)
        yield f"sqlite:///{path}"
        return
    admin, base = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_templates")(content) if content else _TEMPLATE
    name = f"voicecart_test_{os.getpid()}_{next(_numbers)}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def db_url(backend, tmp_path, request) -> str:
    with _database(backend, tmp_path / "voicecart.db", _content(request), request) as url:
        yield url


@pytest.fixture
def empty_runtime(db_url) -> Runtime:
    runtime = Runtime.open(db_url, load_store_settings())
    yield runtime
    runtime.engine.dispose()


@pytest.fixture(scope="module")
def module_runtime(backend, tmp_path_factory, request) -> Runtime:
    """What ``runtime`` gives, once for a whole module (per backend), for modules whose tests
    each look at a different side of one expensive run over the demo store."""
    path = tmp_path_factory.mktemp("module") / "voicecart.db"
    with _database(backend, path, "demo", request) as url:
        runtime = Runtime.open(url, load_store_settings())
        runtime.seed_demo()
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
    from tests.alexa_requests import sender

    return sender(skill)


@pytest.fixture
def dialog(send):
    from tests.alexa_requests import Dialog

    return Dialog(send)

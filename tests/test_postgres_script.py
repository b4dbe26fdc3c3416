"""scripts/postgres.sh: each run gets its own server (directory and port), and `stop` stops
only its own."""

import glob
import os
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "postgres.sh"

pytestmark = pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                                reason="needs Debian's postgresql (scripts/postgres.sh "
                                       "installs it)")


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("VOICECART_PG_DIR", "VOICECART_PG_PORT")}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=120, env={**clean, **(env or {})})


def start() -> dict[str, str]:
    result = run("start")
    assert result.returncode == 0, result.stderr
    exported = dict(re.findall(r"^export (\w+)=(\S+)$", result.stdout, re.M))
    assert set(exported) == {"VOICECART_PG_DIR", "VOICECART_TEST_PG_URL"}, result.stdout
    return exported


def answers(url: str) -> bool:
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar() == 1
    except Exception:
        return False
    finally:
        engine.dispose()


def test_two_runs_have_their_own_servers_and_stop_only_their_own():
    first = start()
    second = None
    try:
        second = start()
        assert first["VOICECART_PG_DIR"] != second["VOICECART_PG_DIR"]
        assert first["VOICECART_TEST_PG_URL"] != second["VOICECART_TEST_PG_URL"]
        assert answers(first["VOICECART_TEST_PG_URL"])
        assert answers(second["VOICECART_TEST_PG_URL"])

        stopped = run("stop", env={"VOICECART_PG_DIR": first["VOICECART_PG_DIR"]})
        assert stopped.returncode == 0, stopped.stderr
        assert not answers(first["VOICECART_TEST_PG_URL"])
        assert not os.path.exists(first["VOICECART_PG_DIR"])  # a throwaway is removed
        assert answers(second["VOICECART_TEST_PG_URL"])  # the other run's is untouched

        nameless = run("stop")  # no directory given: stops nothing
        assert nameless.returncode != 0 and "nothing stopped" in nameless.stderr
        assert answers(second["VOICECART_TEST_PG_URL"])
    finally:
        for env in (first, second):
            if env:
                run("stop", env["VOICECART_PG_DIR"])

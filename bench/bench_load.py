"""Load: a reorder dialog ("reorder coffee pods", then "yes") driven by wrk over loopback
against ``voicecart serve --workers N`` (gunicorn), on SQLite and on PostgreSQL. Baseline:
a bare Flask JSON endpoint under the same gunicorn settings, measured in the same run.

Verification is off for the load (wrk cannot sign requests; ``bench_endpoint.py`` measures
its cost). The repeat-order question is off (``VOICECART_REPEAT_ORDER_DAYS=0``) so that every
"yes" places an order. Also reported: the CPU a request costs (the server's processes, and
on PostgreSQL the database server's), which other jobs on a shared machine disturb far less
than throughput and latency. Run: ``python bench/bench_load.py [--runs 3] [--workers 2]``.
PostgreSQL comes from ``scripts/postgres.sh`` (started if needed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from skill.orders import Order  # noqa: E402
from skill.runtime import Runtime  # noqa: E402
from skill.web.server import gunicorn_arguments, gunicorn_settings  # noqa: E402
from tests.test_serve import free_port  # noqa: E402
from tests.test_skill_dialogs import give_history  # noqa: E402

USERS = 64


def seed(db_url: str) -> None:
    runtime = Runtime.open(db_url)
    runtime.seed_demo()
    for number in range(USERS):
        give_history(runtime, "CF-PODS-24", 2, 30, user_id=f"bench-user-{number}")
    runtime.engine.dispose()


def wait_for(url: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:  # answering, if only "method not allowed"
            return
        except OSError:
            if process.poll() is not None:
                process.log.seek(0)  # type: ignore[attr-defined]
                raise SystemExit(process.log.read()) from None  # type: ignore[attr-defined]
            time.sleep(0.05)
    raise SystemExit(f"{url} never answered")


def cpu_seconds(roots: list[int]) -> float:
    """CPU time (user + system) used so far by the processes ``roots`` and all their
    descendants that are still running (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, list(roots)
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def postmaster(db_url: str) -> list[int]:
    """The PostgreSQL server's main process (its backends are its children), if local."""
    if not db_url.startswith("postgresql"):
        return []
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            data = connection.scalar(text("SHOW data_directory"))
        return [int((Path(data) / "postmaster.pid").read_text().split()[0])]
    except Exception:  # not ours to read (another user's server): not counted
        return []
    finally:
        engine.dispose()


def run_wrk(url: str, seconds: int, connections: int, server: list[int],
            database: list[int] | None = None) -> dict:
    """wrk's figures, and the CPU the server's and the database's processes used per request
    (``cpu_ms``: both; ``db_cpu_ms``: the database's share)."""
    used, db_used = cpu_seconds(server), cpu_seconds(database or [])
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                          "-s", str(ROOT / "bench/reorder_dialog.lua"), url],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "BENCH_USERS": str(USERS)}).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK_JSON "))
    result = json.loads(line[len("WRK_JSON "):])
    result["rps"] = result["requests"] / result["seconds"]
    requests = max(result["requests"], 1)
    result["db_cpu_ms"] = (cpu_seconds(database or []) - db_used) * 1000 / requests
    result["cpu_ms"] = (cpu_seconds(server) - used) * 1000 / requests + result["db_cpu_ms"]
    return result


def serve(command: list[str], health: str, env: dict) -> subprocess.Popen:
    # The server's log goes to a file: an unread pipe would fill and stall the server.
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-server-", suffix=".log")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, **env})
    process.log = log  # type: ignore[attr-defined]
    try:
        wait_for(health, process)
    except BaseException:
        process.kill()
        raise
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def analyze(db_url: str) -> None:
    """Fresh planner statistics before a run, as autovacuum keeps them in steady state: the
    benchmark's database grows by thousands of orders a run, faster than autoanalyze follows,
    and a plan chosen for the tables as they were seeded reads every order line of the item
    (a run measured 14 ms of database CPU a request instead of 0.6)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def measure(name: str, db_url: str, args: argparse.Namespace) -> dict:
    """``args.runs`` back-to-back pairs (the dialog, then bare Flask) on one seeded database;
    the medians are reported, each pair's ratio and the load average beside them."""
    seed(db_url)
    database = postmaster(db_url)
    runs = []
    for _ in range(args.runs):
        analyze(db_url)
        load = os.getloadavg()[0]
        port = free_port()
        voicecart = serve([sys.executable, "-c", "from skill.cli import main; main()", "--db",
                           db_url, "serve", "--no-verify", "--no-demo", "--workers",
                           str(args.workers), "--threads", str(args.threads), "--port",
                           str(port)],
                          f"http://127.0.0.1:{port}/health",
                          {"VOICECART_REPEAT_ORDER_DAYS": "0", "VOICECART_SKILL_ID": ""})
        try:
            dialog = run_wrk(f"http://127.0.0.1:{port}/alexa", args.seconds, args.connections,
                             [voicecart.pid], database)
        finally:
            stop(voicecart)
        port = free_port()
        settings = gunicorn_settings(args.workers, args.threads)  # as voicecart serve's
        bare = serve([sys.executable, "-m", "gunicorn", *gunicorn_arguments(settings),
                      "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT / "bench"), "bare_app:app"],
                     f"http://127.0.0.1:{port}/alexa", {})
        try:
            baseline = run_wrk(f"http://127.0.0.1:{port}/alexa", args.seconds, args.connections,
                               [bare.pid])
        finally:
            stop(bare)
        runs.append({"dialog": dialog, "bare": baseline, "load": load,
                     "ratio": baseline["rps"] / dialog["rps"]})
    engine = create_engine(db_url)
    with engine.connect() as connection:
        placed = connection.scalar(select(func.count()).select_from(Order)
                                   .where(Order.idempotency_key.contains("bench.request.")))
    engine.dispose()
    return {"database": name, "runs": runs, "orders": placed}


def postgres_url() -> str:
    url = os.environ.get("VOICECART_TEST_PG_URL")
    if not url:
        out = subprocess.run(["bash", str(ROOT / "scripts/postgres.sh"), "start"],
                             capture_output=True, text=True, check=True).stdout
        url = out.strip().split("=", 1)[1]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS voicecart_bench WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE voicecart_bench"))
    admin.dispose()
    return make_url(url).set(database="voicecart_bench").render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="Threads per worker (more than one: gthread, with keep-alive).")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=1,
                        help="Back-to-back dialog/bare pairs per database; medians reported.")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: bash scripts/setup.sh installs it")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "sqlite"):
            results.append(measure("SQLite", f"sqlite:///{folder}/bench.db", args))
        if args.only in (None, "postgresql"):
            results.append(measure("PostgreSQL", postgres_url(), args))
    print(f"gunicorn {args.workers} workers x {args.threads} threads, wrk 2 threads x "
          f"{args.connections} connections, {args.seconds} s each; a dialog is two requests; "
          f"{args.runs} run(s) of each, back to back")
    for r in results:
        for n, run in enumerate(r["runs"], 1):
            d, b = run["dialog"], run["bare"]
            print(f"{r['database']:<10} run {n}, load average {run['load']:.2f}: dialog "
                  f"{d['rps']:7.1f} req/s  p50 {d['p50_ms']:6.2f} ms  p99 {d['p99_ms']:7.2f} ms  "
                  f"errors {d['errors'] + d['non_2xx']}  asked {d['asked']}  placed "
                  f"{d['placed']} ({d['placed'] / d['seconds']:.1f}/s); bare {b['rps']:7.1f} "
                  f"req/s  p50 {b['p50_ms']:5.2f} ms  p99 {b['p99_ms']:6.2f} ms; 1/"
                  f"{run['ratio']:.1f}; CPU a request: dialog {d['cpu_ms']:.2f} ms (database "
                  f"{d['db_cpu_ms']:.2f} ms of it), bare {b['cpu_ms']:.2f} ms")
        d = {key: median(run["dialog"][key] for run in r["runs"])
             for key in ("rps", "p50_ms", "p99_ms")}
        orders_per_s = median(run["dialog"]["placed"] / run["dialog"]["seconds"]
                              for run in r["runs"])
        print(f"{r['database']:<10} median: dialog {d['rps']:.1f} req/s  p50 {d['p50_ms']:.2f} ms  "
              f"p99 {d['p99_ms']:.2f} ms  orders {orders_per_s:.1f}/s; bare "
              f"{median(run['bare']['rps'] for run in r['runs']):.1f} req/s; dialog throughput "
              f"1/{median(run['ratio'] for run in r['runs']):.1f} of bare Flask; load average "
              f"{median(run['load'] for run in r['runs']):.2f}; CPU a request: dialog "
              f"{median(run['dialog']['cpu_ms'] for run in r['runs']):.2f} ms, bare "
              f"{median(run['bare']['cpu_ms'] for run in r['runs']):.2f} ms; orders in the "
              f"database {r['orders']}")

if __name__ == "__main__":
    main()

"""Large catalog imports: the console answers at once and a background job does the work
(its page follows it), the command line draws a progress bar on a terminal, and an import is
still all or nothing: a bad row near the end, a failure while writing, or a clash with an item
added while the file was being checked changes nothing."""

import io
import os
import pty
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner

from skill import catalog_io
from skill.catalog import create_item, find_item, get_item
from skill.catalog_io import export_catalog
from skill.cli import cli
from skill.db import utcnow
from skill.errors import ImportFailed
from skill.import_jobs import ImportJob, get_job, import_in_stages, run_job
from skill.web.console import INLINE_IMPORT_BYTES
from tests.catalog_files import large_catalog_csv
from tests.console_helpers import csrf

pytest_plugins = ["tests.console_fixtures"]
ROWS = 2000  # about 1.1 MB: over the size the console imports while the browser waits


def catalog_now(runtime) -> str:
    with runtime.transaction() as s:
        return export_catalog(s)


def upload(console, raw: bytes, name: str = "wholesale.csv"):
    return console.post("/admin/catalog/import", data={
        "csrf_token": csrf(console, "/admin/catalog"), "file": (io.BytesIO(raw), name)},
        content_type="multipart/form-data")


def wait_for_job(console, location: str) -> dict:
    """Poll the job's status as its page does, until it ends (a bound, not a timing check)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = console.get(f"{location}/status").get_json()
        if job["status"] != "running":
            return job
        time.sleep(0.1)
    pytest.fail("the import job never ended")


@pytest.mark.both_databases  # PostgreSQL: progress is written while writing too
def test_a_large_console_import_answers_at_once_and_runs_as_a_job(console, runtime):
    raw = large_catalog_csv(ROWS)
    assert len(raw) > INLINE_IMPORT_BYTES
    answer = upload(console, raw)
    assert answer.status_code == 303  # at once: the job's page, not the result
    location = answer.headers["Location"]
    page = console.get(location)
    assert page.status_code == 200 and "wholesale.csv" in page.text
    job = wait_for_job(console, location)
    assert (job["status"], job["added"], job["updated"]) == ("done", ROWS, 0)
    assert "2000 added, 0 updated" in job["progress"]
    finished = console.get(location).text
    assert "Imported wholesale.csv" in finished and "import_job.js" not in finished
    with runtime.transaction() as s:
        assert get_item(s, f"BULK-{ROWS:06d}").stock == ROWS % 500
        assert get_job(s, int(location.rsplit("/", 1)[1])).started_by == "merchant"


@pytest.mark.both_databases
def test_a_bad_row_near_the_end_of_a_large_import_changes_nothing(console, runtime):
    before = catalog_now(runtime)
    answer = upload(console, large_catalog_csv(ROWS, bad_row=ROWS - 100))
    assert answer.status_code == 303
    job = wait_for_job(console, answer.headers["Location"])
    assert (job["status"], job["problem_count"]) == ("failed", 1)
    page = console.get(answer.headers["Location"]).text
    assert "nothing changed" in page and f"<td class=\"num\">{ROWS - 99}</td>" in page
    assert "not a price: &#39;cheap&#39;" in page
    assert catalog_now(runtime) == before


def test_a_failure_while_writing_changes_nothing(runtime, monkeypatch, caplog):
    """The third chunk of 1,000 fails: the two written before it are rolled back."""
    before = catalog_now(runtime)
    real, calls = catalog_io.upsert_items, []

    def failing(session, specs, **kwargs):
        calls.append(len(specs))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(session, specs, **kwargs)

    monkeypatch.setattr(catalog_io, "upsert_items", failing)
    raw = large_catalog_csv(2500)
    with pytest.raises(RuntimeError):
        import_in_stages(runtime, raw, "csv")
    assert calls == [1000, 1000, 500] and catalog_now(runtime) == before
    with runtime.transaction() as s:  # as a job: failed, said plainly, the details logged
        job = ImportJob(filename="x.csv", started_by="", set_stock=False, status="running",
                        phase="reading", problems=[], created_at=utcnow(), updated_at=utcnow())
        s.add(job)
        s.flush()
        job_id = job.id
    calls.clear()
    run_job(runtime, job_id, raw, "csv")
    with runtime.transaction() as s:
        job = get_job(s, job_id)
        assert job.state(utcnow()) == "failed" and "unexpected error" in job.describe(utcnow())
    assert "disk full" in caplog.text and catalog_now(runtime) == before


def test_an_item_added_while_the_file_is_checked_is_checked_against(runtime):
    """Between the check (no transaction) and the write, the merchant adds an item by a
    name the file also uses: the import is checked again, refused, and changes nothing."""
    raw = large_catalog_csv(300)

    def meanwhile(phase: str, done: int, total: int) -> None:
        if phase == "writing" and done == 0:
            with runtime.transaction() as s:
                create_item(s, {"sku": "SNEAKY", "name": "crate 000200 alternative catalogue "
                                "description variant", "price": "1.00", "currency": "USD",
                                "category": "misc"}, "USD")

    with pytest.raises(ImportFailed) as refused:
        import_in_stages(runtime, raw, "csv", progress=meanwhile)
    assert "also a name or synonym of SNEAKY in the catalog" in str(refused.value)
    with runtime.transaction() as s:
        assert find_item(s, "BULK-000001") is None and find_item(s, "SNEAKY") is not None


def test_a_job_whose_worker_stopped_says_so(console, runtime):
    with runtime.transaction() as s:
        job = ImportJob(filename="big.csv", started_by="merchant", set_stock=False,
                        status="running", phase="checking", done=10, total=50, problems=[],
                        created_at=utcnow() - timedelta(hours=1),
                        updated_at=utcnow() - timedelta(hours=1))
        s.add(job)
        s.flush()
        job_id = job.id
    status = console.get(f"/admin/catalog/import/{job_id}/status").get_json()
    assert status["status"] == "interrupted" and "nothing changed" in status["progress"]
    assert console.get("/admin/catalog/import/999999").status_code == 404


def test_the_command_line_draws_a_progress_bar_on_a_terminal_only(db_url, runtime, tmp_path):
    path = tmp_path / "wholesale.csv"
    path.write_bytes(large_catalog_csv(700))
    primary, secondary = pty.openpty()  # stderr is a terminal
    process = subprocess.Popen(
        [sys.executable, "-c", "from skill.cli import main; main()", "--db", db_url, "catalog",
         "import", str(path)], stdout=subprocess.PIPE, stderr=secondary, text=True)
    os.close(secondary)
    drawn = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the command closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    out, _ = process.communicate(timeout=300)
    os.close(primary)
    assert process.returncode == 0 and "700 added, 0 updated" in out
    bar = drawn.decode()
    assert "\rchecking rows" in bar and "500/700" in bar and "\rwriting items" in bar
    assert "700/700 100%" in bar and bar.endswith("\n")
    path.write_bytes(large_catalog_csv(5))
    again = CliRunner().invoke(cli, ["--db", db_url, "catalog", "import", str(path)])
    assert again.exit_code == 0 and "0 added, 5 updated" in again.output
    assert "\r" not in again.output and "checking" not in again.output  # not a terminal

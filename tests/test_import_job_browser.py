"""A large catalog import in a real browser (Debian's Chromium): the upload answers at once
with the job's page, which follows the job to its end by itself; without scripts the page
refreshes itself instead."""

import re

import pytest

from skill.catalog import get_item
from skill.db import utcnow
from skill.import_jobs import ImportJob, get_job
from tests.catalog_files import large_catalog_csv
from tests.test_console_browser import browser, page, shot, sign_in, site  # noqa: F401

ROWS = 2000  # over the size imported while the browser waits


def test_a_large_import_runs_in_the_background_and_its_page_follows_it(page, runtime, tmp_path):  # noqa: F811
    upload = tmp_path / "wholesale.csv"
    upload.write_bytes(large_catalog_csv(ROWS))
    sign_in(page)
    page.set_input_files("input[type=file]", str(upload))
    page.click("button:has-text('Import')")
    page.wait_for_url(re.compile(r".*/admin/catalog/import/\d+$"))
    # The page reloads itself when the job ends (its script polls the job's status).
    page.wait_for_selector("h1:has-text('Imported wholesale.csv')", timeout=300_000)
    assert "2000 added, 0 updated" in page.locator("[data-progress]").inner_text()
    shot(page, "import-job-done")
    with runtime.transaction() as s:
        assert get_item(s, "BULK-002000").name.startswith("warehouse assortment")


@pytest.mark.parametrize("scripts", [True, False])
def test_the_job_page_follows_the_job(browser, site, runtime, scripts):  # noqa: F811
    """With scripts the page polls the job and moves its bar; without, it refreshes itself.
    Either way it shows the end when the job ends."""
    context = browser.new_context(base_url=site, java_script_enabled=scripts)
    try:
        watcher = context.new_page()
        watcher.set_default_timeout(60_000)
        sign_in(watcher)
        with runtime.transaction() as s:
            job = ImportJob(filename="big.csv", started_by="merchant", set_stock=False,
                            status="running", phase="checking", done=1500, total=6000,
                            problems=[], created_at=utcnow(), updated_at=utcnow())
            s.add(job)
            s.flush()
            job_id = job.id
        watcher.goto(f"/admin/catalog/import/{job_id}")
        assert "Checking rows: 1,500 of 6,000" in watcher.locator("[data-progress]").inner_text()
        assert watcher.locator("progress").get_attribute("value") == "1500"
        if scripts:  # the bar moves without a reload
            with runtime.transaction() as s:
                moved = get_job(s, job_id)
                moved.phase, moved.done = "writing", 3000
            watcher.wait_for_selector("[data-progress]:has-text('Writing items: 3,000 of 6,000')")
            assert watcher.locator("progress").evaluate("bar => bar.value") == 3000
        with runtime.transaction() as s:
            ended = get_job(s, job_id)
            ended.status, ended.added, ended.updated = "done", 6000, 0
        watcher.wait_for_selector("h1:has-text('Imported big.csv')")
        assert "6000 added, 0 updated" in watcher.locator("[data-progress]").inner_text()
    finally:
        context.close()

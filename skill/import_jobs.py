"""Large catalog imports: in stages that hold no lock while the file is checked, reporting
progress, and in the console as a background job that a page follows.

A 26 MB file of 50,000 rows takes longer to check and write than a web worker may spend on
one request (gunicorn kills a worker after 30 s). So the console hands a large upload to a
thread of its worker and answers at once with the job's page; the job's row in the database
(``import_jobs``) says how far it got, so any worker can show it.

Still all or nothing: the file is read and every row checked first, outside any transaction
(SQLite takes its write lock when a transaction begins, and the skill must keep answering);
then everything is written in one transaction. If the catalog changed in between, the rows
are checked again against the catalog as it is then, inside that transaction.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from skill.catalog import catalog_fingerprint, catalog_spoken_names
from skill.catalog_io import Progress, check_import, read_catalog, replaced_skus, write_import
from skill.db import Base, UTCDateTime, utcnow
from skill.errors import ImportFailed, NotFound
from skill.runtime import Runtime

log = logging.getLogger(__name__)

MAX_PROBLEMS_KEPT = 1000
"""Problems a failed job keeps to show (with the count of all of them)."""
STALE_AFTER = timedelta(minutes=15)
"""A running job not heard from for this long was stopped with its worker: nothing of it
was written (its transaction never committed)."""
REPORT_EVERY = timedelta(seconds=0.5)
"""At most this often a job writes its progress."""


class ImportJob(Base):
    """A catalog import running (or run) in the background, and how far it got."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    started_by: Mapped[str] = mapped_column(String(64), default="")
    """The console admin who uploaded the file."""
    set_stock: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    """``running``, ``done`` or ``failed`` (then nothing was changed)."""
    phase: Mapped[str] = mapped_column(String(16), default="reading")
    """While running: ``reading`` the file, ``checking`` rows, ``writing`` items."""
    done: Mapped[int] = mapped_column(Integer, default=0)
    """Rows checked or items written so far, of ``total``."""
    total: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list] = mapped_column(JSON, default=list)
    """``[line, problem]`` pairs of a rejected file (the first ``MAX_PROBLEMS_KEPT``)."""
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    """Why a job failed other than by bad rows (never a traceback: that goes to the log)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """When the job last reported: a running job silent for ``STALE_AFTER`` is over."""
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def state(self, now: datetime) -> str:
        """``running``, ``done``, ``failed``, or ``interrupted`` (its worker stopped)."""
        if self.status == "running" and now - self.updated_at > STALE_AFTER:
            return "interrupted"
        return self.status

    def describe(self, now: datetime) -> str:
        """One line on how far the job got, for the console."""
        state = self.state(now)
        if state == "done":
            kept = "" if self.set_stock or not self.updated else " (their stock kept as it was)"
            return f"{self.added} added, {self.updated} updated{kept}"
        if state == "failed":
            if self.problem_count:
                plural = "s" if self.problem_count != 1 else ""
                return f"rejected: {self.problem_count} problem{plural}, nothing changed"
            return f"stopped: {self.error}; nothing changed"
        if state == "interrupted":
            return "stopped when its server worker stopped; nothing changed"
        if self.phase == "checking":
            return f"checking rows: {self.done:,} of {self.total:,}"
        if self.phase == "writing":
            return (f"writing items: {self.done:,} of {self.total:,} (saved only when all "
                    "are written)")
        return "reading the file"

    def as_dict(self, now: datetime) -> dict:
        """What the console's page polls."""
        return {"id": self.id, "filename": self.filename, "status": self.state(now),
                "phase": self.phase, "done": self.done, "total": self.total,
                "added": self.added, "updated": self.updated,
                "problem_count": self.problem_count, "progress": self.describe(now)}


def import_in_stages(runtime: Runtime, raw: bytes, fmt: str, *, set_stock: bool = False,
                     progress: Progress | None = None) -> tuple[int, int]:
    """Import an upload (``fmt`` ``csv`` or ``json``) all or nothing, checking it outside any
    transaction: ``(added, updated)``, or ImportFailed with every problem."""
    if progress:
        progress("reading", 0, 0)
    rows, problems = read_catalog(raw, fmt)
    replaced = replaced_skus(rows)
    with runtime.transaction() as session:
        known = catalog_spoken_names(session, excluding=replaced)
        seen = catalog_fingerprint(session)
    currency = runtime.store.currency
    specs = check_import(rows, problems, known, currency=currency, progress=progress)
    if progress:  # the last report that may open a transaction of its own (see _Reporter)
        progress("writing", 0, len(specs))
    with runtime.transaction() as session:
        if catalog_fingerprint(session) != seen:  # changed meanwhile: check against it now
            known = catalog_spoken_names(session, excluding=replaced)
            specs = check_import(rows, problems, known, currency=currency)
        return write_import(session, specs, set_stock=set_stock, progress=progress)


def create_job(session: Session, filename: str, *, set_stock: bool, started_by: str = ""
               ) -> ImportJob:
    """A new running job's row."""
    job = ImportJob(filename=filename[:255], set_stock=set_stock, started_by=started_by,
                    status="running", phase="reading", problems=[], created_at=utcnow(),
                    updated_at=utcnow())
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: int) -> ImportJob:
    """The job, or NotFound."""
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"no import job {job_id}")
    return job


class _Reporter:
    """Writes a job's progress to its row, each time in a short transaction of its own.

    On SQLite the import's write transaction holds the database's only write lock, so while
    writing nothing else can be committed: the job then reports only before and after
    (``write_import`` reports after each chunk, so ``done`` is never 0 inside it).
    """

    def __init__(self, runtime: Runtime, job_id: int) -> None:
        self.runtime, self.job_id = runtime, job_id
        self.live_while_writing = runtime.engine.dialect.name != "sqlite"
        self.last: tuple[str, datetime] | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = utcnow()
        if phase == "writing" and done and not self.live_while_writing:
            return
        if self.last and self.last[0] == phase and now - self.last[1] < REPORT_EVERY:
            return
        self.last = (phase, now)
        self.save(phase=phase, done=done, total=total)

    def save(self, **values: object) -> None:
        with self.runtime.transaction() as session:
            job = get_job(session, self.job_id)
            for key, value in values.items():
                setattr(job, key, value)
            job.updated_at = utcnow()


def run_job(runtime: Runtime, job_id: int, raw: bytes, fmt: str) -> None:
    """Run an import job to its end (in the caller's thread); never raises."""
    report = _Reporter(runtime, job_id)
    try:
        with runtime.transaction() as session:
            set_stock = get_job(session, job_id).set_stock
        added, updated = import_in_stages(runtime, raw, fmt, set_stock=set_stock,
                                          progress=report)
    except ImportFailed as exc:
        report.save(status="failed", problem_count=len(exc.problems), finished_at=utcnow(),
                    problems=[list(p) for p in exc.problems[:MAX_PROBLEMS_KEPT]])
    except Exception:  # a job must end, whatever stopped it; the details go to the log
        log.exception("catalog import job %s failed", job_id)
        report.save(status="failed", error="an unexpected error (see the server log)",
                    finished_at=utcnow())
    else:
        report.save(status="done", added=added, updated=updated, done=added + updated,
                    total=added + updated, finished_at=utcnow())


def start_job(runtime: Runtime, job_id: int, raw: bytes, fmt: str) -> threading.Thread:
    """Run the job in a background thread of this process; its row tells how it goes."""
    thread = threading.Thread(target=run_job, args=(runtime, job_id, raw, fmt),
                              name=f"catalog-import-{job_id}", daemon=True)
    thread.start()
    return thread

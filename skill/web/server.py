"""Production serving: gunicorn with N worker processes, each with its own database engine.

The Flask development server (``voicecart serve`` without ``--workers``) is for one developer
on one machine. Under gunicorn the workers share nothing but the database, so any worker can
take any turn: session state travels in Alexa's session attributes, and every purchase step
is one database transaction with row locks where two turns could meet.
"""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import BaseApplication

from skill.runtime import Runtime
from skill.web import AppConfig, create_app


def gunicorn_settings(workers: int, threads: int = 1, timeout: int = 30) -> dict[str, object]:
    """How ``voicecart serve --workers N --threads T`` runs gunicorn (also the load
    benchmark's bare baseline, so that both are served alike). One thread: sync workers, which
    close the connection after each response (gunicorn's sync workers do no keep-alive; a
    proxy in front buffers slow clients). More: gthread workers, which keep a client's
    connection open for ``keepalive`` seconds between requests."""
    return {"workers": workers, "threads": threads, "timeout": timeout,
            "worker_class": "gthread" if threads > 1 else "sync", "keepalive": 5}


def gunicorn_arguments(settings: dict[str, object]) -> list[str]:
    """``settings`` (``gunicorn_settings``) as gunicorn's command-line options."""
    return [f"--{key.replace('_', '-')}={value}" if key != "keepalive"
            else f"--keep-alive={value}" for key, value in settings.items()]


class GunicornServer(BaseApplication):
    """gunicorn, configured in code; each worker builds its app after the fork."""

    def __init__(self, db_url: str, config: AppConfig, *, host: str, port: int,
                 workers: int, threads: int = 1, timeout: int = 30) -> None:
        self.db_url = db_url
        self.app_config = config
        self.options = {"bind": f"{host}:{port}", "accesslog": None, "errorlog": "-",
                        **gunicorn_settings(workers, threads, timeout)}
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # After the fork: a connection pool must never cross processes. The schema was
        # migrated (or checked) by the master before any worker started.
        runtime = Runtime.open(self.db_url, migrate=False)
        return create_app(runtime, self.app_config)

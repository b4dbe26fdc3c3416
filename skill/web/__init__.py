"""The web application: the Alexa endpoint and a health check (the console comes later)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from flask import Flask, jsonify
from sqlalchemy import text

from skill.runtime import Runtime
from skill.verification import CertFetcher, RequestVerifier, fetch_certificate_chain

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 256 * 1024
"""Alexa requests are a few KB; anything far larger is refused before it is parsed."""


@dataclass
class AppConfig:
    """How the web app runs; ``from_env`` reads ``VOICECART_SKILL_ID`` and ``VOICECART_VERIFY``."""

    skill_id: str | None = None
    """The Alexa skill id requests must name (required when verifying)."""
    verify: bool = True
    """Verify Alexa's signatures and timestamps; off only for local development."""
    cert_fetcher: CertFetcher = field(default=fetch_certificate_chain)
    trust_store: object | None = None
    """A ``cryptography`` Store of trusted roots; None means the Mozilla set from certifi."""

    @classmethod
    def from_env(cls) -> AppConfig:
        """Settings from the environment."""
        verify = os.environ.get("VOICECART_VERIFY", "1").lower() not in ("0", "false", "no")
        return cls(skill_id=os.environ.get("VOICECART_SKILL_ID") or None, verify=verify)


def create_app(runtime: Runtime, config: AppConfig | None = None) -> Flask:
    """The Flask application for ``runtime``."""
    from skill.alexa import build_skill
    from skill.web.alexa import alexa_blueprint

    config = config or AppConfig.from_env()
    if config.verify and not config.skill_id:
        raise ValueError("verification needs the skill id: set VOICECART_SKILL_ID "
                         "(or turn verification off for local development)")
    if not config.verify:
        log.warning("Alexa request verification is OFF: local development only, never expose "
                    "this endpoint to the internet")
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    verifier = (RequestVerifier(config.skill_id, fetcher=config.cert_fetcher,
                                trust_store=config.trust_store)  # type: ignore[arg-type]
                if config.verify else None)
    skill = build_skill(runtime, config.skill_id)
    app.register_blueprint(alexa_blueprint(skill, verifier, config.skill_id))
    app.extensions["voicecart"] = runtime

    @app.get("/health")
    def health():  # noqa: ANN202
        try:
            with runtime.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # the point of a health check is to report, not raise
            log.error("health check: database unreachable: %s", exc)
            return jsonify(status="error", database="unreachable"), 503
        return jsonify(status="ok", database="ok")

    @app.errorhandler(413)
    def too_large(_error: Exception):  # noqa: ANN202
        return jsonify(error="request body is too large"), 413

    @app.errorhandler(405)
    def wrong_method(_error: Exception):  # noqa: ANN202
        return jsonify(error="method not allowed"), 405

    @app.errorhandler(404)
    def not_found(_error: Exception):  # noqa: ANN202
        return jsonify(error="not found"), 404

    return app

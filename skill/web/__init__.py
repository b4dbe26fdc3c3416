"""The web application: the Alexa endpoint, the merchant console (``/admin``), the JSON API
(``/api/v1``) and a health check."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask, jsonify, render_template, request
from sqlalchemy import text

from skill.runtime import Runtime
from skill.signing import secret_key
from skill.verification import CertFetcher, RequestVerifier, fetch_certificate_chain

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 256 * 1024
"""Alexa requests are a few KB; anything far larger is refused before it is parsed."""
MAX_UPLOAD_BYTES = 32 * 1024 * 1024
"""Catalog imports through the console and the API may be large."""


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
    secret_key: str | None = None
    """Signs the console's session cookies; None: ``VOICECART_SECRET_KEY``, else a key kept
    in the user data directory (shared by every worker on the machine)."""
    secure_cookies: bool = False
    """Send the console's cookie over HTTPS only (set behind a TLS proxy)."""
    linking_required: bool | None = None
    """Only linked requests (a valid access token) can shop; None: required when verifying
    (production), not in local development."""

    @property
    def requires_linking(self) -> bool:
        """Whether the skill answers unlinked requests with a LinkAccount card."""
        return self.verify if self.linking_required is None else self.linking_required

    @classmethod
    def from_env(cls) -> AppConfig:
        """Settings from the environment."""
        def flag(name: str, default: str) -> bool:
            return os.environ.get(name, default).lower() not in ("0", "false", "no")

        linking = os.environ.get("VOICECART_LINKING_REQUIRED")
        return cls(skill_id=os.environ.get("VOICECART_SKILL_ID") or None,
                   verify=flag("VOICECART_VERIFY", "1"),
                   secure_cookies=flag("VOICECART_SECURE_COOKIES", "0"),
                   linking_required=None if linking is None
                   else flag("VOICECART_LINKING_REQUIRED", "1"))


def create_app(runtime: Runtime, config: AppConfig | None = None) -> Flask:
    """The Flask application for ``runtime``."""
    from flask_wtf.csrf import CSRFProtect

    from skill.alexa import build_skill
    from skill.web.account import account_blueprint
    from skill.web.alexa import alexa_blueprint
    from skill.web.api import api_blueprint
    from skill.web.console import console_blueprint
    from skill.web.household import household_blueprint
    from skill.web.oauth import oauth_blueprint

    config = config or AppConfig.from_env()
    if config.verify and not config.skill_id:
        raise ValueError("verification needs the skill id: set VOICECART_SKILL_ID "
                         "(or turn verification off for local development)")
    if not config.verify:
        log.warning("Alexa request verification is OFF: local development only, never expose "
                    "this endpoint to the internet")
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES, SECRET_KEY=secret_key(config.secret_key),
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=config.secure_cookies,
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=8), WTF_CSRF_TIME_LIMIT=None)
    verifier = (RequestVerifier(config.skill_id, fetcher=config.cert_fetcher,
                                trust_store=config.trust_store)  # type: ignore[arg-type]
                if config.verify else None)
    skill = build_skill(runtime, config.skill_id, linking_required=config.requires_linking)
    alexa = alexa_blueprint(skill, verifier, config.skill_id, runtime=runtime)

    @alexa.before_request
    def small_bodies_only() -> None:
        request.max_content_length = MAX_REQUEST_BYTES

    api = api_blueprint(runtime)
    app.register_blueprint(alexa)
    app.register_blueprint(api)
    app.register_blueprint(console_blueprint(runtime))
    app.register_blueprint(account_blueprint(runtime))
    app.register_blueprint(household_blueprint(runtime))
    oauth = oauth_blueprint(runtime, app)
    app.register_blueprint(oauth)
    csrf = CSRFProtect(app)  # the console's forms; machines authenticate otherwise
    csrf.exempt(alexa)
    csrf.exempt(api)
    csrf.exempt(oauth.token_view)  # Alexa authenticates by its client secret
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
        if request.path.startswith("/admin"):
            return render_template("admin/not_found.html"), 404
        return jsonify(error="not found"), 404

    return app

"""The OAuth 2.0 endpoints Alexa's account linking calls: ``/oauth/authorize`` (the owner
signs in and consents) and ``/oauth/token`` (codes and refresh tokens for tokens; the client
authenticates by HTTP Basic). The grants themselves are ``skill.linking``'s.

An authorization request that names an unknown client or a redirect URI the client did not
register is answered here with an error page, never redirected: only a registered redirect
URI ever receives a code or an error.
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Flask, g, redirect, render_template, request, session, url_for

from skill.linking import authorization_server
from skill.runtime import Runtime
from skill.web.account import current_shopper


def oauth_blueprint(runtime: Runtime, app: Flask) -> Blueprint:
    """The two endpoints, over Authlib's server configured on ``app``. The token view is
    ``blueprint.token_view`` (it takes no CSRF token: the client secret authenticates it)."""
    server = authorization_server(app)
    bp = Blueprint("oauth", __name__, url_prefix="/oauth", template_folder="templates")

    @bp.route("/authorize", methods=["GET", "POST"])
    def authorize():  # noqa: ANN202
        with runtime.transaction() as db:
            g.oauth_db = db
            shopper = current_shopper(db)
            try:
                grant = server.get_consent_grant(end_user=shopper.household if shopper
                                                 else None)
            except OAuth2Error as error:
                return render_template("account/link_error.html", error=error.error,
                                       description=error.description), 400
            if shopper is None:
                for key in ("shopper", "shopper_generation"):
                    session.pop(key, None)
                return redirect(url_for("account.login", next=request.full_path))
            if request.method == "GET":
                return render_template("account/consent.html", client=grant.client,
                                       shopper=shopper)
            allowed = request.form.get("decision") == "allow"
            return server.create_authorization_response(
                grant=grant, grant_user=shopper.household if allowed else None)

    @bp.post("/token")
    def token():  # noqa: ANN202
        with runtime.transaction() as db:
            g.oauth_db = db
            return server.create_token_response()

    bp.token_view = token  # type: ignore[attr-defined]
    return bp

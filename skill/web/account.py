"""Household owners' sign-up, sign-in and password reset at ``/account`` (apart from the
merchant's console: other people, other session keys), and the e-mailed approval links.

Sessions keep the owner's id and session generation (``skill.shoppers``), checked on every
request, so a new password or a lockout ends every signed-in browser. Every form carries a
CSRF token. The owner's page itself is ``skill.web.household``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from skill import money
from skill.admins import LOGIN_LOCKOUT, MAX_FAILED_LOGINS, LoginLocked
from skill.approval_links import decide_by_link, find_link, public_url
from skill.errors import InvalidInput, NotAllowed
from skill.runtime import Runtime
from skill.shoppers import (
    Shopper,
    authenticate,
    request_password_reset,
    reset_password,
    shopper_for_session,
    sign_up,
)

SIGN_IN_FAILED = (f"Wrong e-mail address or password. After {MAX_FAILED_LOGINS} wrong "
                  f"passwords in a row, signing in is refused for "
                  f"{LOGIN_LOCKOUT.seconds // 60} minutes.")
"""One message for an unknown address, a wrong password and a locked account alike."""
RESET_SENT = ("If that address has an account, a link to choose a new password is on its way. "
              "It works once, within an hour.")
SHOPPER, GENERATION = "shopper", "shopper_generation"
"""Session keys of a signed-in owner."""


def start_session(shopper: Shopper) -> None:
    """Sign ``shopper`` in on this browser (a fresh session: no fixation)."""
    session.clear()
    session.permanent = True
    session[SHOPPER] = shopper.id
    session[GENERATION] = shopper.session_generation


def current_shopper(db: object) -> Shopper | None:
    """The signed-in owner, read in ``db``, or None (ended sessions included)."""
    return shopper_for_session(db, session.get(SHOPPER), session.get(GENERATION))  # type: ignore[arg-type]


def shopper_required(runtime: Runtime) -> Callable[[Callable], Callable]:
    """A view decorator: the view runs in one transaction (``g.db``) with the signed-in owner
    (``g.shopper``), else the browser is sent to sign in and back."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: object, **kwargs: object) -> object:
            with runtime.transaction() as db:
                shopper = current_shopper(db)
                if shopper is None:
                    for key in (SHOPPER, GENERATION):
                        session.pop(key, None)
                    return redirect(url_for("account.login", next=request.full_path))
                g.db, g.shopper = db, shopper
                return view(*args, **kwargs)
        return wrapper
    return decorator


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site under /account or /oauth: a crafted link must not bounce a
    signed-in owner elsewhere (nor carry line breaks into the redirect)."""
    if (target and _SAFE_NEXT.match(target) and not urlsplit(target).netloc
            and "\\" not in target and "/../" not in target and "/./" not in target):
        return target
    return default


_SAFE_NEXT = re.compile(r"^/(?:account|oauth)(?:[/?][\x21-\x7e]*)?$")


def account_blueprint(runtime: Runtime) -> Blueprint:
    """Sign-up, sign-in, sign-out, password reset and approval links."""
    bp = Blueprint("account", __name__, url_prefix="/account", template_folder="templates")
    signed_in = shopper_required(runtime)

    @bp.route("/signup", methods=["GET", "POST"])
    def signup():  # noqa: ANN202
        errors: dict[str, str] = {}
        form = request.form
        if request.method == "POST":
            if form.get("password", "") != form.get("password_again", ""):
                errors["password_again"] = "the two passwords differ"
            else:
                try:
                    with runtime.transaction() as db:
                        shopper = sign_up(db, form.get("email", ""), form.get("password", ""),
                                          form.get("name", ""))
                        start_session(shopper)
                    return redirect(safe_next(request.args.get("next"),
                                              url_for("household.home")))
                except InvalidInput as exc:
                    errors = exc.fields or {"password": str(exc)}
        return render_template("account/signup.html", errors=errors, form=form), \
            400 if errors else 200

    @bp.route("/login", methods=["GET", "POST"])
    def login():  # noqa: ANN202
        error = None
        if request.method == "POST":
            try:
                with runtime.transaction() as db:
                    shopper = authenticate(db, request.form.get("email", ""),
                                           request.form.get("password", ""))
                    if shopper is not None:
                        start_session(shopper)
                        return redirect(safe_next(request.args.get("next"),
                                                  url_for("household.home")))
            except LoginLocked:
                pass  # said as for a wrong password
            error = SIGN_IN_FAILED
        return render_template("account/login.html", error=error), 401 if error else 200

    @bp.post("/logout")
    def logout():  # noqa: ANN202
        for key in (SHOPPER, GENERATION):
            session.pop(key, None)
        return redirect(url_for("account.login"))

    @bp.route("/forgot", methods=["GET", "POST"])
    def forgot():  # noqa: ANN202
        sent = False
        if request.method == "POST":
            with runtime.transaction() as db:
                request_password_reset(db, request.form.get("email", ""),
                                       f"{public_url()}/account/reset/")
            sent = True  # the same answer whether or not the address has an account
        return render_template("account/forgot.html", sent=sent, message=RESET_SENT)

    @bp.route("/reset/<token>", methods=["GET", "POST"])
    def reset(token: str):  # noqa: ANN202
        error = None
        if request.method == "POST":
            if request.form.get("password", "") != request.form.get("password_again", ""):
                error = "the two passwords differ"
            else:
                try:
                    with runtime.transaction() as db:
                        start_session(reset_password(db, token, request.form.get("password",
                                                                                 "")))
                    return redirect(url_for("household.home"))
                except InvalidInput as exc:
                    error = str(exc)
        return render_template("account/reset.html", error=error), 400 if error else 200

    @bp.route("/decide/<token>", methods=["GET", "POST"])
    @signed_in
    def decide(token: str):  # noqa: ANN202
        household = g.shopper.household
        try:
            if request.method == "POST":
                order = decide_by_link(g.db, runtime.store, token, household)
                return render_template("account/decided.html", order=order, money=money)
            link = find_link(g.db, token, household)
        except NotAllowed as exc:
            return render_template("account/link_failed.html", reason=str(exc)), \
                404 if exc.code == "bad_link" else 410
        return render_template("account/decide.html", link=link, order=link.order,
                               money=money)

    return bp

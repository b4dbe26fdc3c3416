"""The merchant console at ``/admin``: server-rendered pages over the same services as the
command line. Every page needs a signed-in admin; every form carries a CSRF token."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial, wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from skill import interaction_model, money
from skill.accounts import (
    find_account,
    get_account,
    list_accounts,
    restrict_category,
    set_email,
    set_limits,
    set_pin,
)
from skill.admins import (
    LOGIN_LOCKOUT,
    MAX_FAILED_LOGINS,
    LoginLocked,
    admin_for_session,
    authenticate,
    end_sessions,
    get_admin,
)
from skill.audit import list_attempts
from skill.catalog import (
    FIELDS,
    create_item,
    get_item,
    new_item_record,
    remove_item,
    search_items,
    spec_of,
)
from skill.catalog import update_item as update_catalog_item
from skill.catalog_io import export_catalog
from skill.db import utcnow
from skill.errors import InvalidInput, NotAllowed, NotFound, VoiceCartError
from skill.import_jobs import ImportJob, create_job, get_job, run_job, start_job
from skill.orders import (
    TRANSITIONS,
    OrderStatus,
    advance_order,
    approve_order,
    get_order,
    list_orders,
    reject_order,
)
from skill.runtime import Runtime
from skill.web.console_insights import register_insight_pages

SIGN_IN_FAILED = (f"Wrong username or password. After {MAX_FAILED_LOGINS} wrong passwords in a "
                  f"row, signing in is refused for {LOGIN_LOCKOUT.seconds // 60} minutes.")
"""One message for an unknown username, a wrong password and a locked admin alike."""
INLINE_IMPORT_BYTES = 1024 * 1024
"""An upload up to this size (some 2,000 rows) is imported while the browser waits; a larger
one runs in the background and the browser follows its job's page (a worker that spent
longer on one request would be stopped by gunicorn's timeout)."""
AUDIT_OUTCOMES = ("placed", "awaiting_approval", "approved", "rejected", "declined", "refused",
                  "pin_failed", "locked")


def console_blueprint(runtime: Runtime) -> Blueprint:
    """The console's pages, bound to ``runtime``."""
    console = Blueprint("console", __name__, url_prefix="/admin", template_folder="templates")

    def signed_in(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: object, **kwargs: object) -> object:
            if not session.get("admin") or not _session_is_current(runtime):
                session.clear()
                return redirect(url_for("console.login", next=request.full_path))
            return view(*args, **kwargs)
        return wrapper

    # --- sign in ---------------------------------------------------------------------------

    @console.route("/login", methods=["GET", "POST"])
    def login():  # noqa: ANN202
        error = None
        if request.method == "POST":
            username = request.form.get("username", "")
            try:
                with runtime.transaction() as db:
                    admin = authenticate(db, username, request.form.get("password", ""))
                    if admin is not None:
                        session.clear()
                        session["admin"] = admin.username
                        session["generation"] = admin.session_generation
                        return redirect(_safe_next(request.args.get("next")))
            except LoginLocked:
                pass  # said as for a wrong password: an unknown username is never locked
            error = SIGN_IN_FAILED
        return render_template("admin/login.html", error=error), 401 if error else 200

    @console.post("/logout")
    def logout():  # noqa: ANN202
        """Ends every session of the admin, not only this browser's: a copy of the cookie
        (or another device) must sign in again too."""
        if session.get("admin") and _session_is_current(runtime):
            with runtime.transaction() as db:
                end_sessions(get_admin(db, session["admin"]))
        session.clear()
        return redirect(url_for("console.login"))

    @console.get("/")
    @signed_in
    def home():  # noqa: ANN202
        return redirect(url_for("console.catalog"))

    # --- catalog ---------------------------------------------------------------------------

    @console.get("/catalog")
    @signed_in
    def catalog():  # noqa: ANN202
        query = request.args.get("q", "").strip()
        with runtime.transaction() as db:
            items = [spec_of(i) for i in search_items(db, query)]
        return render_template("admin/catalog.html", items=items, q=query, money=money)

    @console.route("/catalog/new", methods=["GET", "POST"])
    @signed_in
    def item_new():  # noqa: ANN202
        record = new_item_record({"name": request.args.get("name", "").strip()[:200]},
                                 runtime.store.currency)  # a name suggested by the insights
        errors: dict[str, str] = {}
        if request.method == "POST":
            record = _form_record()
            try:
                with runtime.transaction() as db:
                    item = create_item(db, record, runtime.store.currency)
                    added = f"{item.sku} ({item.name})"
                flash(f"Added {added}.")
                return redirect(url_for("console.catalog"))
            except InvalidInput as exc:
                errors = exc.fields or {"sku": str(exc)}
        return render_template("admin/item_form.html", record=record, errors=errors,
                               new=True), 422 if errors else 200

    @console.route("/catalog/<sku>/edit", methods=["GET", "POST"])
    @signed_in
    def item_edit(sku: str):  # noqa: ANN202
        with runtime.transaction() as db:
            record = spec_of(_or_404(get_item, db, sku)).as_record()
        errors: dict[str, str] = {}
        if request.method == "POST":
            record = _form_record()
            try:
                with runtime.transaction() as db:
                    update_catalog_item(db, sku, record, currency=runtime.store.currency)
                flash(f"Saved {record['sku']}.")
                return redirect(url_for("console.catalog"))
            except InvalidInput as exc:
                errors = exc.fields or {"sku": str(exc)}
        return render_template("admin/item_form.html", record=record, errors=errors,
                               new=False, sku=sku), 422 if errors else 200

    @console.post("/catalog/<sku>/delete")
    @signed_in
    def item_delete(sku: str):  # noqa: ANN202
        with runtime.transaction() as db:
            _or_404(remove_item, db, sku)
        flash(f"Removed {sku}. Past orders keep their own copy of it.")
        return redirect(url_for("console.catalog"))

    @console.post("/catalog/import")
    @signed_in
    def catalog_import():  # noqa: ANN202
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("Choose a CSV or JSON file to import.", "error")
            return redirect(url_for("console.catalog"))
        fmt = "json" if upload.filename.lower().endswith(".json") else "csv"
        raw = upload.read()
        with runtime.transaction() as db:
            job_id = create_job(db, upload.filename, set_stock=bool(request.form.get(
                "set_stock")), started_by=session.get("admin", "")).id
        if len(raw) > INLINE_IMPORT_BYTES:
            start_job(runtime, job_id, raw, fmt)
            return redirect(url_for("console.import_job", job_id=job_id), code=303)
        run_job(runtime, job_id, raw, fmt)
        with runtime.transaction() as db:
            job = get_job(db, job_id)
        if job.status == "done":
            flash(f"Imported {job.filename}: {job.describe(utcnow())}. Rebuild the interaction "
                  "model so that shoppers can say the new names.")
            return redirect(url_for("console.catalog"))
        return _import_job_page(job), 422

    @console.get("/catalog/import/<int:job_id>")
    @signed_in
    def import_job(job_id: int):  # noqa: ANN202
        with runtime.transaction() as db:
            job = _or_404(get_job, db, job_id)
        return _import_job_page(job)

    @console.get("/catalog/import/<int:job_id>/status")
    @signed_in
    def import_job_status(job_id: int):  # noqa: ANN202
        """What the job's page polls (its script; without one the page refreshes itself)."""
        with runtime.transaction() as db:
            return jsonify(_or_404(get_job, db, job_id).as_dict(utcnow()))

    @console.get("/catalog/export.<fmt>")
    @signed_in
    def catalog_export(fmt: str):  # noqa: ANN202
        if fmt not in ("csv", "json"):
            abort(404)
        with runtime.transaction() as db:
            text = export_catalog(db, fmt)
        return _download(text, fmt)

    @console.post("/model/rebuild")
    @signed_in
    def model_rebuild():  # noqa: ANN202
        try:
            with runtime.transaction() as db:
                path, count = interaction_model.rebuild_file(db)
        except VoiceCartError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Rebuilt the interaction model with {count} items ({path.name}). Paste it "
                  "into the Alexa developer console.")
        return redirect(url_for("console.catalog"))

    # --- orders and approvals --------------------------------------------------------------

    @console.get("/orders")
    @signed_in
    def orders():  # noqa: ANN202
        status = request.args.get("status") or None
        user = request.args.get("account", "").strip() or None
        statuses = [s.value for s in OrderStatus]
        if status is not None and status not in statuses:
            return render_template("admin/orders.html", orders=[], status=None,
                                   account=user or "", statuses=statuses, money=money,
                                   error="Unknown status: choose one from the list."), 400
        with runtime.transaction() as db:
            account = find_account(db, user) if user else None
            found = ([] if user and account is None else list_orders(
                db, account=account, status=OrderStatus(status) if status else None))
        return render_template("admin/orders.html", orders=found, status=status,
                               account=user or "", statuses=statuses, money=money)

    @console.get("/orders/<int:order_id>")
    @signed_in
    def order(order_id: int):  # noqa: ANN202
        with runtime.transaction() as db:
            found = _or_404(get_order, db, order_id)
            user_id = found.account.user_id
        moves = sorted(s.value for s in TRANSITIONS.get(OrderStatus(found.status), set()))
        return render_template("admin/order.html", order=found, user_id=user_id, moves=moves,
                               money=money)

    @console.post("/orders/<int:order_id>/advance")
    @signed_in
    def order_advance(order_id: int):  # noqa: ANN202
        try:
            status = OrderStatus(request.form.get("status", ""))
        except ValueError:
            flash("Choose a status.", "error")
            return redirect(url_for("console.order", order_id=order_id))
        try:
            with runtime.transaction() as db:
                advance_order(db, order_id, status, note=request.form.get("note", "").strip())
            flash(f"Order {order_id} is now {status.value.replace('_', ' ')}.")
        except NotFound:
            abort(404)
        except NotAllowed as exc:
            flash(str(exc), "error")
        return redirect(url_for("console.order", order_id=order_id))

    @console.get("/approvals")
    @signed_in
    def approvals():  # noqa: ANN202
        with runtime.transaction() as db:
            waiting = list_orders(db, status=OrderStatus.AWAITING_APPROVAL)
        return render_template("admin/approvals.html", orders=waiting, money=money)

    @console.post("/approvals/<int:order_id>/<decision>")
    @signed_in
    def approval_decide(order_id: int, decision: str):  # noqa: ANN202
        act = {"approve": partial(approve_order, store=runtime.store),
               "reject": reject_order}.get(decision)
        if act is None:
            abort(404)
        note = f"{decision}d by {session['admin']} in the console"
        try:
            with runtime.transaction() as db:
                act(db, order_id, note=note)
            done = "approved and placed" if decision == "approve" else "rejected"
            flash(f"Order {order_id} {done}.")
        except NotFound:
            abort(404)
        except NotAllowed as exc:
            flash(str(exc), "error")
        return redirect(url_for("console.approvals"))

    # --- accounts and the audit log --------------------------------------------------------

    @console.get("/accounts")
    @signed_in
    def accounts():  # noqa: ANN202
        with runtime.transaction() as db:
            found = list_accounts(db)
        return render_template("admin/accounts.html", accounts=found, money=money,
                               currency=runtime.store.currency)

    @console.route("/accounts/<user_id>", methods=["GET", "POST"])
    @signed_in
    def account(user_id: str):  # noqa: ANN202
        errors: dict[str, str] = {}
        if request.method == "POST":
            errors = _save_account(runtime, user_id)
            if not errors:
                flash("Saved the purchase settings.")
                return redirect(url_for("console.account", user_id=user_id))
        with runtime.transaction() as db:
            found = _or_404(get_account, db, user_id)
        return render_template("admin/account.html", account=found, errors=errors,
                               money=money, currency=runtime.store.currency,
                               levels=["none", "pin", "approval", "blocked"]), (
            422 if errors else 200)

    @console.get("/audit")
    @signed_in
    def audit():  # noqa: ANN202
        outcome = request.args.get("outcome") or None
        user = request.args.get("account", "").strip() or None
        with runtime.transaction() as db:
            attempts = list_attempts(db, user_id=user, outcome=outcome)
        return render_template("admin/audit.html", attempts=attempts, outcome=outcome,
                               account=user or "", outcomes=AUDIT_OUTCOMES, money=money)

    register_insight_pages(console, runtime, signed_in)
    return console


def _download(text: str, fmt: str) -> Response:
    """A catalog export as a file to save (never shown inline)."""
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    return Response(text, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="catalog.{fmt}"',
        "X-Content-Type-Options": "nosniff"})


def _import_job_page(job: ImportJob) -> str:
    """A job's page: its progress, its result, or every problem of a rejected file."""
    now = utcnow()
    if job.state(now) == "failed" and job.problem_count:
        return render_template("admin/import_failed.html", filename=job.filename,
                               problems=job.problems, problem_count=job.problem_count)
    return render_template("admin/import_job.html", job=job, state=job.state(now),
                           progress=job.describe(now))


def _session_is_current(runtime: Runtime) -> bool:
    """Whether this browser's session is still one of its admin's (not ended since)."""
    with runtime.transaction() as db:
        return admin_for_session(db, session.get("admin"), session.get("generation")) is not None


def _form_record() -> dict:
    record = {field: request.form.get(field, "").strip() for field in FIELDS}
    record["reorderable"] = "true" if request.form.get("reorderable") else "false"
    return record


def _save_account(runtime: Runtime, user_id: str) -> dict[str, str]:
    """Apply the account form; field -> message for what was wrong (nothing is saved then)."""
    form = request.form
    errors: dict[str, str] = {}
    limits: dict[str, int | None] = {}
    for field in ("per_order", "per_day"):
        text = form.get(field, "").strip()
        try:
            limits[field] = money.parse_amount(text, runtime.store.currency) if text else None
        except ValueError as exc:
            errors[field] = str(exc)
    email = form.get("email", "").strip()
    pin = form.get("new_pin", "").strip()
    if pin and not (len(pin) == 4 and pin.isdigit()):
        errors["new_pin"] = "a PIN is four digits"
    if errors:
        return errors
    try:
        with runtime.transaction() as db:
            _or_404(get_account, db, user_id)
            if form.get("remove_pin"):
                set_pin(db, user_id, None)
            elif pin:
                set_pin(db, user_id, pin)
            set_email(db, user_id, email)
            set_limits(db, user_id, per_order_minor=limits["per_order"],
                       per_day_minor=limits["per_day"],
                       approval_required=bool(form.get("approval_required")),
                       pin_required=bool(form.get("pin_required")))
            for key, level in form.items():
                if key.startswith("category:") and level:
                    restrict_category(db, user_id, key.split(":", 1)[1], level)
            new_category = form.get("new_category", "").strip()
            if new_category:
                restrict_category(db, user_id, new_category, form.get("new_level", "approval"))
    except InvalidInput as exc:
        if exc.fields:
            return exc.fields
        return {"pin_required" if "PIN" in str(exc) else "form": str(exc)}
    return {}


def _or_404(getter: Callable, *args: object) -> object:
    try:
        return getter(*args)
    except NotFound:
        abort(404)


def _safe_next(target: str | None) -> str:
    """Only a console path on this site: a crafted link must not bounce a signed-in admin
    elsewhere, nor put line breaks (or anything but printable ASCII) into the redirect."""
    if (target and _SAFE_NEXT.match(target) and not urlsplit(target).netloc
            and "\\" not in target and "/../" not in target and "/./" not in target):
        return target
    return url_for("console.catalog")


_SAFE_NEXT = re.compile(r"^/admin(?:[/?][\x21-\x7e]*)?$")
"""``/admin``, ``/admin/...`` or ``/admin?...`` in printable ASCII (no space, CR or LF)."""

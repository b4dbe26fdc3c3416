"""The JSON API at ``/api/v1``: the console's operations for programs (a merchant syncing
the catalog from their store, say). Bearer tokens from ``voicecart admin token create``.
Documented by ``skill/web/openapi.json``, served at ``/api/v1/openapi.json``; a test keeps
the two in step.

Errors are JSON ``{"error": message}``, plus ``fields`` (field -> problem) for a bad item or
account change and ``problems`` (``[{"line", "problem"}]``) for a rejected import.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import partial
from importlib import resources

from flask import Blueprint, Response, g, jsonify, request

from skill import interaction_model, money, safejson
from skill.accounts import (
    Account,
    get_account,
    list_accounts,
    restrict_category,
    set_email,
    set_limits,
    set_pin,
)
from skill.admins import admin_for_token
from skill.audit import PurchaseAttempt, list_attempts
from skill.catalog import (
    CatalogItem,
    create_item,
    find_item,
    get_item,
    remove_item,
    search_items,
    spec_of,
    update_item,
)
from skill.catalog_io import export_catalog, import_catalog_bytes
from skill.errors import ImportFailed, InvalidInput, NotAllowed, NotFound, VoiceCartError
from skill.orders import (
    OrderStatus,
    advance_order,
    approve_order,
    get_order,
    list_orders,
    order_summary,
    reject_order,
)
from skill.runtime import Runtime
from skill.safejson import JsonRejected

MAX_BODY_BYTES = 1024 * 1024
"""Largest JSON body of an operation on one item or account (imports may be larger)."""
DEFAULT_AUDIT_LIMIT = 200
MAX_AUDIT_LIMIT = 1000
"""Most purchase attempts one ``GET /audit`` returns: larger limits are capped to it."""
ACCOUNT_FIELDS = {"per_order_limit", "per_day_limit", "approval_required", "pin_required",
                  "restricted_categories", "email"}


class ApiError(Exception):
    """An error answered as JSON with ``status``."""

    def __init__(self, status: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status, self.extra = status, extra


def openapi_spec() -> dict:
    """The API's OpenAPI document."""
    return json.loads(resources.files("skill.web").joinpath("openapi.json").read_text("utf-8"))


def api_blueprint(runtime: Runtime) -> Blueprint:
    """The ``/api/v1`` routes, bound to ``runtime``."""
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    currency = runtime.store.currency

    @api.errorhandler(ApiError)
    def api_error(exc: ApiError):  # noqa: ANN202
        return jsonify(error=str(exc), **exc.extra), exc.status

    @api.errorhandler(VoiceCartError)
    def service_error(exc: VoiceCartError):  # noqa: ANN202
        if isinstance(exc, NotFound):
            return jsonify(error=str(exc)), 404
        if isinstance(exc, ImportFailed):
            return jsonify(error=str(exc), problems=[
                {"line": line, "problem": problem} for line, problem in exc.problems]), 422
        if isinstance(exc, InvalidInput):
            return jsonify(error=str(exc), fields=exc.fields), 422
        if isinstance(exc, NotAllowed):
            return jsonify(error=str(exc), code=exc.code), 409
        return jsonify(error=str(exc)), 400

    @api.before_request
    def authenticate():  # noqa: ANN202
        if request.endpoint == "api.spec":
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized("an API token is required: Authorization: Bearer TOKEN")
        with runtime.transaction() as db:
            admin = admin_for_token(db, token.strip())
            if admin is None:
                return _unauthorized("the API token is not valid")
            g.admin = admin.username
        return None

    @api.get("/openapi.json")
    def spec():  # noqa: ANN202
        return jsonify(openapi_spec())

    # --- catalog ---------------------------------------------------------------------------

    @api.get("/catalog")
    def catalog_list():  # noqa: ANN202
        with runtime.transaction() as db:
            return jsonify(items=[_item(i) for i in search_items(db, request.args.get("q", ""))])

    @api.post("/catalog")
    def catalog_add():  # noqa: ANN202
        body = _body(dict)
        sku = body.get("sku")
        with runtime.transaction() as db:
            if isinstance(sku, str) and find_item(db, sku.strip()) is not None:
                raise ApiError(409, f"sku {sku.strip()!r} already exists")
            return jsonify(_item(create_item(db, body, currency))), 201

    @api.get("/catalog/<sku>")
    def catalog_get(sku: str):  # noqa: ANN202
        with runtime.transaction() as db:
            return jsonify(_item(get_item(db, sku)))

    @api.patch("/catalog/<sku>")
    def catalog_update(sku: str):  # noqa: ANN202
        changes = _body(dict)
        with runtime.transaction() as db:
            return jsonify(_item(update_item(db, sku, changes, currency=currency)))

    @api.delete("/catalog/<sku>")
    def catalog_remove(sku: str):  # noqa: ANN202
        with runtime.transaction() as db:
            remove_item(db, sku)
        return Response(status=204)

    @api.post("/catalog/import")
    def catalog_import():  # noqa: ANN202
        kind = request.mimetype
        if kind == "application/json":
            fmt = "json"
        elif kind in ("text/csv", "text/plain"):
            fmt = "csv"
        else:
            raise ApiError(415, "send the catalog as application/json or text/csv")
        set_stock = _query_flag("set_stock")
        with runtime.transaction() as db:
            added, updated = import_catalog_bytes(db, request.get_data(), fmt,
                                                  currency=currency, set_stock=set_stock)
        return jsonify(added=added, updated=updated)

    @api.get("/export/catalog")
    def catalog_export():  # noqa: ANN202
        fmt = request.args.get("format", "csv")
        if fmt not in ("csv", "json"):
            raise ApiError(400, "format must be csv or json")
        with runtime.transaction() as db:
            text = export_catalog(db, fmt)
        return Response(text, mimetype="text/csv" if fmt == "csv" else "application/json",
                        headers={"Content-Disposition": f'attachment; filename="catalog.{fmt}"'})

    @api.post("/model/rebuild")
    def model_rebuild():  # noqa: ANN202
        with runtime.transaction() as db:
            path, count = interaction_model.rebuild_file(db)
        return jsonify(file=path.name, items=count)

    # --- orders and approvals --------------------------------------------------------------

    @api.get("/orders")
    def orders_list():  # noqa: ANN202
        status = _status(request.args.get("status")) if request.args.get("status") else None
        user = request.args.get("account")
        with runtime.transaction() as db:
            account = get_account(db, user) if user else None
            return jsonify(orders=[order_summary(o) for o in
                                   list_orders(db, account=account, status=status)])

    @api.get("/orders/<int:order_id>")
    def order_get(order_id: int):  # noqa: ANN202
        with runtime.transaction() as db:
            return jsonify(order_summary(get_order(db, order_id)))

    @api.post("/orders/<int:order_id>/advance")
    def order_advance(order_id: int):  # noqa: ANN202
        body = _body(dict)
        status = _status(body.get("status"))
        expected = body.get("expected_delivery")
        try:
            expected_date = date.fromisoformat(expected) if expected else None
        except (TypeError, ValueError):
            raise ApiError(422, "expected_delivery must be a date like 2026-12-01",
                           fields={"expected_delivery": "not a date"}) from None
        with runtime.transaction() as db:
            order = advance_order(db, order_id, status, note=str(body.get("note") or ""),
                                  expected_delivery=expected_date)
            return jsonify(order_summary(order))

    @api.get("/approvals")
    def approvals_list():  # noqa: ANN202
        with runtime.transaction() as db:
            return jsonify(orders=[order_summary(o) for o in
                                   list_orders(db, status=OrderStatus.AWAITING_APPROVAL)])

    @api.post("/approvals/<int:order_id>/approve")
    def approval_approve(order_id: int):  # noqa: ANN202
        return _decide(partial(approve_order, store=runtime.store), order_id, "approved")

    @api.post("/approvals/<int:order_id>/reject")
    def approval_reject(order_id: int):  # noqa: ANN202
        return _decide(reject_order, order_id, "rejected")

    def _decide(act: Callable, order_id: int, verb: str):  # noqa: ANN202
        body = _body(dict, optional=True)
        note = str(body.get("note") or f"{verb} by {g.admin} through the API")
        with runtime.transaction() as db:
            return jsonify(order_summary(act(db, order_id, note=note)))

    # --- accounts and the audit log --------------------------------------------------------

    @api.get("/accounts")
    def accounts_list():  # noqa: ANN202
        with runtime.transaction() as db:
            return jsonify(accounts=[_account(a, currency) for a in list_accounts(db)])

    @api.get("/accounts/<user_id>")
    def account_get(user_id: str):  # noqa: ANN202
        with runtime.transaction() as db:
            return jsonify(_account(get_account(db, user_id), currency))

    @api.patch("/accounts/<user_id>")
    def account_update(user_id: str):  # noqa: ANN202
        body = _body(dict)
        unknown = sorted(set(body) - ACCOUNT_FIELDS)
        if unknown:
            raise ApiError(422, f"unknown field(s): {', '.join(unknown)}",
                           fields=dict.fromkeys(unknown, "unknown field"))
        limits = {key: _limit(body, key, currency) for key in ("per_order_limit",
                                                                "per_day_limit")}
        flags = {key: _flag(body, key) for key in ("approval_required", "pin_required")}
        rules = body.get("restricted_categories", {})
        if not isinstance(rules, dict):
            raise ApiError(422, "restricted_categories must be an object",
                           fields={"restricted_categories": "not an object"})
        if "email" in body and body["email"] is not None and not isinstance(body["email"], str):
            raise ApiError(422, "email must be a string or null", fields={"email": "not text"})
        with runtime.transaction() as db:
            get_account(db, user_id)
            if "email" in body:
                set_email(db, user_id, body["email"])
            set_limits(db, user_id, per_order_minor=limits["per_order_limit"],
                       per_day_minor=limits["per_day_limit"],
                       approval_required=flags["approval_required"],
                       pin_required=flags["pin_required"])
            for category, level in rules.items():
                restrict_category(db, user_id, category, str(level))
            return jsonify(_account(get_account(db, user_id), currency))

    @api.put("/accounts/<user_id>/pin")
    def account_pin_set(user_id: str):  # noqa: ANN202
        pin = _body(dict).get("pin")
        if not isinstance(pin, str) or len(pin) != 4 or not pin.isdigit():
            raise ApiError(422, "pin must be four digits as a string",
                           fields={"pin": "four digits"})
        with runtime.transaction() as db:
            get_account(db, user_id)
            set_pin(db, user_id, pin)
        return Response(status=204)

    @api.delete("/accounts/<user_id>/pin")
    def account_pin_remove(user_id: str):  # noqa: ANN202
        with runtime.transaction() as db:
            get_account(db, user_id)
            set_pin(db, user_id, None)
        return Response(status=204)

    @api.get("/audit")
    def audit_list():  # noqa: ANN202
        try:
            limit = int(request.args.get("limit", str(DEFAULT_AUDIT_LIMIT)))
        except ValueError:
            raise ApiError(400, "limit must be a whole number") from None
        if limit < 1:
            raise ApiError(400, f"limit must be between 1 and {MAX_AUDIT_LIMIT}")
        limit = min(limit, MAX_AUDIT_LIMIT)
        with runtime.transaction() as db:
            attempts = list_attempts(db, user_id=request.args.get("account") or None,
                                     outcome=request.args.get("outcome") or None, limit=limit)
            return jsonify(attempts=[_attempt(a) for a in attempts])

    from skill.web.api_insights import register_insight_routes  # it builds on this module

    register_insight_routes(api, runtime)
    return api


def _unauthorized(message: str):  # noqa: ANN202
    response = jsonify(error=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="voicecart"'
    return response


def _body(kind: type, *, optional: bool = False) -> dict:
    """The request's JSON body, within ``safejson``'s limits (400 with a short reason)."""
    raw = request.get_data()
    if optional and not raw:
        return {}
    try:
        body = safejson.loads(raw, max_bytes=MAX_BODY_BYTES)
    except JsonRejected as exc:
        raise ApiError(400, f"the body must be JSON: {exc}") from None
    if not isinstance(body, kind):
        raise ApiError(400, f"the body must be a JSON {'object' if kind is dict else 'list'}")
    return body


def _query_flag(name: str) -> bool:
    value = request.args.get(name, "false").strip().lower()
    if value not in ("true", "false", "1", "0", ""):
        raise ApiError(400, f"{name} must be true or false")
    return value in ("true", "1")


def _status(value: object) -> OrderStatus:
    try:
        return OrderStatus(str(value))
    except ValueError:
        allowed = ", ".join(s.value for s in OrderStatus)
        raise ApiError(422, f"status must be one of {allowed}",
                       fields={"status": "unknown status"}) from None


def _limit(body: dict, key: str, currency: str) -> int | None | type[...]:
    if key not in body:
        return ...
    value = body[key]
    if value is None:
        return None
    try:
        return money.parse_amount(str(value), currency)
    except ValueError as exc:
        raise ApiError(422, f"{key}: {exc}", fields={key: str(exc)}) from None


def _flag(body: dict, key: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise ApiError(422, f"{key} must be true or false", fields={key: "not a boolean"})
    return value


def _item(item: CatalogItem) -> dict:
    record = spec_of(item).as_record()
    return {"sku": item.sku, "name": item.name, "synonyms": list(item.synonyms),
            "price": record["price"], "currency": item.currency, "category": item.category,
            "reorderable": item.reorderable, "max_quantity": item.max_quantity,
            "restriction": item.restriction, "stock": item.stock, "unit": item.unit,
            "unit_plural": item.unit_plural}


def _account(account: Account, currency: str) -> dict:
    def amount(minor: int | None) -> str | None:
        return None if minor is None else money.format_amount(minor, currency)

    return {"user_id": account.user_id, "pin_set": account.has_pin,
            "pin_required": account.pin_required, "approval_required": account.approval_required,
            "per_order_limit": amount(account.per_order_limit_minor),
            "per_day_limit": amount(account.per_day_limit_minor),
            "restricted_categories": dict(account.restricted_categories or {}),
            "email": account.email,
            "voice_locked_until": account.voice_locked_until.isoformat()
            if account.voice_locked_until else None}


def _attempt(attempt: PurchaseAttempt) -> dict:
    return {"id": attempt.id, "at": attempt.at.isoformat(), "user_id": attempt.user_id,
            "channel": attempt.channel, "items": attempt.items,
            "total": money.format_amount(attempt.total_minor, attempt.currency),
            "currency": attempt.currency, "outcome": attempt.outcome, "reason": attempt.reason,
            "order_id": attempt.order_id}

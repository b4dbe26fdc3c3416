"""The owner's page, ``/account/``: voice purchasing settings, requests to approve, orders,
the cart the speaker started, recognized voices, members, addresses and linked skills.

Every change goes through the same services as the skill and the merchant's tools
(``skill.accounts``, ``skill.cart``, ``skill.orders``, ...), so a rule set here is the rule the
skill applies, and a line added here is in the cart the speaker reads back. Each view runs
in one transaction with the signed-in owner; a form error is shown on the page and changes
nothing.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from skill import money
from skill.accounts import restrict_category, set_limits, set_pin
from skill.cart import add_to_cart, read_cart, remove_from_cart, set_quantity
from skill.catalog import CatalogItem, Restriction, get_item
from skill.db import utcnow
from skill.errors import InvalidInput, NotFound, VoiceCartError
from skill.linking import links_of, revoke_link
from skill.orders import (
    Order,
    OrderStatus,
    approve_order,
    cancel_deadline,
    cancel_order,
    get_order,
    list_orders,
    reject_order,
)
from skill.runtime import Runtime
from skill.shoppers import (
    add_address,
    add_member,
    remove_address,
    remove_member,
    set_default_address,
)
from skill.voices import list_voices, name_voice
from skill.web.account import shopper_required

LEVELS = [r.value for r in Restriction]


def household_blueprint(runtime: Runtime) -> Blueprint:
    """The owner's page and its forms."""
    bp = Blueprint("household", __name__, url_prefix="/account", template_folder="templates")
    signed_in = shopper_required(runtime)

    def done(message: str, category: str = "ok") -> object:
        flash(message, category)
        return redirect(url_for("household.home"))

    def own_order(order_id: int) -> Order:
        order = get_order(g.db, order_id)
        if order.account_id != g.shopper.household.account_id:
            raise NotFound(f"no order {order_id}")  # another household's: as if none
        return order

    @bp.errorhandler(VoiceCartError)
    def refused(exc: VoiceCartError):  # noqa: ANN202
        flash(str(exc), "error")
        return redirect(url_for("household.home"))

    @bp.get("/")
    @signed_in
    def home():  # noqa: ANN202
        household = g.shopper.household
        account = household.account
        orders = list_orders(g.db, account=account, limit=50)
        items = list(g.db.scalars(select(CatalogItem).order_by(CatalogItem.name)))
        return render_template(
            "account/home.html", shopper=g.shopper, household=household, account=account,
            currency=runtime.store.currency, money=money, levels=LEVELS,
            waiting=[o for o in orders if o.status == OrderStatus.AWAITING_APPROVAL.value],
            orders=orders, cart=read_cart(g.db, account), items=items,
            voices=list_voices(g.db, household), links=links_of(g.db, household),
            cancellable={o.id for o in orders if _cancellable(runtime, o)})

    @bp.post("/settings")
    @signed_in
    def settings():  # noqa: ANN202
        form, household = request.form, g.shopper.household
        limits: dict[str, int | None] = {}
        for field in ("per_order", "per_day"):
            text = form.get(field, "").strip()
            try:
                limits[field] = (money.parse_amount(text, runtime.store.currency) if text
                                 else None)
            except ValueError as exc:
                raise InvalidInput(f"{field.replace('_', ' ')} limit: {exc}") from None
        set_limits(g.db, household.account.user_id, per_order_minor=limits["per_order"],
                   per_day_minor=limits["per_day"],
                   approval_required=bool(form.get("approval_required")),
                   pin_required=bool(form.get("pin_required")))
        household.purchasing_off = bool(form.get("purchasing_off"))
        household.require_recognized_voice = bool(form.get("require_recognized_voice"))
        return done("Voice purchasing settings saved.")

    @bp.post("/pin")
    @signed_in
    def pin():  # noqa: ANN202
        user_id = g.shopper.household.account.user_id
        if request.form.get("remove"):
            set_pin(g.db, user_id, None)
            return done("The voice PIN is removed.")
        new, again = request.form.get("pin", ""), request.form.get("pin_again", "")
        if new != again:
            raise InvalidInput("the two PINs differ: nothing changed")
        set_pin(g.db, user_id, new)
        return done("The voice PIN is set.")

    @bp.post("/categories")
    @signed_in
    def categories():  # noqa: ANN202
        restrict_category(g.db, g.shopper.household.account.user_id,
                          request.form.get("category", ""), request.form.get("level", ""))
        return done("Category rule saved.")

    @bp.post("/orders/<int:order_id>/<any(approve, reject, cancel):action>")
    @signed_in
    def order_action(order_id: int, action: str):  # noqa: ANN202
        order = own_order(order_id)
        if action == "approve":
            approve_order(g.db, order.id, note="approved by the owner", store=runtime.store)
            return done(f"Order {order.id} approved: it is placed.")
        if action == "reject":
            reject_order(g.db, order.id, note="rejected by the owner")
            return done(f"Order {order.id} rejected: nothing is bought.")
        cancel_order(g.db, runtime.store, g.shopper.household.account, order)
        return done(f"Order {order.id} cancelled.")

    @bp.post("/cart")
    @signed_in
    def cart():  # noqa: ANN202
        account = g.shopper.household.account
        item = get_item(g.db, request.form.get("sku", ""))
        quantity = _quantity(request.form.get("quantity", "1"))
        action = request.form.get("action", "add")
        if action == "remove":
            remove_from_cart(g.db, account, item)
        elif action == "set":
            set_quantity(g.db, account, item, quantity)
        else:
            add_to_cart(g.db, account, item, quantity)
        return done("Cart updated.")

    @bp.post("/voices/<int:voice_id>")
    @signed_in
    def voice(voice_id: int):  # noqa: ANN202
        member = request.form.get("member_id", "")
        name_voice(g.db, g.shopper.household, voice_id, int(member) if member.isdigit()
                   else None)
        return done("Voice saved.")

    @bp.post("/members")
    @signed_in
    def members():  # noqa: ANN202
        if request.form.get("remove"):
            remove_member(g.db, g.shopper.household, _number(request.form["remove"]))
            return done("Member removed.")
        add_member(g.db, g.shopper.household, request.form.get("name", ""),
                   request.form.get("role", ""))
        return done("Member added.")

    @bp.post("/addresses")
    @signed_in
    def addresses():  # noqa: ANN202
        household, form = g.shopper.household, request.form
        if form.get("remove"):
            remove_address(g.db, household, _number(form["remove"]))
            return done("Address removed.")
        if form.get("default"):
            set_default_address(g.db, household, _number(form["default"]))
            return done("Default address changed.")
        add_address(g.db, household, form.get("street", ""), form.get("city", ""),
                    form.get("postal_code", ""), make_default=bool(form.get("make_default")))
        return done("Address added.")

    @bp.post("/links/<client_id>/revoke")
    @signed_in
    def revoke(client_id: str):  # noqa: ANN202
        revoke_link(g.db, g.shopper.household.id, client_id)
        return done("Unlinked: that skill can no longer buy for your household.")

    return bp


def _number(text: str) -> int:
    if not text.isdigit():
        raise NotFound("no such entry")
    return int(text)


def _quantity(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 999:
        raise InvalidInput("quantity must be a whole number from 1 to 999")
    return int(text)


def _cancellable(runtime: Runtime, order: Order) -> bool:
    if order.status == OrderStatus.AWAITING_APPROVAL.value:
        return False  # the owner approves or rejects those
    return order.status == OrderStatus.PLACED.value and \
        utcnow() <= cancel_deadline(order, runtime.store)

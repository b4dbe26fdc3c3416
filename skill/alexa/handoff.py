"""A person when the skill cannot help, and the welcome that remembers the shopper.

"Talk to a person", "I need help with my order", "this is wrong" (``HandoffIntent``), or
being misunderstood again, offers a callback as a yes/no question; "yes" records a support
request with the dialog's context (``skill.support``) and says when to expect the call.

At launch the shopper hears what is still open: a callback not yet handled ("Your callback
about order 12 is still open"), and items left in the cart, once per change of the cart
("You still have coffee pods in your cart. Check out, or start fresh?").
"""

from __future__ import annotations

from ask_sdk_model import Response
from sqlalchemy.orm import Session

from skill import speech
from skill.alexa.handlers import IntentHandler, account_of, decline_pending
from skill.alexa.listening import note, transcript_of
from skill.alexa.phrasing import items_phrase
from skill.alexa.turn import Turn
from skill.continuity import reminder_due
from skill.orders import latest_order
from skill.prompts import Ssml
from skill.support import SupportSettings, create_request, dialog_context, open_request_of

UNDER_WAY = ("awaiting_approval", "placed", "shipped", "out_for_delivery")
"""An order in these states is the one a call for help is likely about."""


def _about(turn: Turn, order_id: object) -> Ssml:
    return turn.text("handoff.about_order", order_id=order_id) if order_id else Ssml("")


def offer_handoff(turn: Turn, session: Session, reason: str, key: str = "handoff.offer"
                  ) -> Response:
    """Offer a callback (a yes/no question); a purchase waiting for an answer is put aside.
    A shopper whose callback is still open hears so instead of a second one."""
    open_question = (turn.asked or {}).get("kind")
    decline_pending(turn, "shopper asked for a person")
    account = account_of(turn, session)
    waiting = open_request_of(session, account.user_id)
    if waiting is not None:
        return turn.reply("handoff.already_open", about=_about(turn, waiting.order_id),
                          seller=turn.runtime.store.seller)
    order_id = (turn.asked or {}).get("order_id")
    if not isinstance(order_id, int):  # else the order still under way, if there is one
        order = latest_order(session, account)
        order_id = order.id if order is not None and order.status in UNDER_WAY else None
    note(turn.handler_input, "handoff", session, text=reason)
    return turn.reply(key, seller=turn.runtime.store.seller, about=_about(turn, order_id),
                      question={"kind": "handoff", "reason": reason, "order_id": order_id,
                                "open_question": open_question})


class HandoffHandler(IntentHandler):
    """ "Talk to a person": offer a callback."""

    intent = "HandoffIntent"

    def respond(self, turn: Turn, session: Session) -> Response:
        return offer_handoff(turn, session, "asked for a person")


def answer_yes(turn: Turn, session: Session, asked: dict) -> Response:
    """ "Yes" to a question of this module."""
    if asked.get("kind") == "cart_left":
        from skill.alexa.shopping import CheckoutHandler

        return CheckoutHandler().respond(turn, session)
    account = account_of(turn, session)
    settings = SupportSettings.from_env()
    order_id = asked.get("order_id") if isinstance(asked.get("order_id"), int) else None
    context = dialog_context(session, account, turns=transcript_of(turn.handler_input),
                             question=asked.get("open_question"), order_id=order_id)
    request = create_request(session, account, reason=str(asked.get("reason") or "callback"),
                             channel=turn.channel, context=context,
                             order_id=(context["order"] or {}).get("id"), settings=settings,
                             seller=turn.runtime.store.seller)
    return turn.reply("handoff.requested", seller=turn.runtime.store.seller,
                      about=_about(turn, request.order_id),
                      within=speech.say_duration(settings.callback_hours * 60))


def answer_no(turn: Turn, session: Session, asked: dict) -> Response:
    """ "No" to a question of this module."""
    if asked.get("kind") == "cart_left":
        return turn.reply("cart.kept")
    return turn.reply("handoff.declined")


def welcome(turn: Turn) -> Response:
    """The launch: a callback still open, items left in the cart, else the plain welcome."""
    with turn.runtime.transaction() as session:
        turn.db = session
        account = account_of(turn, session)
        waiting = open_request_of(session, account.user_id)
        lead = turn.text("handoff.still_open", about=_about(turn, waiting.order_id)) \
            if waiting is not None else Ssml("")
        left = reminder_due(session, account)
        seller = turn.runtime.store.seller
        if left:
            return turn.reply("launch.cart_left", lead=lead, seller=seller,
                              items=items_phrase(left), question={"kind": "cart_left"})
        if waiting is not None:
            return turn.reply("launch.returning", lead=lead, seller=seller)
        return turn.reply("launch", seller=seller)


def misunderstood_again(turn: Turn, session: Session) -> Response:
    """The second miss in a row with no question open (or the third with one): a callback."""
    return offer_handoff(turn, session, "misunderstood again", "handoff.offer_after_misses")

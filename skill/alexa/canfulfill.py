"""CanFulfillIntentRequest: tells Alexa whether this skill can take a request. Read-only."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response
from ask_sdk_model.canfulfill import (
    CanFulfillIntent,
    CanFulfillIntentValues,
    CanFulfillSlot,
    CanFulfillSlotValues,
    CanUnderstandSlotValues,
)

from skill.runtime import Runtime

ITEM_INTENTS = {"ReorderIntent", "AddToCartIntent", "RemoveFromCartIntent", "OrderStatusIntent"}
OTHER_INTENTS = {"ReadCartIntent", "ClearCartIntent", "CheckoutIntent", "CancelOrderIntent",
                 "ListReorderablesIntent"}


class CanFulfillHandler(AbstractRequestHandler):
    """Answers YES for shopping intents whose item the catalog knows; writes nothing."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("CanFulfillIntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        intent = handler_input.request_envelope.request.intent
        name = intent.name if intent else ""
        builder = handler_input.response_builder
        if name not in ITEM_INTENTS | OTHER_INTENTS:
            builder.set_can_fulfill_intent(CanFulfillIntent(CanFulfillIntentValues.NO))
            return builder.response
        slots = {}
        verdict = CanFulfillIntentValues.YES
        for slot_name, slot in (intent.slots or {}).items():
            if slot_name != "Item" or not slot.value:
                continue
            with self.runtime.sessions() as session:  # read-only: never committed
                known = self.runtime.resolver.resolve(session, slot.value).status != "none"
            slots[slot_name] = CanFulfillSlot(
                CanUnderstandSlotValues.YES if known else CanUnderstandSlotValues.NO,
                CanFulfillSlotValues.YES if known else CanFulfillSlotValues.NO)
            if not known:
                verdict = CanFulfillIntentValues.NO
        builder.set_can_fulfill_intent(CanFulfillIntent(verdict, slots or None))
        return builder.response

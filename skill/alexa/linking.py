"""The skill's side of account linking and recognized voices.

``LinkingInterceptor`` runs before the account is looked up: a request carrying
``context.System.user.accessToken`` shops for the household that token was issued to; a
token that is unknown, expired or revoked, or no token where linking is required, leaves the
request unlinked, and ``LinkAccountHandler`` answers it with a short explanation and a
LinkAccount card (nothing else runs, so nothing is bought). Without a token and with linking
not required (development, ``voicecart talk``) the Alexa user id (or local user) is the account,
as before. The interceptor also says who is speaking (``skill.voices``) and lists a new
recognized voice on the household's page.
"""

from __future__ import annotations

import re

from ask_sdk_core.dispatch_components import AbstractRequestHandler, AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type, is_request_type
from ask_sdk_model import Response
from ask_sdk_model.ui import LinkAccountCard

from skill.accounts import find_account
from skill.alexa.turn import Turn
from skill.linking import household_for_token
from skill.order_updates import note_alexa_user, set_subscription
from skill.shoppers import default_address, household_of
from skill.voices import note_person, set_speaker

LINK_NEEDED = "link_needed"
"""Request attribute: this request must be answered with a LinkAccount card."""
_NO_WRITES = ("CanFulfillIntentRequest",)
"""Requests that must change nothing (Alexa's rule)."""
MAX_ID_CHARS = 512
"""Longer person or user ids are not Alexa's (and would not fit their columns)."""


def _system(handler_input: HandlerInput) -> object | None:
    context = handler_input.request_envelope.context
    return context.system if context else None


class LinkingInterceptor(AbstractRequestInterceptor):
    """Maps the access token to the household's account (see the module)."""

    def __init__(self, required: bool) -> None:
        self.required = required

    def process(self, handler_input: HandlerInput) -> None:
        attrs = handler_input.attributes_manager.request_attributes
        system = _system(handler_input)
        user = getattr(system, "user", None)
        token = getattr(user, "access_token", None)
        person = getattr(getattr(system, "person", None), "person_id", None)
        if not isinstance(person, str) or len(person) > MAX_ID_CHARS:
            person = None  # not an id Alexa sends: an unrecognized voice
        set_speaker(person)
        writes = get_request_type(handler_input) not in _NO_WRITES
        locale = getattr(handler_input.request_envelope.request, "locale", None)
        with attrs["runtime"].transaction() as session:
            if token:
                household = household_for_token(session, token)
                if household is None:
                    attrs[LINK_NEEDED] = True
                    return
                attrs["user_id"] = household.account.user_id
                alexa_user = getattr(user, "user_id", None)
                if writes and alexa_user and len(alexa_user) <= MAX_ID_CHARS:
                    note_alexa_user(session, household, alexa_user, locale)
            elif self.required:
                attrs[LINK_NEEDED] = True
                return
            else:  # unlinked development use: the request's own user is the account
                account_id = getattr(user, "user_id", None)
                # Locked and kept for the turn: the account interceptor reads it from there.
                account = find_account(session, account_id, lock=True) if account_id else None
                # Its household matters only to a recognized voice (read only then).
                household = household_of(session, account) if account and person and writes \
                    else None
            if writes and person and household is not None:
                note_person(session, household, person)


class LinkAccountHandler(AbstractRequestHandler):
    """Unlinked (or revoked, or expired): say how to link, show the card, buy nothing."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        attrs = handler_input.attributes_manager.request_attributes
        return bool(attrs.get(LINK_NEEDED)) and (
            is_request_type("LaunchRequest")(handler_input)
            or is_request_type("IntentRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        attrs = handler_input.attributes_manager.request_attributes
        prompt = attrs["prompts"].render("link.needed", seller=attrs["runtime"].store.seller)
        if handler_input.request_envelope.session is not None:
            handler_input.attributes_manager.session_attributes.clear()
        return (handler_input.response_builder.speak(prompt.speech)
                .set_card(LinkAccountCard()).set_should_end_session(True).response)


class ProactiveSubscriptionHandler(AbstractRequestHandler):
    """Alexa says which notifications the user allows (order updates need this)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("AlexaSkillEvent.ProactiveSubscriptionChanged")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        attrs = handler_input.attributes_manager.request_attributes
        request = handler_input.request_envelope.request
        body = getattr(request, "body", None)
        names = [s.event_name for s in (getattr(body, "subscriptions", None) or [])
                 if getattr(s, "event_name", None)]
        user = getattr(_system(handler_input), "user", None)
        user_id = getattr(user, "user_id", None)
        if user_id and len(user_id) > MAX_ID_CHARS:
            return handler_input.response_builder.response
        with attrs["runtime"].transaction() as session:
            household = household_for_token(session, getattr(user, "access_token", None))
            if household is not None and user_id:
                note_alexa_user(session, household, user_id, None)
            if user_id:
                set_subscription(session, user_id, names)
        return handler_input.response_builder.response


def delivery_to(turn: Turn) -> str:
    """The street of the household's default address, for the restatement ("to Main Street
    by Wednesday"), or "" when there is none. Amazon's rule: say where it will be delivered.
    The house number is left out: a synthesizer reads "1234" as "one thousand two hundred
    and thirty-four", which alone pushes a restatement past eight seconds; the full
    address is on the account page and in the confirmation e-mail."""
    def street(session: object) -> str:
        account = find_account(session, turn.user_id)  # type: ignore[arg-type]
        address = default_address(session, account) if account else None  # type: ignore[arg-type]
        if address is None:
            return ""
        return _HOUSE_NUMBER.sub("", address.street).strip() or address.street

    if turn.db is not None:
        return street(turn.db)
    with turn.runtime.transaction() as session:
        return street(session)


_HOUSE_NUMBER = re.compile(r"^\s*\d+[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?,?\s+")
"""A leading house number: "12", "12B", "12-14", "3/5"."""

"""Cross-cutting work before every handler: runtime, locale, account, and the last question."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type
from ask_sdk_model import Response

from skill.accounts import find_account, get_or_create_account
from skill.alexa.examples import history_items
from skill.alexa.turn import QUESTION, question_valid
from skill.db import utcnow
from skill.interaction_model import history_entities
from skill.prompts import DEFAULT_LOCALE, Prompts
from skill.runtime import Runtime

log = logging.getLogger(__name__)

LOCAL_USER_PREFIX = "local:"


def user_id_of(handler_input: HandlerInput) -> str:
    """The Alexa user id (from the context, else the session)."""
    envelope = handler_input.request_envelope
    system = envelope.context.system if envelope.context else None
    user = (system.user if system else None) or (envelope.session.user if envelope.session
                                                 else None)
    if user is None or not user.user_id:
        raise ValueError("request names no user")
    return user.user_id


class RuntimeInterceptor(AbstractRequestInterceptor):
    """Makes the runtime and the channel (``alexa``, or ``local`` for the voice loop) known."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def process(self, handler_input: HandlerInput) -> None:
        attrs = handler_input.attributes_manager.request_attributes
        attrs["runtime"] = self.runtime
        context = handler_input.context if isinstance(handler_input.context, dict) else {}
        attrs["channel"] = context.get("channel", "alexa")


class LocalizationInterceptor(AbstractRequestInterceptor):
    """Loads the request locale's prompts (language strings, then the locale's own)."""

    def process(self, handler_input: HandlerInput) -> None:
        locale = getattr(handler_input.request_envelope.request, "locale", None)
        handler_input.attributes_manager.request_attributes["prompts"] = Prompts(
            locale or DEFAULT_LOCALE)


class AccountInterceptor(AbstractRequestInterceptor):
    """Finds (or on first use creates) the speaker's account.

    Inside a turn's transaction (``Runtime.turn``) the account is loaded here once, locked,
    and every later lookup of the turn gets that row without another query. CanFulfillIntent
    Request must change nothing, so it gets the user id only. A linked request already names
    its household's account (``skill.alexa.linking``); an unlinked one that needs linking
    creates nothing.
    """

    def process(self, handler_input: HandlerInput) -> None:
        attrs = handler_input.attributes_manager.request_attributes
        user_id = attrs.get("user_id") or user_id_of(handler_input)
        attrs["user_id"] = user_id
        if get_request_type(handler_input) == "CanFulfillIntentRequest" \
                or attrs.get("link_needed"):
            return
        runtime = attrs["runtime"]
        if runtime.turn_session is not None:  # a read (or an insert in its own savepoint)
            get_or_create_account(runtime.turn_session, user_id, lock=True)
            return
        with runtime.transaction() as session:
            get_or_create_account(session, user_id, lock=True)


class QuestionInterceptor(AbstractRequestInterceptor):
    """Takes the last response's question out of the session for this turn only.

    A handler that wants the question to stay open must ask it again; so "yes" after help,
    after another request, or in a new session answers nothing.
    """

    def process(self, handler_input: HandlerInput) -> None:
        attrs = handler_input.attributes_manager.request_attributes
        if handler_input.request_envelope.session is None:
            attrs["asked"] = None
            return
        session = handler_input.attributes_manager.session_attributes
        if handler_input.request_envelope.session.new:
            session.clear()
        question = session.pop(QUESTION, None)
        session_id = handler_input.request_envelope.session.session_id or ""
        valid = question_valid(question, session_id, utcnow(), key=attrs["runtime"].signing_key,
                               user_id=attrs.get("user_id", ""))
        attrs["asked"] = question if valid else None


class HistoryEntitiesInterceptor(AbstractResponseInterceptor):
    """At launch, makes what the shopper has bought recognizable for the session: their
    history goes to Alexa as dynamic entities of the item slot type (``Dialog.
    UpdateDynamicEntities``, REPLACE), so their items are heard even when the static model
    could not hold the whole catalog (``skill.interaction_model``)."""

    def process(self, handler_input: HandlerInput, response: Response | None = None) -> None:
        if response is None or response.should_end_session is not False \
                or get_request_type(handler_input) != "LaunchRequest":
            return
        attrs = handler_input.attributes_manager.request_attributes
        if attrs.get("channel") != "alexa":
            return
        with attrs["runtime"].transaction() as session:
            account = find_account(session, attrs.get("user_id", ""))
            items = history_items(session, account) if account is not None else []
            directive = history_entities(items)
        if directive is not None:
            response.directives = [*(response.directives or []), directive]


class LoggingInterceptor(AbstractRequestInterceptor, AbstractResponseInterceptor):
    """Logs request types and intents (never slot values: a PIN is a slot value)."""

    def process(self, handler_input: HandlerInput, response: Response | None = None) -> None:
        request = handler_input.request_envelope.request
        intent = getattr(getattr(request, "intent", None), "name", None)
        if response is None:
            log.info("request %s %s", request.object_type, intent or "")
        else:
            log.debug("response end_session=%s", response.should_end_session)

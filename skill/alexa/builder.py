"""Assembles the skill: interceptors, handlers, the exception handler."""

from __future__ import annotations

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder

from skill.alexa import handlers as h
from skill.alexa.canfulfill import CanFulfillHandler
from skill.alexa.handoff import HandoffHandler
from skill.alexa.interceptors import (
    AccountInterceptor,
    HistoryEntitiesInterceptor,
    LocalizationInterceptor,
    LoggingInterceptor,
    QuestionInterceptor,
    RuntimeInterceptor,
)
from skill.alexa.linking import (
    LinkAccountHandler,
    LinkingInterceptor,
    ProactiveSubscriptionHandler,
)
from skill.alexa.listening import TranscriptInterceptor
from skill.alexa.serializer import PlannedSerializer
from skill.alexa.shopping import SHOPPING_HANDLERS
from skill.runtime import Runtime

REQUEST_HANDLERS = [
    h.LaunchHandler(), h.ReorderHandler(), h.BuyHandler(), h.AddToCartHandler(),
    h.SelectItemHandler(), *SHOPPING_HANDLERS, HandoffHandler(), h.YesHandler(), h.NoHandler(),
    h.ProvidePinHandler(), h.HelpHandler(), h.StopHandler(), h.CancelHandler(),
    h.RepeatHandler(), h.PreviousHandler(), h.SessionEndedHandler(), h.FallbackHandler(),
]
"""In dispatch order: the catch-all FallbackHandler last."""


def build_skill(runtime: Runtime, skill_id: str | None = None, *,
                linking_required: bool = False) -> CustomSkill:
    """The VoiceCart skill over ``runtime``; with ``skill_id`` the SDK rejects other skills;
    with ``linking_required`` only requests with a valid access token can shop."""
    builder = SkillBuilder()
    builder.skill_id = skill_id
    builder.add_request_handler(LinkAccountHandler())  # before anything that could buy
    builder.add_request_handler(ProactiveSubscriptionHandler())
    builder.add_request_handler(CanFulfillHandler(runtime))
    for handler in REQUEST_HANDLERS:
        builder.add_request_handler(handler)
    builder.add_exception_handler(h.ErrorHandler())
    logging_interceptor = LoggingInterceptor()
    for interceptor in (RuntimeInterceptor(runtime), LocalizationInterceptor(),
                        LinkingInterceptor(linking_required), AccountInterceptor(),
                        QuestionInterceptor(), logging_interceptor):
        builder.add_global_request_interceptor(interceptor)
    builder.add_global_response_interceptor(HistoryEntitiesInterceptor())
    builder.add_global_response_interceptor(logging_interceptor)
    builder.add_global_response_interceptor(TranscriptInterceptor())
    skill = builder.create()
    skill.serializer = PlannedSerializer()  # where the SDK and its web adapters look for it
    return skill

"""The Alexa skill: ask-sdk-core handlers that translate between Alexa and the commerce core."""

from skill.alexa.builder import build_skill

__all__ = ["build_skill"]

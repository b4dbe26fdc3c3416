"""``POST /alexa``: verify the raw request, dispatch it to the skill, return its response."""

from __future__ import annotations

import json
import logging

from ask_sdk_core.exceptions import AskSdkException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope
from flask import Blueprint, Response, jsonify, request

from skill.prompts import Prompts
from skill.verification import RequestVerifier, VerificationFailed, application_id

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 24 * 1024
"""Alexa's limit on a whole response."""

_serializer = DefaultSerializer()


def _bad_request(reason: str) -> tuple[Response, int]:
    log.warning("rejected Alexa request: %s", reason)
    return jsonify(error=reason), 400


def _apology() -> dict:
    """A valid Alexa response that apologises: for failures after the request was accepted."""
    prompt = Prompts().render("error.generic")
    return {"version": "1.0", "response": {
        "outputSpeech": {"type": "SSML", "ssml": f"<speak>{prompt.speech}</speak>"},
        "shouldEndSession": True}}


def alexa_blueprint(skill: CustomSkill, verifier: RequestVerifier | None,
                    skill_id: str | None) -> Blueprint:
    """The endpoint; ``verifier`` None means local development without verification."""
    blueprint = Blueprint("alexa", __name__)

    @blueprint.post("/alexa")
    def alexa():  # noqa: ANN202
        body = request.get_data(cache=False)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _bad_request("request body is not valid JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("request"), dict) \
                or not isinstance(payload["request"].get("type"), str):
            return _bad_request("not an Alexa request: no request.type")
        if verifier is not None:
            try:
                verifier.verify(request.headers, body, payload)  # type: ignore[arg-type]
            except VerificationFailed as exc:
                return _bad_request(str(exc))
        elif skill_id and application_id(payload) != skill_id:
            return _bad_request("request is for another skill")
        try:
            envelope = _serializer.deserialize(body.decode("utf-8"), RequestEnvelope)
        except Exception as exc:  # the SDK raises several kinds for malformed envelopes
            return _bad_request(f"malformed Alexa request: {exc}")
        if envelope.request is None or envelope.context is None:
            return _bad_request("malformed Alexa request: missing request or context")
        try:
            response = skill.invoke(envelope, context={"channel": "alexa"})
        except AskSdkException as exc:
            return _bad_request(f"request rejected: {exc}")
        except Exception:
            log.exception("skill failed outside its handlers")
            return jsonify(_apology())
        data = _serializer.serialize(response)
        encoded = json.dumps(data)
        if len(encoded) > MAX_RESPONSE_BYTES:
            log.error("response of %d bytes is over Alexa's 24 KB limit", len(encoded))
        return Response(encoded, mimetype="application/json")

    return blueprint

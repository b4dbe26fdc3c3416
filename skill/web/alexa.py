"""``POST /alexa``: verify the raw request, dispatch it to the skill, return its response."""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext

from ask_sdk_core.exceptions import AskSdkException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope
from flask import Blueprint, Response, jsonify, request

from skill import safejson
from skill.prompts import Prompts
from skill.replay import ReplayGuard, fingerprint
from skill.runtime import Runtime
from skill.safejson import JsonRejected
from skill.verification import RequestVerifier, VerificationFailed, application_id
from skill.web import MAX_REQUEST_BYTES

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 24 * 1024
"""Alexa's limit on a whole response."""
TOO_LONG_KEY = "error.too_long"
TOO_LONG_SPEECH = ("Sorry, my answer came out too long to say. To hear where things stand, "
                   "ask: what's in my cart, or where is my order.")
"""Said instead of a response over the limit (the prompt ``error.too_long`` when a locale has
one): it must not claim that nothing was ordered, since the turn may have placed an order."""


class _Replayed(Exception):
    """The request was answered before (see ``skill.replay``)."""


def _bad_request(reason: str) -> tuple[Response, int]:
    """HTTP 400 with a short, fixed reason: never any part of the request (a PIN may be in it)."""
    log.warning("rejected Alexa request: %s", reason)
    return jsonify(error=reason), 400


def _speech_response(speech: str) -> dict:
    return {"version": "1.0", "response": {
        "outputSpeech": {"type": "SSML", "ssml": f"<speak>{speech}</speak>"},
        "shouldEndSession": True}}


def _apology() -> dict:
    """A valid Alexa response that apologises: for failures after the request was accepted."""
    return _speech_response(Prompts().render("error.generic").speech)


def _too_long_apology(locale: object) -> bytes:
    prompts = Prompts(locale)  # type: ignore[arg-type]
    speech = (prompts.render(TOO_LONG_KEY).speech if prompts.has(TOO_LONG_KEY)
              else TOO_LONG_SPEECH)
    return json.dumps(_speech_response(speech)).encode()


def alexa_blueprint(skill: CustomSkill, verifier: RequestVerifier | None,
                    skill_id: str | None, *, runtime: Runtime | None = None) -> Blueprint:
    """The endpoint; ``verifier`` None means local development without verification.

    With ``runtime`` each request is one database transaction (``Runtime.turn``), and a
    verified request is answered once: an identical delivery (same signature, same body)
    within the timestamp window gets HTTP 400, whichever worker it reaches (``skill.replay``).
    """
    blueprint = Blueprint("alexa", __name__)
    guard = ReplayGuard()

    @blueprint.post("/alexa")
    def alexa():  # noqa: ANN202
        body = request.get_data(cache=False)
        try:
            payload = safejson.loads(body, max_bytes=MAX_REQUEST_BYTES)
        except JsonRejected as exc:
            return _bad_request(str(exc))
        if not isinstance(payload, dict) or not isinstance(payload.get("request"), dict) \
                or not isinstance(payload["request"].get("type"), str):
            return _bad_request("not an Alexa request: no request.type")
        stamped = None
        if verifier is not None:
            try:
                stamped = verifier.verify(request.headers, body,  # type: ignore[arg-type]
                                          payload)
            except VerificationFailed as exc:
                return _bad_request(str(exc))
        elif skill_id and application_id(payload) != skill_id:
            return _bad_request("request is for another skill")
        try:
            envelope = skill.serializer.deserialize(body.decode("utf-8"), RequestEnvelope)
        except Exception as exc:  # the SDK raises several kinds; their messages quote the body
            log.warning("malformed Alexa request (%s)", type(exc).__name__)
            return _bad_request("malformed Alexa request")
        if envelope.request is None or envelope.context is None:
            return _bad_request("malformed Alexa request: missing request or context")
        replay = None if stamped is None else fingerprint(
            request.headers.get("Signature-256") or request.headers.get("Signature", ""), body)
        try:
            with (runtime.turn() if runtime is not None else nullcontext()) as session:
                if replay is not None and session is not None and not guard.first_delivery(
                        session, replay, stamped):
                    raise _Replayed
                response = skill.invoke(envelope, context={"channel": "alexa"})
            # Serialized after the commit: row locks (an item's stock) are held no longer
            # than the turn's own work.
            encoded = json.dumps(skill.serializer.serialize(response)).encode()
        except _Replayed:
            return _bad_request("request was already received")
        except AskSdkException as exc:
            log.warning("request rejected by the skill (%s)", type(exc).__name__)
            return _bad_request("request rejected: the skill cannot handle it")
        except Exception:
            log.exception("skill failed outside its handlers")
            return jsonify(_apology())
        if len(encoded) > MAX_RESPONSE_BYTES:
            intent = getattr(getattr(envelope.request, "intent", None), "name", None)
            log.error("response of %d bytes to %s %s is over Alexa's 24 KB limit: answered "
                      "with an apology instead", len(encoded), envelope.request.object_type,
                      intent or "")
            encoded = _too_long_apology(getattr(envelope.request, "locale", None))
        return Response(encoded, mimetype="application/json")

    return blueprint

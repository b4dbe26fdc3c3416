"""The load benchmark's baseline: a bare Flask JSON endpoint (parse the request, answer
with an Alexa-shaped response), served by the same gunicorn as VoiceCart."""

from flask import Flask, jsonify, request

app = Flask("bare")


@app.post("/alexa")
def alexa():  # noqa: ANN201
    payload = request.get_json()
    return jsonify(version="1.0", response={"outputSpeech": {
        "type": "SSML", "ssml": f"<speak>{payload['request']['type']}</speak>"}})

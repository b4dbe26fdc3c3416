"""`voicecart serve` as a real process on a loopback port."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from tests.alexa_requests import envelope


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def voicecart(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-c", "from skill.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "VOICECART_SKILL_ID": ""}, **kwargs)


def test_serve_refuses_to_start_unverified_by_accident(db_url):
    process = voicecart("--db", db_url, "serve")
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "--skill-id" in output and "Traceback" not in output


def test_serve_answers_alexa_requests(db_url):
    port = free_port()
    process = voicecart("--db", db_url, "serve", "--no-verify", "--demo", "--port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as response:
                    assert json.load(response)["status"] == "ok"
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start")
        body = json.dumps(envelope({"type": "LaunchRequest"}, session={
            "new": True, "sessionId": "s", "attributes": {}, "user": {"userId": "u"},
            "application": {"applicationId": "x"}})).encode()
        request = urllib.request.Request(f"{base}/alexa", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert "Welcome" in json.load(response)["response"]["outputSpeech"]["ssml"]
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "verification is OFF" in output

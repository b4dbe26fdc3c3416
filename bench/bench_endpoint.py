"""POST /alexa for a reorder turn, against a bare Flask JSON endpoint in the same process.

Both go through Flask's WSGI stack via the test client (no sockets, so the numbers are the
application's own cost). The /alexa request is signed by a private CA and fully verified.
What the client does before sending (building the JSON, and for /alexa the RSA signature
Alexa itself makes) is done outside the timed call, for both endpoints.
Run: ``python bench/bench_endpoint.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask, jsonify, request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skill.runtime import Runtime  # noqa: E402
from skill.web import AppConfig, create_app  # noqa: E402
from tests.alexa_certs import SigningCA  # noqa: E402
from tests.alexa_requests import SKILL_ID, envelope, slot  # noqa: E402


def bare_app() -> Flask:
    app = Flask("bare")

    @app.post("/echo")
    def echo():
        payload = request.get_json()
        return jsonify(version="1.0", response={"outputSpeech": {
            "type": "SSML", "ssml": f"<speak>{payload['request']['type']}</speak>"}})

    return app


CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
"""``cpu``: the thread's CPU time, for a machine shared with other work, where a call longer
than a scheduler slice is stretched by waiting (a bare call rarely is). It leaves out waiting
for the disk (an fsync), so compare wall-clock figures for that."""
clock = CLOCKS["wall"]


def measure(call, seconds: float, prepare=lambda: None) -> list[float]:
    """Latencies of ``call(prepare())``; ``prepare`` (the client's side) is not timed."""
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        prepared = prepare()
        start = clock()
        call(prepared)
        latencies.append(clock() - start)
    return latencies


def summary(name: str, latencies: list[float]) -> float:
    ordered = sorted(latencies)
    rps = len(latencies) / sum(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(0.99 * (len(ordered) - 1))] * 1000
    print(f"{name:<24} {rps:8.0f} req/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   "
          f"(n={len(latencies)})")
    return rps


def protection_costs(reorder_turn, signed_body, seconds: float) -> None:
    """What binding the purchase question costs: the replay table's write (with it and
    without it, same turn) and signing and checking a pending purchase question (HMAC)."""
    from skill import replay
    from skill.signing import sign, verified

    with_table = statistics.median(measure(reorder_turn, seconds, signed_body))
    original = replay.ReplayGuard.first_delivery
    replay.ReplayGuard.first_delivery = lambda self, session, print_, stamped: True
    try:
        without = statistics.median(measure(reorder_turn, seconds, signed_body))
    finally:
        replay.ReplayGuard.first_delivery = original
    question = {"kind": "purchase", "session": "amzn1.echo-api.session.1", "at": "2026-11-23",
                "pending": {"lines": [{"sku": "CF-PODS-24", "quantity": 2}], "total": 3853,
                            "step": "confirm", "repeat_of": {}}}
    start = time.perf_counter()
    for _ in range(2000):
        verified("k" * 32, sign("k" * 32, question, "demo"), "demo")
    hmac_ms = (time.perf_counter() - start) / 2000 * 1000
    print(f"replay table: p50 {with_table * 1000:.2f} ms with it, {without * 1000:.2f} ms "
          f"without ({(with_table - without) * 1000:+.2f} ms a turn); signing and checking "
          f"a purchase question (HMAC): {hmac_ms:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--clock", choices=CLOCKS, default="wall",
                        help="what a call costs: elapsed time (default) or the thread's CPU time")
    parser.add_argument("--protection", action="store_true",
                        help="also measure what the replay table and the HMAC cost")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    ca = SigningCA.create()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime.open(args.db or f"sqlite:///{tmp}/bench.db")
        runtime.seed_demo()
        app = create_app(runtime, AppConfig(skill_id=SKILL_ID, verify=True, linking_required=False,
                                            cert_fetcher=lambda url: ca.chain_pem(),
                                            trust_store=ca.store()))
        client, bare = app.test_client(), bare_app().test_client()
        session = {"new": False, "sessionId": "bench", "attributes": {},
                   "application": {"applicationId": SKILL_ID}, "user": {"userId": "demo"}}

        def signed_body():  # what Alexa sends: a fresh request (new id, now), signed
            body = json.dumps(envelope({"type": "IntentRequest", "intent": {
                "name": "ReorderIntent", "confirmationStatus": "NONE",
                "slots": {"Item": slot("Item", "coffee pods")}}}, session=session)).encode()
            return body, ca.headers(body)

        def reorder_turn(signed):
            body, headers = signed
            response = client.post("/alexa", data=body, headers=headers)
            assert response.status_code == 200, response.get_data()

        def bare_body():
            return json.dumps(envelope({"type": "LaunchRequest"}, session=session)).encode()

        def bare_turn(body):
            response = bare.post("/echo", data=body, headers={"Content-Type": "application/json"})
            assert response.status_code == 200

        reorder_turn(signed_body()), bare_turn(bare_body())  # warm caches (certificate, index)
        print(f"{args.seconds:.0f} s each, one thread, in-process WSGI, "
              f"{runtime.engine.dialect.name}, {args.clock} clock")
        alexa_rps = summary("POST /alexa (reorder)",
                            measure(reorder_turn, args.seconds, signed_body))
        bare_rps = summary("bare Flask JSON", measure(bare_turn, args.seconds, bare_body))
        print(f"ratio: /alexa reorder turn runs at {alexa_rps / bare_rps:.2f}x the bare "
              f"endpoint's throughput ({bare_rps / alexa_rps:.1f}x slower)")
        if args.protection:
            protection_costs(reorder_turn, signed_body, args.seconds)
        runtime.engine.dispose()


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Runs every benchmark; each prints its ratio against a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== item resolution"; python3 bench/bench_resolution.py
echo; echo "== typed intent matching"; python3 bench/bench_matcher.py
echo; echo "== POST /alexa"; python3 bench/bench_endpoint.py --protection
echo; echo "== voice loop (espeak-ng -> recognizer -> skill)"; python3 bench/bench_voice.py
echo; echo "== load: reorder dialogs against gunicorn workers (wrk)"; python3 bench/bench_load.py

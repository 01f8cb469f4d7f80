#!/usr/bin/env bash
# End to end: a server on its embedded defaults serving one model, STREAMS concurrent clients
# streaming /v1/chat/completions (Vert.x HTTP client, after a warm-up), beside the engine alone on
# the same loaded model with the same prompt, in one run. Prints both tokens/s and their ratio,
# time to first token and inter-token latency p50/p99. Default model: the RANDOM-weight 110M
# shape (768-dim, 12 layers; its speed is real, its text is noise).
#
#   bash benchmarks/run-e2e.sh                 # 16 streams x 128 tokens
#   STREAMS=4 TOKENS=64 bash benchmarks/run-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/chat-server.jar ] || mvn -q -DskipTests package
M=benchmarks/models
mkdir -p "$M"
[ -f "$M/random-d768-l12/config.json" ] || java -jar target/chat-server.jar random-model "$M/random-d768-l12" --dim 768 --hidden 2048 --layers 12 --heads 12 --kv-heads 12 --vocab 32000
exec java -cp target/chat-server.jar benchmarks/EndToEnd.java --model "${MODEL:-random-d768-l12=$M/random-d768-l12}" \
  --streams "${STREAMS:-16}" --tokens "${TOKENS:-128}"

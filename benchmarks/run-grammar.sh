#!/usr/bin/env bash
# Constrained decoding's cost: STREAMS streams of TOKENS tokens without and with a JSON Schema
# grammar, on the same loaded model, in one run (three rounds, the median reported); target:
# constrained >= 80 % of unconstrained at 16 streams. Two models by default, both RANDOM weights:
# the TinyStories-110M shape (vocab 32,000) and a Qwen2.5-0.5B-like shape with Qwen's 151,646-token
# byte-level vocabulary (from the qwen2 fixture; 24 layers, d896).
#
#   bash benchmarks/run-grammar.sh
#   STREAMS=4 TOKENS=32 bash benchmarks/run-grammar.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/chat-server.jar ] || mvn -q -DskipTests package
M=benchmarks/models
mkdir -p "$M"
[ -f "$M/random-d768-l12/config.json" ] || java -jar target/chat-server.jar random-model "$M/random-d768-l12" --dim 768 --hidden 2048 --layers 12 --heads 12 --kv-heads 12 --vocab 32000
if [ ! -f "$M/random-qwen-d896/config.json" ]; then
  java -jar target/chat-server.jar random-model "$M/random-qwen-d896" --dim 896 --hidden 4864 --layers 24 --heads 14 --kv-heads 2 --vocab 151936
  cp "${MODELS_DIR:-../shared/models}/families/qwen2/tokenizer.json" "${MODELS_DIR:-../shared/models}/families/qwen2/tokenizer_config.json" "$M/random-qwen-d896/"
fi
for model in "random-d768-l12=$M/random-d768-l12" "random-qwen-d896=$M/random-qwen-d896"; do
  java -jar target/chat-server.jar bench-grammar --model "$model" --streams "${STREAMS:-16}" --tokens "${TOKENS:-64}" 2>/dev/null
done

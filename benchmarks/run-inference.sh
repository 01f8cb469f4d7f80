#!/usr/bin/env bash
# Inference benchmark: aggregate and per-stream tokens/s, TTFT p50/p99 and peak RSS at 1, 4, 16 and
# 32 concurrent streams, batching on and off, for the real stories260K model and two RANDOM-weight
# models of realistic shape (their speed is real, their text is noise). Results: benchmarks/results/.
#
#   bash benchmarks/run-inference.sh            # all three models (about 10 minutes on 2 cores)
#   QUICK=1 bash benchmarks/run-inference.sh    # stories260K and the 288-dim model only
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/chat-server.jar ] || mvn -q -DskipTests package
JAR=target/chat-server.jar
M=benchmarks/models
SHARED=${SHARED_MODELS_DIR:-../shared/models}
mkdir -p "$M"
[ -f "$M/stories260k/config.json" ] || java -jar $JAR import-llama2c "$SHARED/stories260K/stories260K.bin" "$SHARED/stories260K/tok512.bin" "$M/stories260k"
[ -f "$M/random-d288-l6/config.json" ] || java -jar $JAR random-model "$M/random-d288-l6" --dim 288 --hidden 768 --layers 6 --heads 6 --kv-heads 6 --vocab 32000
MODELS=(--model stories260k="$M/stories260k" --model random-d288-l6="$M/random-d288-l6")
if [ -z "${QUICK:-}" ]; then
  [ -f "$M/random-d768-l12/config.json" ] || java -jar $JAR random-model "$M/random-d768-l12" --dim 768 --hidden 2048 --layers 12 --heads 12 --kv-heads 12 --vocab 32000
  MODELS+=(--model random-d768-l12="$M/random-d768-l12")
fi
exec java -Dai.djl.offline=true -jar $JAR bench "${MODELS[@]}" --streams "${STREAMS:-1,4,16,32}" --tokens "${TOKENS:-128}" --out benchmarks/results

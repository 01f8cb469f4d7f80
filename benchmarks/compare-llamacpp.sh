#!/usr/bin/env bash
# This engine beside llama.cpp's own llama-batched-bench, in one run, on the SAME random weights:
# `random-model` writes one float32 GGUF file (llama.cpp's layout), llama-quantize makes its Q8_0,
# our `bench` loads the float32 file and llama-batched-bench runs both. Prints generation tok/s at
# 1, 4 and 16 streams for each engine and each figure as a ratio to llama.cpp's float32.
#
# llama.cpp is built from the source the `node-llama-cpp` npm package carries (llama/gitRelease.bundle),
# for this CPU (cmake, -DGGML_NATIVE=ON), once, in BENCH_CACHE (default ~/.cache/chat-server-bench),
# never inside the repository. Needs npm, git, cmake and a C++ compiler.
#
#   bash benchmarks/compare-llamacpp.sh                    # the TinyStories-110M shape (d768, 12 layers, vocab 32,000)
#   SHAPE=qwen05 bash benchmarks/compare-llamacpp.sh       # the Qwen2.5-0.5B shape (d896, 24 layers, 14/2 heads, vocab 151,936)
#   STREAMS=1,4,16 TOKENS=64 PROMPT=128 THREADS=2 ...      # the defaults
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${BENCH_CACHE:-$HOME/.cache/chat-server-bench}"
LLAMA="$CACHE/llama.cpp"
VERSION="${NODE_LLAMA_CPP_VERSION:-3.22.1}"
STREAMS="${STREAMS:-1,4,16}"
TOKENS="${TOKENS:-64}"
PROMPT="${PROMPT:-128}"
THREADS="${THREADS:-$(nproc)}"
if [ ! -x "$LLAMA/build/bin/llama-batched-bench" ] || [ ! -x "$LLAMA/build/bin/llama-quantize" ]; then
  echo "building llama.cpp ($VERSION's bundle) in $LLAMA ..." >&2
  mkdir -p "$CACHE"
  (cd "$CACHE" && npm pack "node-llama-cpp@$VERSION" --silent >/dev/null && rm -rf package && tar xzf "node-llama-cpp-$VERSION.tgz" \
    && rm -rf llama.cpp && git clone -q package/llama/gitRelease.bundle llama.cpp)
  cmake -S "$LLAMA" -B "$LLAMA/build" -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$LLAMA/build" -j"$(nproc)" --target llama-batched-bench llama-quantize >/dev/null
fi
[ -f target/chat-server.jar ] || mvn -q -DskipTests package
M=benchmarks/models
mkdir -p "$M"
case "${SHAPE:-110m}" in
  110m) NAME=random-110m; ARGS="--dim 768 --hidden 2048 --layers 12 --heads 12 --kv-heads 12 --vocab 32000" ;;
  qwen05) NAME=random-qwen05; ARGS="--dim 896 --hidden 4864 --layers 24 --heads 14 --kv-heads 2 --vocab 151936" ;;
  *) echo "SHAPE must be 110m or qwen05" >&2; exit 2 ;;
esac
F32="$M/$NAME-f32.gguf"
Q8="$M/$NAME-q8_0.gguf"
# shellcheck disable=SC2086
[ -f "$F32" ] || java -jar target/chat-server.jar random-model "$F32" $ARGS --context 4096 >&2
[ -f "$Q8" ] || "$LLAMA/build/bin/llama-quantize" "$F32" "$Q8" Q8_0 "$THREADS" >/dev/null 2>&1
OUT="$(mktemp -d)"
echo "this engine: bench on $F32 ..." >&2
java -jar target/chat-server.jar bench --model "$NAME=$F32" --streams "$STREAMS" --tokens "$TOKENS" --context 4096 --max-batch 16 \
  --out "$OUT/ours" >"$OUT/ours.txt" 2>/dev/null
for f in "$F32" "$Q8"; do
  echo "llama.cpp: llama-batched-bench on $f ..." >&2
  "$LLAMA/build/bin/llama-batched-bench" -m "$f" -c 8192 -b 2048 -ub 512 -npp "$PROMPT" -ntg "$TOKENS" -npl "$STREAMS" \
    -t "$THREADS" >"$OUT/$(basename "$f").txt" 2>/dev/null
done
python3 - "$OUT" "$F32" "$Q8" "$STREAMS" <<'PY'
import json, sys, os
out, f32, q8, streams = sys.argv[1], sys.argv[2], sys.argv[3], [int(s) for s in sys.argv[4].split(",")]
def llama(path):
    tps = {}
    for line in open(os.path.join(out, os.path.basename(path) + ".txt")):
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) >= 8 and cols[2].isdigit():
            tps[int(cols[2])] = float(cols[7])  # S_TG t/s: generation tokens/s over all streams
    return tps
ours = {r["streams"]: r["aggregateTps"] for r in json.load(open(os.path.join(out, "ours", "results.json"))) if r["mode"] == "batched"}
lf, lq = llama(f32), llama(q8)
print(f"same RANDOM weights ({os.path.basename(f32)}), generation tok/s, {os.cpu_count()} cores")
print(f"{'streams':>8} {'ours f32':>10} {'llama.cpp f32':>14} {'llama.cpp Q8_0':>15} {'ours/llama f32':>15} {'ours/llama Q8_0':>16}")
for n in streams:
    o, a, b = ours.get(n), lf.get(n), lq.get(n)
    ratio = lambda x, y: f"{x / y:.2f}" if x and y else "-"
    print(f"{n:>8} {o or 0:>10.1f} {a or 0:>14.1f} {b or 0:>15.1f} {ratio(o, a):>15} {ratio(o, b):>16}")
PY

#!/usr/bin/env bash
# This engine beside llama.cpp's own llama-batched-bench, in one run, on the SAME random weights:
# `random-model` writes one float32 GGUF file (llama.cpp's layout), llama-quantize makes its Q8_0
# and Q4_K_M, our `bench` loads the float32 file three times (as int8 weights, as bfloat16 weights, what
# "auto" picks on a CPU with AVX-512 BF16, and as float32) and llama-batched-bench runs all three. Prints
# generation tok/s at 1, 4 and 16 streams, the time to first token of one 512-token prompt and the
# peak RSS of each engine, each figure as a ratio to llama.cpp's float32 of the same run, and our
# decode step against the machine's roofline (memory read with every core reading, measured in
# the same run by `bench`).
#
# llama.cpp is built from the source the `node-llama-cpp` npm package carries (llama/gitRelease.bundle),
# for this CPU (cmake, -DGGML_NATIVE=ON), once, in BENCH_CACHE (default ~/.cache/chat-server-bench),
# never inside the repository. Needs npm, git, cmake and a C++ compiler.
#
#   bash benchmarks/compare-llamacpp.sh                    # the TinyStories-110M shape (d768, 12 layers, vocab 32,000)
#   SHAPE=qwen05 bash benchmarks/compare-llamacpp.sh       # the Qwen2.5-0.5B shape (d896, 24 layers, 14/2 heads, vocab 151,936)
#   SHAPE=llama1b bash benchmarks/compare-llamacpp.sh      # the Llama-3.2-1B shape (d2048, 16 layers, 32/8 heads, ffn 8192, vocab 128,256)
#   STREAMS=1,4,16 TOKENS=64 PROMPT=128 TTFT=512 THREADS=2 ...  # the defaults
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${BENCH_CACHE:-$HOME/.cache/chat-server-bench}"
LLAMA="$CACHE/llama.cpp"
VERSION="${NODE_LLAMA_CPP_VERSION:-3.22.1}"
STREAMS="${STREAMS:-1,4,16}"
TOKENS="${TOKENS:-64}"
PROMPT="${PROMPT:-128}"
TTFT="${TTFT:-512}"
# per-stream context of our engine: 16 slots of 512 tokens hold what llama.cpp's shared 8192-token cache holds
CONTEXT="${CONTEXT:-512}"
THREADS="${THREADS:-$(nproc)}"
if [ ! -x "$LLAMA/build/bin/llama-batched-bench" ] || [ ! -x "$LLAMA/build/bin/llama-quantize" ]; then
  echo "building llama.cpp ($VERSION's bundle) in $LLAMA ..." >&2
  mkdir -p "$CACHE"
  (cd "$CACHE" && npm pack "node-llama-cpp@$VERSION" --silent >/dev/null && rm -rf package && tar xzf "node-llama-cpp-$VERSION.tgz" \
    && rm -rf llama.cpp && git -c advice.detachedHead=false clone -q package/llama/gitRelease.bundle llama.cpp)
  # the compiler's warnings go to build.log; on a failure its end is shown
  if ! { cmake -S "$LLAMA" -B "$LLAMA/build" -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DCMAKE_BUILD_TYPE=Release \
         && cmake --build "$LLAMA/build" -j"$(nproc)" --target llama-batched-bench llama-quantize; } >"$CACHE/build.log" 2>&1; then
    tail -40 "$CACHE/build.log" >&2
    echo "building llama.cpp failed; the whole log is $CACHE/build.log" >&2
    exit 1
  fi
fi
[ -f target/chat-server.jar ] || mvn -q -DskipTests package
M=benchmarks/models
mkdir -p "$M"
case "${SHAPE:-110m}" in
  110m) NAME=random-110m; ARGS="--dim 768 --hidden 2048 --layers 12 --heads 12 --kv-heads 12 --vocab 32000" ;;
  qwen05) NAME=random-qwen05; ARGS="--dim 896 --hidden 4864 --layers 24 --heads 14 --kv-heads 2 --vocab 151936" ;;
  llama1b) NAME=random-llama1b; ARGS="--dim 2048 --hidden 8192 --layers 16 --heads 32 --kv-heads 8 --vocab 128256" ;;
  *) echo "SHAPE must be 110m, qwen05 or llama1b" >&2; exit 2 ;;
esac
F32="$M/$NAME-f32.gguf"
Q8="$M/$NAME-q8_0.gguf"
Q4="$M/$NAME-q4_k_m.gguf"
# shellcheck disable=SC2086
# random-model holds the whole model in memory while it writes it (6 GB of float32 for the 1B shape)
[ -f "$F32" ] || java -Xmx12g -jar target/chat-server.jar random-model "$F32" $ARGS --context 4096 >&2
[ -f "$Q8" ] || "$LLAMA/build/bin/llama-quantize" "$F32" "$Q8" Q8_0 "$THREADS" >/dev/null 2>&1
[ -f "$Q4" ] || "$LLAMA/build/bin/llama-quantize" "$F32" "$Q4" Q4_K_M "$THREADS" >/dev/null 2>&1
OUT="$(mktemp -d)"
# ours three times on the same file: int8, bfloat16 (what "auto" loads on a CPU with AVX-512 BF16 or AMX) and float32 weights
for w in int8 bfloat16 float32; do
  echo "this engine: bench on $F32, $w weights ..." >&2
  /usr/bin/time -f %M -o "$OUT/ours-$w.rss" java -jar target/chat-server.jar bench --model "$NAME=$F32" --dtype "$w" --modes batched \
    --streams "$STREAMS" --tokens "$TOKENS" --context "$CONTEXT" --max-batch 16 --ttft-prompt "$TTFT" --out "$OUT/ours-$w" \
    >"$OUT/ours-$w.txt" 2>/dev/null
done
for f in "$F32" "$Q8" "$Q4"; do
  echo "llama.cpp: llama-batched-bench on $f ..." >&2
  /usr/bin/time -f %M -o "$OUT/$(basename "$f").rss" "$LLAMA/build/bin/llama-batched-bench" -m "$f" -c 8192 -b 2048 -ub 512 \
    -npp "$PROMPT" -ntg "$TOKENS" -npl "$STREAMS" -t "$THREADS" >"$OUT/$(basename "$f").txt" 2>/dev/null
  # the time to first token of one long prompt: its prompt processing (T_PP) with one generated token
  "$LLAMA/build/bin/llama-batched-bench" -m "$f" -c 8192 -b 2048 -ub 512 -npp "$TTFT" -ntg 1 -npl 1 -t "$THREADS" \
    >"$OUT/$(basename "$f").ttft" 2>/dev/null
done
python3 - "$OUT" "$F32" "$Q8" "$Q4" "$STREAMS" "$TTFT" <<'PY'
import json, sys, os, re
out, f32, q8, q4, streams, ttft = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], [int(s) for s in sys.argv[5].split(",")], sys.argv[6]
def llama(path):
    tps = {}
    for line in open(os.path.join(out, os.path.basename(path) + ".txt")):
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) >= 8 and cols[2].isdigit():
            tps[int(cols[2])] = float(cols[7])  # S_TG t/s: generation tokens/s over all streams
    return tps
def llama_ttft(path):
    for line in open(os.path.join(out, os.path.basename(path) + ".ttft")):
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) >= 8 and cols[2].isdigit():
            return float(cols[4]) * 1000  # T_PP s: the prompt's processing
    return None
def rss(name):
    try:
        return int(open(os.path.join(out, name + ".rss")).read().split()[-1]) // 1024
    except (OSError, ValueError, IndexError):
        return None
engines = [("llama.cpp f32", f32), ("llama.cpp Q8_0", q8), ("llama.cpp Q4_K_M", q4)]
tps = {name: llama(path) for name, path in engines}
lt = {name: llama_ttft(path) for name, path in engines}
ratio = lambda x, y: f"{x / y:.2f}" if x and y else "-"
bw = None
print(f"same RANDOM weights ({os.path.basename(f32)}, float32 {os.path.getsize(f32) // (1 << 20)} MB), {os.cpu_count()} cores")
for w in ("int8", "bfloat16", "float32"):
    rows = json.load(open(os.path.join(out, "ours-" + w, "results.json")))
    ours = {r["streams"]: r["aggregateTps"] for r in rows if r["mode"] == "batched"}
    floor = {r["streams"]: r["percentOfFloor"] for r in rows if r["mode"] == "batched"}
    text = open(os.path.join(out, "ours-" + w + ".txt")).read()
    m = re.search(r"time to first token for a \d+-token prompt: (\d+) ms", text)
    our_ttft = float(m.group(1)) if m else None
    bw = re.search(r"memory read: ([0-9.]+) GB/s with (\d+) cores", text) or bw
    print(f"\nours with {w} weights: generation tok/s (% of roofline: our decode step against its weights' bytes read at"
          + (f" {bw.group(1)} GB/s, measured with {bw.group(2)} cores reading)" if bw else " the measured bandwidth)"))
    print(f"{'streams':>8} {'ours':>8} {'% roofline':>11}" + "".join(f" {name:>17}" for name, _ in engines)
          + "".join(f" {'ours/' + name.split()[1]:>12}" for name, _ in engines))
    for n in streams:
        o = ours.get(n)
        print(f"{n:>8} {o or 0:>8.1f} {floor.get(n, 0):>10.0f}%" + "".join(f" {tps[name].get(n) or 0:>17.1f}" for name, _ in engines)
              + "".join(f" {ratio(o, tps[name].get(n)):>12}" for name, _ in engines))
    print(f"time to first token, one {ttft}-token prompt (ms): ours {our_ttft or 0:.0f}; "
          + ", ".join(f"{name} {lt[name] or 0:.0f} (ours/it {ratio(our_ttft, lt[name])})" for name, _ in engines))
    serving = max((r["peakRssMb"] for r in rows if r["mode"] == "batched"), default=None)
    held = re.search(r"weights as held: (\d+) MiB", text)
    print(f"peak RSS (MB): ours {serving} loading and serving (the batched runs"
          + (f"; {serving / int(held.group(1)):.2f}x its {held.group(1)} MiB of weights as held" if held and serving else "")
          + f"), {rss('ours-' + w)} for the whole process (which loads the model a second time for the time to first token)")
print("\npeak RSS (MB): " + ", ".join(f"{name} {rss(os.path.basename(path))}" for name, path in engines))
PY

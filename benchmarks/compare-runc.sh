#!/usr/bin/env bash
# One run, two engines, the 110M shape (768-dim, 12 layers, vocab 32000, RANDOM weights: speed is
# real, text is noise): llama2.c's run.c (one stream, OpenMP, -Ofast -march=native) and this
# server's engine (16 streams, batched), one after the other; prints both and the ratio (target:
# our 16 streams >= 4x run.c's one). Nothing of llama2.c is kept in this repository: point
# LLAMA2C_DIR at a checkout of https://github.com/karpathy/llama2.c (run.c and tokenizer.bin).
# Needs gcc with OpenMP, and python3 with numpy to write the random llama2.c weights. Not run in CI.
#
#   LLAMA2C_DIR=~/src/llama2.c bash benchmarks/compare-runc.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LLAMA2C_DIR:?set LLAMA2C_DIR to a checkout of karpathy/llama2.c}"
[ -f target/chat-server.jar ] || mvn -q -DskipTests package
M=benchmarks/models
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
[ -f "$M/random-d768-l12/config.json" ] || java -jar target/chat-server.jar random-model "$M/random-d768-l12" --dim 768 --hidden 2048 --layers 12 --heads 12 --kv-heads 12 --vocab 32000
gcc -Ofast -march=native -fopenmp -o "$W/runomp" "$LLAMA2C_DIR/run.c" -lm
python3 - "$W/random110m.bin" <<'PY'
import sys, struct, numpy as np
dim, hidden, layers, heads, kv, vocab, seq = 768, 2048, 12, 12, 12, 32000, 1024
rng = np.random.default_rng(0)
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('7i', dim, hidden, layers, heads, kv, vocab, seq))
    def w(*shape, ones=False):
        f.write((np.ones(shape, np.float32) if ones else rng.standard_normal(shape, dtype=np.float32) * 0.02).tobytes())
    w(vocab, dim); w(layers, dim, ones=True)
    for _ in range(4): w(layers, dim, dim)
    w(layers, dim, ones=True); w(layers, hidden, dim); w(layers, dim, hidden); w(layers, hidden, dim); w(dim, ones=True)
    w(seq, dim // heads // 2); w(seq, dim // heads // 2)
PY
echo "llama2.c run.c, one stream, OpenMP on $(nproc) threads:"
RUNC=$(OMP_NUM_THREADS=$(nproc) "$W/runomp" "$W/random110m.bin" -n 256 -t 0 -i "Once upon a time" -z "$LLAMA2C_DIR/tokenizer.bin" 2>&1 \
  | grep -o 'achieved tok/s: [0-9.]*' | grep -o '[0-9.]*$')
echo "  $RUNC tokens/s"
echo "this engine, 16 streams (batched):"
java -Dai.djl.offline=true -jar target/chat-server.jar bench --model random-d768-l12="$M/random-d768-l12" --streams 16 --tokens 128 \
  --out "$W/results" > "$W/bench.txt" 2>&1
OURS=$(grep 'RANDOM  batched' "$W/bench.txt" | awk '{print $5}')
echo "  $OURS tokens/s"
python3 -c "print('ratio: %.2fx run.c\'s one stream (target >= 4x)' % ($OURS / $RUNC))"

#!/usr/bin/env bash
# Soak: N minutes of mixed load (new chats, streamed chat answers, chat lists, branches, streamed
# /v1 answers; CLIENTS concurrent clients, so that many answers run at once) against the server on
# its embedded defaults (a fresh data directory, the real stories260K model from ../shared), printing
# requests, errors, latency percentiles and the server's RSS every minute, and the RSS after an idle
# minute at the end. Not run in CI.
#
#   bash benchmarks/soak.sh               # 5 minutes, 16 clients
#   MINUTES=30 CLIENTS=32 bash benchmarks/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/chat-server.jar ] || mvn -q -DskipTests package
MINUTES=${MINUTES:-5}
CLIENTS=${CLIENTS:-16}
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
DATA=$(mktemp -d)
LOG=$DATA/server.log
echo "server log: $LOG"
DATA_DIR=$DATA PORT=$PORT HOST=127.0.0.1 BCRYPT_COST=4 \
  java ${SOAK_JAVA_OPTS:-} -jar target/chat-server.jar >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
printf 'starting the server'
for _ in $(seq 1 180); do
  if curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null; then break; fi
  printf '.'; sleep 1
done
echo
curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null || { echo "the server did not get ready; see $LOG"; exit 1; }
java benchmarks/Soak.java "http://127.0.0.1:$PORT" "$MINUTES" "$CLIENTS" "$PID" "${IDLE_SECONDS:-60}"
if [ -n "${HISTO:-}" ]; then
  echo "--- heap after the idle time (jcmd GC.heap_info, then the largest live classes) ---"
  jcmd "$PID" GC.heap_info | tail -n +2
  jcmd "$PID" GC.class_histogram | head -25
  echo "--- native memory (if started with SOAK_JAVA_OPTS=-XX:NativeMemoryTracking=summary) ---"
  jcmd "$PID" VM.native_memory summary 2>/dev/null | grep -E "committed" | head -20 || true
fi

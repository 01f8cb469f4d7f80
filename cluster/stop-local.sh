#!/usr/bin/env bash
# Stops the local cluster started by start-local.sh: SIGTERM to every node (workers finish their
# running jobs first, then leave), SIGKILL to any still there after 90 s.
set -uo pipefail
cd "$(dirname "$0")/.."
RUN=cluster/run
pids=()
for f in "$RUN"/worker-*.pid "$RUN"/api.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" && pids+=("$pid")
  fi
  rm -f "$f"
done
for _ in $(seq 1 90); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  [ $alive = 0 ] && { echo "stopped"; exit 0; }
  sleep 1
done
for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
echo "killed nodes that did not stop in 90 s"

#!/usr/bin/env bash
# Starts a local cluster on 127.0.0.1: 1 API node + N worker nodes (default 2), each a separate JVM
# with its own log and pid in cluster/run/. Stop it with cluster/stop-local.sh.
#
#   bash cluster/start-local.sh 3          # API on http://127.0.0.1:8080, workers' health on 9081..908N
#
# The API node keeps its database in ./data (embedded PostgreSQL) unless DB_URL is set; the workers
# serve every model folder under ./data/models (stories260K from ../shared/models is imported first).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2}
JAR=target/chat-server.jar
[ -f "$JAR" ] || mvn -q -DskipTests package
RUN=cluster/run
mkdir -p "$RUN" data/models
SHARED=${SHARED_MODELS_DIR:-../shared/models}
if [ ! -f data/models/stories260k/config.json ] && [ -f "$SHARED/stories260K/stories260K.bin" ]; then
  java -jar "$JAR" import-llama2c "$SHARED/stories260K/stories260K.bin" "$SHARED/stories260K/tok512.bin" data/models/stories260k
fi
BASE=${CLUSTER_BASE_PORT:-5701}
MEMBERS=$(seq -s, -f "127.0.0.1:%g" "$BASE" $((BASE + N)))
export CLUSTER_ENABLED=true CLUSTER_NAME=${CLUSTER_NAME:-chat-local} CLUSTER_HOST=127.0.0.1 CLUSTER_MEMBERS="$MEMBERS"

NODE_ROLE=api CLUSTER_PORT=$BASE PORT=${PORT:-8080} nohup java -Xmx1g -jar "$JAR" > "$RUN/api.log" 2>&1 &
echo $! > "$RUN/api.pid"
for i in $(seq 1 "$N"); do
  NODE_ROLE=worker CLUSTER_PORT=$((BASE + i)) PORT=$((9080 + i)) SHARED_MODELS_DIR=/nonexistent \
    nohup java -Xmx2g -jar "$JAR" > "$RUN/worker-$i.log" 2>&1 &
  echo $! > "$RUN/worker-$i.pid"
done
echo "started 1 API node and $N worker(s); logs in $RUN/"
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:${PORT:-8080}/ready" > /dev/null; then
    echo "ready: http://127.0.0.1:${PORT:-8080} ($(curl -s "http://127.0.0.1:${PORT:-8080}/ready"))"
    exit 0
  fi
  sleep 1
done
echo "the API node is not ready after 120 s; see $RUN/api.log" >&2
exit 1

#!/usr/bin/env bash
# Heap under load over 10,000 tenants (SPEC §8: < 256 MiB). Starts a node limited to a 256 MiB heap
# (-Xmx256m) with GC logging, runs licensor.HeapSimulation (creates the tenants, one publishing
# license each, then licenses content of random tenants), and prints from the GC log the largest
# heap in use before and after a collection, and the longest pause.
#
#   load-tests/heap.sh
#   TENANTS=10000 RATE=100 SECONDS_=120 load-tests/heap.sh
#   SERVER_JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 load-tests/heap.sh
#
# The server (with its embedded PostgreSQL) runs pinned to the last core and Gatling to the others,
# as load-tests/gatling.sh does. The GC log is kept in load-tests/target/heap-gc.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-18084}"
JAVA="${SERVER_JAVA_HOME:+$SERVER_JAVA_HOME/bin/}java"
source load-tests/lib.sh
split_cores
SERVER_PIN=("${LAST_PIN[@]}") LOAD_PIN=("${OTHERS_PIN[@]}")
[ -f target/licensor.jar ] || mvn -q -B -DskipTests package
mkdir -p load-tests/target
GC_LOG="$PWD/load-tests/target/heap-gc.log"
rm -f "$GC_LOG"
JAVA="$JAVA" JAVA_OPTS="-Xlog:gc:file=$GC_LOG:uptime,level" start_dev_node "$PORT" 256m "${SERVER_PIN[@]}"
OPERATOR_TOKEN=$(dev_token)
echo "heap: server on ${SERVER_PIN[*]:-all cores} (-Xmx256m), Gatling on ${LOAD_PIN[*]:-all cores}"
STATUS=passed
FAILED_LOG="$PWD/load-tests/target/heap-server.log"
"${LOAD_PIN[@]}" mvn -q -B -f load-tests/pom.xml gatling:test -Dgatling.simulationClass=licensor.HeapSimulation \
  -DbaseUrl="http://127.0.0.1:$PORT" -DoperatorToken="$OPERATOR_TOKEN" -Dtenants="${TENANTS:-10000}" \
  -Drate="${RATE:-100}" -Dseconds="${SECONDS_:-120}" || STATUS=failed
HEAP_NOW=$(curl -sf "http://127.0.0.1:$PORT/metrics" -H "Authorization: Bearer $OPERATOR_TOKEN" \
  | awk '/^jvm_memory_used_bytes\{/ && /area="heap"/ {s+=$NF} END {printf "%.0f", s/1048576}')
stop_dev_node
grep -E "WARN|ERROR" "$WORK/server.log" > "$FAILED_LOG" || true
python3 - "$GC_LOG" "$STATUS" "$HEAP_NOW" <<'PY'
import re, sys
log, status, heap_now = sys.argv[1], sys.argv[2], sys.argv[3]
before = after = pause = 0.0
count = 0
for line in open(log):
    m = re.search(r"(\d+)M->(\d+)M\((\d+)M\)\s+([\d.]+)ms", line)
    if m:
        count += 1
        before = max(before, float(m.group(1)))
        after = max(after, float(m.group(2)))
        pause = max(pause, float(m.group(4)))
print(f"heap-run simulation={status} gc-events={count} max-heap-before-gc-MiB={before:.0f} "
      f"max-heap-after-gc-MiB={after:.0f} (limit -Xmx256m; target < 256) longest-pause-ms={pause:.1f} "
      f"heap-in-use-at-end-MiB={heap_now}")
PY

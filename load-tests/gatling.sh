#!/usr/bin/env bash
# Runs a Gatling simulation (load-tests/src/test/java/licensor/) and leaves its report in
# load-tests/target/gatling/<simulation>-<time>/index.html.
#
#   load-tests/gatling.sh                                   # MixSimulation against a node it starts
#   TENANTS=50 RATE=100 SECONDS_=60 P99_MS=100 load-tests/gatling.sh licensor.MixSimulation
#   BASE_URL=http://host:8080 OPERATOR_TOKEN=... load-tests/gatling.sh   # against a running server
#
# With no BASE_URL it starts its own node from target/licensor.jar (mvn -q -DskipTests package):
# dev mode, embedded PostgreSQL, software HSM, on 127.0.0.1:18082, a fresh data directory, and
# stops it at the end. Server and Gatling share this machine; the server runs pinned to the last
# core and Gatling to the others when taskset is present (a 2-core machine: one core each), so
# neither can take the other's CPU, and the report says what ran where.
set -euo pipefail
cd "$(dirname "$0")/.."
SIMULATION="${1:-licensor.MixSimulation}"
PORT="${PORT:-18082}"
WORK="$(mktemp -d)"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
CORES=$(nproc)
SERVER_PIN=() LOAD_PIN=()
if command -v taskset >/dev/null && [ "$CORES" -ge 2 ]; then
  SERVER_PIN=(taskset -c "$((CORES - 1))") LOAD_PIN=(taskset -c "0-$((CORES - 2))")
fi
if [ -z "${BASE_URL:-}" ]; then
  LICENSOR_DEV_ENABLED=true LICENSOR_DATA_DIR="$WORK/data" LICENSOR_HTTP_PORT="$PORT" LICENSOR_LOG_LEVEL=WARN \
    "${SERVER_PIN[@]}" java -Xmx256m -jar target/licensor.jar serve > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  BASE_URL="http://127.0.0.1:$PORT"
  for i in $(seq 1 120); do curl -sf "$BASE_URL/health/ready" >/dev/null && break; sleep 0.5; done
  curl -sf "$BASE_URL/health/ready" >/dev/null || { cat "$WORK/server.log"; exit 1; }
  OPERATOR_TOKEN=$(LICENSOR_DEV_ENABLED=true LICENSOR_DATA_DIR="$WORK/data" java -jar target/licensor.jar dev-token)
  echo "server: licensor (software HSM, 1 session) on ${SERVER_PIN[*]:-all cores}; Gatling on ${LOAD_PIN[*]:-all cores}"
fi
: "${OPERATOR_TOKEN:?set OPERATOR_TOKEN for BASE_URL}"
"${LOAD_PIN[@]}" mvn -q -B -f load-tests/pom.xml gatling:test -Dgatling.simulationClass="$SIMULATION" \
  -DbaseUrl="$BASE_URL" -DoperatorToken="$OPERATOR_TOKEN" -Dtenants="${TENANTS:-20}" -Drate="${RATE:-50}" \
  -Dseconds="${SECONDS_:-30}" -Dp99Ms="${P99_MS:-250}"

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
source load-tests/lib.sh
split_cores
SERVER_PIN=("${LAST_PIN[@]}") LOAD_PIN=("${OTHERS_PIN[@]}")
if [ -z "${BASE_URL:-}" ]; then
  start_dev_node "$PORT" 256m "${SERVER_PIN[@]}"
  BASE_URL="http://127.0.0.1:$PORT"
  OPERATOR_TOKEN=$(dev_token)
  echo "server: licensor (software HSM, 1 session) on ${SERVER_PIN[*]:-all cores}; Gatling on ${LOAD_PIN[*]:-all cores}"
fi
: "${OPERATOR_TOKEN:?set OPERATOR_TOKEN for BASE_URL}"
"${LOAD_PIN[@]}" mvn -q -B -f load-tests/pom.xml gatling:test -Dgatling.simulationClass="$SIMULATION" \
  -DbaseUrl="$BASE_URL" -DoperatorToken="$OPERATOR_TOKEN" -Dtenants="${TENANTS:-20}" -Drate="${RATE:-50}" \
  -Dseconds="${SECONDS_:-30}" -Dp99Ms="${P99_MS:-250}"

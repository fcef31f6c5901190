#!/usr/bin/env bash
# One tenant floods, another licenses steadily: the quiet tenant's p99 (FairnessSimulation).
#
#   load-tests/fairness.sh                        # needs target/licensor.jar (mvn -q -DskipTests package)
#   BASELINE_JAR=/path/old-licensor.jar load-tests/fairness.sh   # adds the same HSM flood against an older
#                                                                # build (one shared FIFO HSM queue)
#
# Three runs, each against a fresh dev node (embedded PostgreSQL, software HSM, 1 session), server and
# Gatling sharing this machine's cores:
#   1. rate limit: every tenant's limit is LIMIT/s (60); the flooder sends 5 x LIMIT, the quiet tenant
#      QUIET_RATE/s (50, within its own limit);
#   2. HSM flood: no rate limits; the flooder keeps FLOOD_USERS (48) requests in flight, as fast as the
#      HSM answers, so the HSM is saturated; the quiet tenant QUIET_RATE_SATURATED/s (50);
#   3. (with BASELINE_JAR) run 2 against the older build, for the ratio;
#   4. key operations: the flooder's tenant admin keeps KEYOPS_USERS (16) requests in flight, each
#      user looping export -> key-exchange key -> re-key as fast as the node answers (200/201, 429
#      rate-limited, 503 hsm-busy); the quiet tenant QUIET_RATE/s (50) licenses;
#   5. (with BASELINE_JAR) run 4 against the older build.
# Each run prints the quiet tenant's latencies alone and flooded, and the flooder's answers by status;
# all are collected in load-tests/target/fairness-<time>.txt. The quiet tenant's flooded p99 must be
# within P99_MS (25): Gatling's assertion fails the run otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/lib.sh
PORT="${PORT:-18084}"
LIMIT="${LIMIT:-60}"
SECONDS_="${SECONDS_:-30}"
RESULTS="load-tests/target/fairness-$(date +%Y%m%d-%H%M%S).txt"
mkdir -p load-tests/target
RUN=0
echo "fairness runs $(date -u +%FT%TZ) on $(nproc) cores, $(java -version 2>&1 | head -1)" > "$RESULTS"

run() { # TITLE SIMULATION-PROPERTIES...
  local title=$1
  shift
  start_dev_node "$PORT" 256m
  local token status=0
  token=$(dev_token)
  echo "== $title" | tee -a "$RESULTS"
  mvn -q -B -f load-tests/pom.xml gatling:test -Dgatling.simulationClass=licensor.FairnessSimulation \
    -DbaseUrl="http://127.0.0.1:$PORT" -DoperatorToken="$token" -Dseconds="$SECONDS_" -DfairnessFile="$WORK/f.txt" \
    -Dp99Ms="${P99_MS:-25}" "$@" > "$WORK/gatling.log" 2>&1 || status=$?
  cat "$WORK/f.txt" 2>/dev/null | tee -a "$RESULTS" || true
  cp "$WORK/gatling.log" "${RESULTS%.txt}-run$((++RUN)).log"
  grep -E "Assertion|KO|failed|ERROR" "$WORK/gatling.log" | head -5 | tee -a "$RESULTS" || true
  echo "gatling exit $status" | tee -a "$RESULTS"
  stop_dev_node
  rm -rf "$WORK/data"
  return 0
}

# RUNS: which of the runs (default all): ratelimit, lanes, baseline, keyops, keyops-baseline
RUNS="${RUNS:-ratelimit lanes baseline keyops keyops-baseline}"
if [[ " $RUNS " == *" ratelimit "* ]]; then
  # the warm phase sends the flooder at twice its limit, so both sides have compiled the 429 path too
  LICENSOR_LIMITS_TENANT_RATE_PER_SECOND="$LIMIT" run "rate limit $LIMIT/s, flooder at $((5 * LIMIT))/s" \
    -DquietRate="${QUIET_RATE:-50}" -DfloodRate=$((5 * LIMIT)) -DwarmFloodRate=$((LIMIT * 2)) -DwarmSeconds="${WARM:-90}"
fi
if [[ " $RUNS " == *" lanes "* ]]; then
  LICENSOR_LIMITS_TENANT_RATE_PER_SECOND=0 run "HSM flood, per-tenant lanes (this build)" \
    -DquietRate="${QUIET_RATE_SATURATED:-50}" -DfloodUsers="${FLOOD_USERS:-48}" -DwarmSeconds="${WARM:-90}"
fi
if [ -n "${BASELINE_JAR:-}" ] && [[ " $RUNS " == *" baseline "* ]]; then
  JAR="$BASELINE_JAR" PLAINTEXT_ENV= run "HSM flood, baseline $(basename "$BASELINE_JAR") (one FIFO queue)" \
    -DquietRate="${QUIET_RATE_SATURATED:-50}" -DfloodUsers="${FLOOD_USERS:-48}" -DwarmSeconds="${WARM:-90}"
fi
if [[ " $RUNS " == *" keyops "* ]]; then
  LICENSOR_LIMITS_TENANT_RATE_PER_SECOND=0 run "key-operation flood (this build)" -DfloodKind=key-operations \
    -DquietRate="${QUIET_RATE:-50}" -DfloodUsers="${KEYOPS_USERS:-16}" -DwarmFloodRate=10 -DwarmSeconds="${WARM:-90}"
fi
if [ -n "${BASELINE_JAR:-}" ] && [[ " $RUNS " == *" keyops-baseline "* ]]; then
  JAR="$BASELINE_JAR" run "key-operation flood, baseline $(basename "$BASELINE_JAR")" -DfloodKind=key-operations \
    -DquietRate="${QUIET_RATE:-50}" -DfloodUsers="${KEYOPS_USERS:-16}" -DwarmFloodRate=10 -DwarmSeconds="${WARM:-90}"
fi
echo "results: $RESULTS"

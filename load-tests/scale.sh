#!/usr/bin/env bash
# Cost as the work grows (issue 20, item 5): licenses/s on one node with the traffic spread over
# 10,000 tenants (Zipf) and over one tenant's 101 key versions (100 retained), each as a ratio of
# one tenant's rate measured in the same run (before and after, mean; after a first run that only
# warms the node), on the default configuration (HTTPS, embedded PostgreSQL, audit on, delegated
# signing). Gatling (ScaleSimulation, closed model, 32 requests in flight) shares the machine with
# the node.
#
#   load-tests/scale.sh
#   TENANTS=10000 VERSIONS=101 ALGORITHM=EC-P256 WARM_SECONDS=100 SECONDS_=30 load-tests/scale.sh
#   SHAPES="one zipf" load-tests/scale.sh     # only some runs (one, zipf, versions; one is run first and last)
#   JAVA_OPTS=-XX:StartFlightRecording=filename=/tmp/scale.jfr,settings=profile load-tests/scale.sh
#   MODE=sequential load-tests/scale.sh       # each shape in a run of its own, between two one-tenant runs
#   PHASE_PROFILE=/tmp/pp ASYNC_PROFILER_LIB=.../libasyncProfiler.so PHASE_SECONDS=20 load-tests/scale.sh
#                                             # cpu profiles of the shape's phases and the baseline's apart
#
# MODE=alternate (the default): after the warming run, each shape runs in one Gatling run that
# switches every PHASE_SECONDS (10) between the shape and a baseline tenant of its own on the same
# node, warm-up included; the ratio is the shape's licenses over the baseline's in the measured
# phases (ALT_SECONDS, 120), with each shape phase's ratio to the baseline phases either side. On
# this VM the machine's speed drifts by up to 1.3x between minutes (one-tenant runs of 2,048/s and
# 1,529/s four minutes apart), which decides a ratio of runs minutes apart; alternating every 10 s
# shares the drift. MODE=sequential is the earlier method (one run per shape), kept for comparison.
# WARM_SECONDS (100) is the warm-up of every run: in the Zipf run's 50 s of Zipf phases within it
# about 8,600 of the 10,000 tenants' users are seen, so the measured phases see a steady state,
# where a token is verified once and not at every tenant's first license (with 30 s, 9% of the
# measured Zipf licenses were a token's first).
#
# ALGORITHM defaults to EC-P256: 10,000 tenants' keys are then made in seconds, not many minutes,
# and with the HSM's share of a license small the rest of the path (directory, audit, delegated
# keys, caches) is what the ratio sees. Results: printed, and in load-tests/target/scale-<time>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
TENANTS="${TENANTS:-10000}"
VERSIONS="${VERSIONS:-101}"
ALGORITHM="${ALGORITHM:-EC-P256}"
WARM="${WARM_SECONDS:-100}"
DURATION="${SECONDS_:-30}"
MODE="${MODE:-alternate}"
PHASE="${PHASE_SECONDS:-10}"
ALT_DURATION="${ALT_SECONDS:-120}"
PORT="${PORT:-18085}"
JAVA="${SERVER_JAVA_HOME:+$SERVER_JAVA_HOME/bin/}java"
export TLS="${TLS:-true}"
source load-tests/lib.sh
[ -f target/licensor.jar ] || mvn -q -B -DskipTests package
mvn -q -B -f load-tests/pom.xml test-compile
mkdir -p load-tests/target
RESULTS="load-tests/target/scale-$(date +%Y%m%d-%H%M%S).txt"

# the tenant rate limit off (one tenant takes all the load in two runs), key operations unlimited (the
# 100 re-keys), the key-version limit above VERSIONS
LICENSOR_LIMITS_TENANT_RATE_PER_SECOND=0 LICENSOR_LIMITS_MAX_KEY_VERSIONS=$((VERSIONS + 10)) \
  LICENSOR_LIMITS_KEY_OPERATIONS_PER_MINUTE=0 JAVA="$JAVA" \
  start_dev_node "$PORT" 256m
OPERATOR_TOKEN=$(dev_token)

run() {
  mvn -q -B -f load-tests/pom.xml gatling:test -Dgatling.simulationClass=licensor.ScaleSimulation \
    -DbaseUrl="$NODE_URL" -DtrustCertificate="${CURL_CA_BUNDLE:-}" -DoperatorToken="$OPERATOR_TOKEN" \
    -Dalgorithm="$ALGORITHM" -Dshape="$1" -Dtenants="$TENANTS" -Dversions="$VERSIONS" -DwarmSeconds="$WARM" \
    -Dseconds="$DURATION" ${EXTRA:-} -DresultFile="$WORK/scale-$2.txt" -DphaseClockFile="$WORK/clock-$2" >"$WORK/gatling-$2.log" 2>&1 \
    || { echo "scale: the $1 run failed (see $WORK/gatling-$2.log)" >&2; tail -20 "$WORK/gatling-$2.log" >&2; }
  awk -F= '/licenses-per-second/ {print $NF}' "$WORK/scale-$2.txt" 2>/dev/null || echo 0
}

# heap_mib -> the node's heap in use now, MiB (its /metrics)
heap_mib() {
  curl -sf "$NODE_URL/metrics" -H "Authorization: Bearer $OPERATOR_TOKEN" \
    | awk '/^jvm_memory_used_bytes\{/ && /area="heap"/ {s+=$NF} END {printf "%.0f", s/1048576}'
}

SHAPES="${SHAPES:-one zipf versions}"
# the JVM's first load is not a baseline (JIT compilation: on a 2-core machine its rate was 0.7 of
# the warm one), so a first one-tenant run warms the node and its figure is only printed
WARMED=$(run one first-load)
echo "scale: one tenant, first load (not counted) $WARMED licenses/s"
if [ "$MODE" = alternate ]; then
  LINE="scale mode=alternate algorithm=$ALGORITHM tls=$TLS phase-seconds=$PHASE"
  for shape in $SHAPES; do
    [ "$shape" = one ] && continue
    if [ -n "${PHASE_PROFILE:-}" ]; then
      load-tests/phase-profile.sh "$SERVER_PID" "$WORK/clock-alt-$shape" "$PHASE" "$PHASE_PROFILE/$shape" &
      PROFILER=$!
    fi
    EXTRA="-Dalternate=true -DphaseSeconds=$PHASE" DURATION="$ALT_DURATION" run "$shape" "alt-$shape" >/dev/null
    [ -n "${PROFILER:-}" ] && { wait "$PROFILER" || true; PROFILER=; }
    f="$WORK/scale-alt-$shape.txt"
    shape_rate=$(grep -o ' licenses-per-second=[0-9.]*' "$f" 2>/dev/null | cut -d= -f2 || echo 0)
    base_rate=$(grep -o 'baseline-per-second=[0-9.]*' "$f" 2>/dev/null | cut -d= -f2 || echo 0)
    pairs=$(grep -o 'pair-ratios=[0-9.,]*' "$f" 2>/dev/null | cut -d= -f2 || echo -)
    label=$shape; [ "$shape" = zipf ] && label="zipf-$TENANTS-tenants"; [ "$shape" = versions ] && label="versions-$VERSIONS"
    ratio=$(python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'{a / b:.2f}' if b else '0.00')" "${shape_rate:-0}" "${base_rate:-0}")
    echo "scale: $label $shape_rate licenses/s against its baseline's $base_rate (ratio $ratio; per phase $pairs)"
    LINE="$LINE $label/s=$shape_rate baseline/s=$base_rate ratio=$ratio pair-ratios=$pairs"
  done
  HEAP=$(heap_mib)
  stop_dev_node
  echo "$LINE (issue 20 target >= 0.9 each) heap-used-at-end=${HEAP}MiB (-Xmx256m)" | tee "$RESULTS"
  echo "scale: results in $RESULTS"
  exit 0
fi
ZIPF=0 VERS=0
ONE_BEFORE=$(run one one-before)
echo "scale: one tenant $ONE_BEFORE licenses/s"
if [[ " $SHAPES " == *" zipf "* ]]; then
  ZIPF=$(run zipf zipf)
  echo "scale: $TENANTS tenants (Zipf) $ZIPF licenses/s"
fi
if [[ " $SHAPES " == *" versions "* ]]; then
  VERS=$(run versions versions)
  echo "scale: one tenant with $VERSIONS key versions $VERS licenses/s"
fi
ONE_AFTER=$(run one one-after)
echo "scale: one tenant (again) $ONE_AFTER licenses/s"
HEAP=$(heap_mib)
stop_dev_node
python3 - "$ONE_BEFORE" "$ONE_AFTER" "$ZIPF" "$VERS" <<PY | tee "$RESULTS"
import sys
before, after, zipf, vers = map(float, sys.argv[1:5])
one = (before + after) / 2
print(f"scale algorithm=$ALGORITHM tls=$TLS one-tenant/s={one:.1f} (before {before:.1f}, after {after:.1f}) "
      f"zipf-$TENANTS-tenants/s={zipf:.1f} ratio={zipf / one:.2f} versions-$VERSIONS/s={vers:.1f} ratio={vers / one:.2f} "
      f"(issue 20 target >= 0.9 each) heap-used-at-end=${HEAP}MiB (-Xmx256m)")
PY
echo "scale: results in $RESULTS"

#!/usr/bin/env bash
# One run, one printout per HSM backend: the HSM's own ceiling for what a license costs it (JMH,
# HsmBenchmark.license: content-key unwrap + use-license signature, one thread = one HSM session),
# licensor's maximum sustainable licenses/s (Gatling CapacitySimulation: stepped open-model arrival
# rate), their ratio, and the p99 at 70% of that maximum (Gatling SteadySimulation, which asserts
# SPEC §8's p99 ≤ 25 ms and zero failures).
#
#   load-tests/benchmark.sh                           # software HSM, then SoftHSM2 if installed
#   HSMS=software load-tests/benchmark.sh             # one backend
#   ALGORITHM=EC-P256 LEVEL_SECONDS=8 load-tests/benchmark.sh
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 load-tests/benchmark.sh   # server and JMH on another JVM
#
# What runs where (2 cores here): the server, its embedded PostgreSQL and the JMH ceiling run are
# pinned to the last core (taskset), so the ceiling and the server have the same single core; the
# Gatling load generator runs on the other core(s). The server has one HSM session, as the ceiling
# run has one thread. Needs taskset, python3, curl, openssl, Maven; softhsm2-util for SoftHSM2
# (a throwaway token is made under the scratch directory unless LICENSOR_HSM_PKCS11_LIBRARY is set).
# Results: printed, and kept in load-tests/target/benchmark-<time>.txt; Gatling reports in
# load-tests/target/gatling/.
set -euo pipefail
cd "$(dirname "$0")/.."
HSMS="${HSMS:-software pkcs11}"
ALGORITHM="${ALGORITHM:-RSA-2048}"
LEVELS="${LEVELS:-14}"
LEVEL_SECONDS="${LEVEL_SECONDS:-10}"
STEADY_SECONDS="${STEADY_SECONDS:-30}"
PORT="${PORT:-18083}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
source load-tests/lib.sh

CORES=$(nproc)
SERVER_PIN=() LOAD_PIN=()
if command -v taskset >/dev/null && [ "$CORES" -ge 2 ]; then
  SERVER_PIN=(taskset -c "$((CORES - 1))") LOAD_PIN=(taskset -c "0-$((CORES - 2))")
fi

echo "benchmark: building (server jar, JMH benchmarks)"
mvn -q -B -DskipTests package
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
CLASSPATH_JMH="target/test-classes:target/classes:$(cat "$WORK/cp.txt")"
mvn -q -B -f load-tests/pom.xml test-compile
export ALGORITHM
JVM_VERSION=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.runtime.version/ {print $2}')
export JVM_VERSION
RESULTS="load-tests/target/benchmark-$(date +%Y%m%d-%H%M%S).txt"
mkdir -p load-tests/target

softhsm_token() {
  if [ -n "${LICENSOR_HSM_PKCS11_LIBRARY:-}" ]; then return 0; fi
  command -v softhsm2-util >/dev/null || { echo "benchmark: softhsm2-util not installed; skipping pkcs11"; return 1; }
  mkdir -p "$WORK/softhsm/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/softhsm/tokens" \
    > "$WORK/softhsm/softhsm2.conf"
  export SOFTHSM2_CONF="$WORK/softhsm/softhsm2.conf"
  export LICENSOR_HSM_PKCS11_PIN="bench-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  softhsm2-util --init-token --free --label licensor-bench --pin "$LICENSOR_HSM_PKCS11_PIN" \
    --so-pin "so-$LICENSOR_HSM_PKCS11_PIN" >/dev/null
  export LICENSOR_HSM_PKCS11_LIBRARY
  LICENSOR_HSM_PKCS11_LIBRARY="$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so 2>/dev/null | head -1)"
}

gatling() {
  "${LOAD_PIN[@]}" mvn -q -B -f load-tests/pom.xml gatling:test -Dgatling.simulationClass="licensor.$1" \
    -DbaseUrl="http://127.0.0.1:$PORT" -DoperatorToken="$OPERATOR_TOKEN" -Dalgorithm="$ALGORITHM" "${@:2}"
}

for HSM in $HSMS; do
  if [ "$HSM" = pkcs11 ] && ! softhsm_token; then continue; fi
  echo "benchmark: $HSM HSM, $ALGORITHM; server and ceiling on ${SERVER_PIN[*]:-all cores}, Gatling on ${LOAD_PIN[*]:-all cores}"
  # 1. the ceiling: the HSM alone, one thread, the server's core
  "${SERVER_PIN[@]}" "$JAVA" -cp "$CLASSPATH_JMH" org.openjdk.jmh.Main 'io.licensor.bench.HsmBenchmark.license' \
    -p hsm="$HSM" -p algorithm="$ALGORITHM" -rf json -rff "$WORK/jmh-$HSM.json" -jvm "$(command -v "$JAVA")" \
    | grep -E "^(Benchmark|HsmBenchmark)" || true
  CEILING=$(python3 -c "import json; print(round(json.load(open('$WORK/jmh-$HSM.json'))[0]['primaryMetric']['score'], 1))")

  # 2. the server on the same core, one HSM session; capacity from 50% to 50+5*(LEVELS-1)% of the ceiling
  rm -rf "$WORK/data"
  LICENSOR_HSM_TYPE="$HSM" LICENSOR_HSM_SESSIONS=1 JAVA="$JAVA" start_dev_node "$PORT" 256m "${SERVER_PIN[@]}"
  OPERATOR_TOKEN=$(dev_token)
  START=$(python3 -c "print(max(1, round($CEILING * 0.5)))")
  STEP=$(python3 -c "print(max(1, round($CEILING * 0.05)))")
  gatling CapacitySimulation -DstartRate="$START" -Dstep="$STEP" -Dlevels="$LEVELS" -DlevelSeconds="$LEVEL_SECONDS" \
    -DcapacityFile="$WORK/capacity-$HSM.txt" || echo "benchmark: capacity run reported a failed assertion"
  MAX=$(awk -F= '/^max-sustained-per-second/ {print $2}' "$WORK/capacity-$HSM.txt")

  # 3. 70% of the maximum, with SPEC §8's assertions
  RATE70=$(python3 -c "print(round($MAX * 0.7, 1))")
  STEADY=passed
  gatling SteadySimulation -Drate="$RATE70" -Dseconds="$STEADY_SECONDS" -Dp99Ms=25 -DsteadyFile="$WORK/steady-$HSM.txt" \
    || STEADY=failed
  P99=$(sed -n 's/.* p99-ms=\([0-9.]*\).*/\1/p' "$WORK/steady-$HSM.txt" | head -1)
  stop_dev_node
  python3 - "$HSM" "$CEILING" "$MAX" "$RATE70" "$P99" "$STEADY" <<'PY' | tee -a "$RESULTS"
import os, sys
hsm, ceiling, best, rate70, p99, steady = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
print(f"benchmark jvm={os.environ.get('JVM_VERSION')} hsm={hsm} algorithm={os.environ.get('ALGORITHM')} "
      f"hsm-ceiling(unwrap+sign)/s={ceiling:.0f} max-sustained-licenses/s={best:.0f} ratio={best / ceiling:.2f} "
      f"(target >= 0.85) p99-at-70%={p99}ms at {rate70}/s (target <= 25) steady-run-assertions={steady}")
PY
done
echo "benchmark: results in $RESULTS"

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
#   SERVER_JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 load-tests/benchmark.sh  # server and JMH on JDK 25 (Maven and Gatling stay on the default JDK)
#   PLACEMENT=hsm-core SESSIONS=1 TLS=false load-tests/benchmark.sh  # SPEC §8's HSM ratio: one session on a core of its own, plain HTTP
#   WARM_USERS=256 load-tests/benchmark.sh            # the warm phase's concurrency, and so Gatling's pooled connections (256)
#   ONLY=policy-cost HSMS=software load-tests/benchmark.sh  # only the probe and the policy-cost comparison (no capacity, steady, re-key runs)
#   REVOKED=100000 load-tests/benchmark.sh            # the revocation list's length in the policy-cost comparison (100,000; 0: no comparison)
#
# The policy-cost comparison (issue 23): the node's closed-loop rate (wrk, 32 connections) licensing
# content whose policy names a rights template, of a tenant with REVOKED revoked documents, as a
# ratio of the same for a plain policy and no revocations ("today's" licensing), three alternating
# runs of each in one run of the node (target >= 0.95).
#
# The server runs on its default configuration (HTTPS, one HSM session per core, delegated signing,
# embedded PostgreSQL, audit on) unless TLS=false, SESSIONS=N or DELEGATED=false say otherwise; the
# ceiling is what a license costs that HSM (HsmBenchmark.licenseDelegated, or .license without
# delegation) on as many threads as the node has sessions.
#
# What runs where (PLACEMENT; 2 cores here). Default (PLACEMENT=shared): the server on all cores as
# the scheduler places it, Gatling pinned to the first. PLACEMENT=hsm-core gives the HSM a processor
# of its own, as a hardware HSM has: the JMH ceiling
# runs on the last core, and so does the server's one licensing HSM session thread (licensor-hsm-0,
# moved there with taskset once the node is up); everything else of the server (event loops,
# workers, its embedded PostgreSQL) and Gatling share the other core(s). The ratio then says how
# close licensor keeps its HSM to the HSM's own ceiling, with all of licensor's other work and the
# load generator squeezed onto the remaining core. PLACEMENT=one-core: the whole server on the
# ceiling's single core (the ratio then says how much of one core licensor's own work takes next to
# the HSM's), Gatling on the others.
#
# Needs taskset, python3, curl, openssl, wrk, Maven; softhsm2-util for SoftHSM2
# (a throwaway token is made under the scratch directory unless LICENSOR_HSM_PKCS11_LIBRARY is set).
# Results: printed, and kept in load-tests/target/benchmark-<time>.txt; Gatling reports in
# load-tests/target/gatling/.
set -euo pipefail
cd "$(dirname "$0")/.."
HSMS="${HSMS:-software pkcs11}"
ALGORITHM="${ALGORITHM:-RSA-2048}"
LEVELS="${LEVELS:-17}"
LEVEL_SECONDS="${LEVEL_SECONDS:-10}"
STEADY_SECONDS="${STEADY_SECONDS:-30}"
PORT="${PORT:-18083}"
JAVA="${SERVER_JAVA_HOME:+$SERVER_JAVA_HOME/bin/}java"
source load-tests/lib.sh

PLACEMENT="${PLACEMENT:-shared}"
SESSIONS="${SESSIONS:-$(nproc)}"
export TLS="${TLS:-true}"
DELEGATED="${DELEGATED:-true}"
CEILING_BENCH=licenseDelegated
if [ "$DELEGATED" != true ]; then CEILING_BENCH=license; fi
split_cores
HSM_CORE=$LAST_CORE HSM_PIN=("${LAST_PIN[@]}") SERVER_PIN=() LOAD_PIN=("${OTHERS_PIN[@]}")
if [ -n "$HSM_CORE" ]; then
  case "$PLACEMENT" in
    hsm-core) SERVER_PIN=("${OTHERS_PIN[@]}") ;;
    one-core) SERVER_PIN=("${LAST_PIN[@]}") ;;
    shared) HSM_PIN=() ;;  # the ceiling on as many threads as sessions, on all cores, as the node's sessions run
    *) echo "PLACEMENT is hsm-core, shared or one-core" >&2; exit 2 ;;
  esac
else
  PLACEMENT=unpinned
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
  if [ -n "${LICENSOR_HSM_PKCS11_LIBRARY:-}" ]; then return 0; fi  # a token of your own
  command -v softhsm2-util >/dev/null || { echo "benchmark: softhsm2-util not installed; skipping pkcs11"; return 1; }
  new_softhsm_token
  BENCH_TOKEN=true
  export LICENSOR_HSM_PKCS11_LIBRARY
  LICENSOR_HSM_PKCS11_LIBRARY="$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so 2>/dev/null | head -1)"
}

# new_softhsm_token -> an empty SoftHSM2 token in $WORK (the JMH ceiling measured after the server's runs
# needs one: HsmBenchmark enrols its security world "bench" afresh, and a second enrolment on a token that
# already holds that world's objects is refused)
new_softhsm_token() {
  rm -rf "$WORK/softhsm"
  mkdir -p "$WORK/softhsm/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/softhsm/tokens" \
    > "$WORK/softhsm/softhsm2.conf"
  export SOFTHSM2_CONF="$WORK/softhsm/softhsm2.conf"
  export LICENSOR_HSM_PKCS11_PIN="bench-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  softhsm2-util --init-token --free --label licensor-bench --pin "$LICENSOR_HSM_PKCS11_PIN" \
    --so-pin "so-$LICENSOR_HSM_PKCS11_PIN" >/dev/null
}

# ceiling HSM TAG -> prints HsmBenchmark.license[Delegated] ops/s (unwrap + sign, on SESSIONS threads)
ceiling() {
  LICENSOR_BENCH_SESSIONS="$SESSIONS" "${HSM_PIN[@]}" "$JAVA" -cp "$CLASSPATH_JMH" org.openjdk.jmh.Main "io.licensor.bench.HsmBenchmark.$CEILING_BENCH\$" \
    -t "$SESSIONS" -p hsm="$1" -p algorithm="$ALGORITHM" -wi 3 -w 4 -i 4 -r 5 -rf json -rff "$WORK/jmh-$1-$2.json" \
    -jvm "$(command -v "$JAVA")" >"$WORK/jmh-$1-$2.log" 2>&1 || true
  grep -E "^HsmBenchmark" "$WORK/jmh-$1-$2.log" >&2 || true
  # a failed JMH run gives 0, printed as such with the end of its log, and the mean below then takes
  # the other measurement alone, rather than losing the backend's row
  python3 -c "import json; print(round(json.load(open('$WORK/jmh-$1-$2.json'))[0]['primaryMetric']['score'], 1))" 2>/dev/null \
    || { echo "benchmark: the $1 ceiling ($2) failed:" >&2; tail -15 "$WORK/jmh-$1-$2.log" >&2; echo 0; }
}

# wrk_rate SCRIPT TENANT -> licenses/s of 10 s of wrk (1 thread, 32 connections) with $WORK/SCRIPT
wrk_rate() {
  "${LOAD_PIN[@]}" wrk -t1 -c32 -d10s -s "$WORK/$1" "$NODE_URL/v1/tenants/$2/licenses" | awk '/Requests\/sec/ {print $2}'
}

# policy_cost -> licenses/s of the plain tenant "bench" and of "bench-policy" (a template-based policy,
# REVOKED revoked documents), alternating, and their ratio; printed and appended to $RESULTS
policy_cost() {
  local revoked=${REVOKED:-100000} plain=() policy=() i
  create_tenant "$NODE_URL" "$OPERATOR_TOKEN" "$(dev_token --jwks)" bench-policy "$ALGORITHM"
  local template
  template=$(curl -sf -X POST "$NODE_URL/v1/tenants/bench-policy/templates" -H "Authorization: Bearer $OPERATOR_TOKEN" \
    -H 'Content-Type: application/json' \
    -d '{"name":"Bench - readers","grants":[{"principal":"group:readers","rights":["VIEW","PRINT"]}],"recipientRights":["VIEW"],"validity":{"days":365},"offlineAccessSeconds":3600}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  python3 load-tests/revoke-many.py "$NODE_URL" bench-policy "$OPERATOR_TOKEN" "$revoked" 8
  local token ck pl
  token=$(dev_token --tenant bench-policy --sub reader@bench-policy.test --groups readers --ttl 7200)
  ck=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  pl=$(curl -sf -X POST "$NODE_URL/v1/tenants/bench-policy/publishing-licenses" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d "{\"contentId\":\"bench-policy-doc\",\"contentKey\":\"$ck\",\"policy\":{\"template\":\"$template\"}}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["publishingLicense"])')
  license_lua "$WORK/policy.lua" "$token" "$pl"
  "${LOAD_PIN[@]}" wrk -t1 -c32 -d10s -s "$WORK/policy.lua" "$NODE_URL/v1/tenants/bench-policy/licenses" >/dev/null
  # plain, policy; policy, plain; plain, policy: neither side always runs first
  for i in 1 2 3; do
    if [ "$i" = 2 ]; then
      policy+=("$(wrk_rate policy.lua bench-policy)"); plain+=("$(wrk_rate probe.lua bench)")
    else
      plain+=("$(wrk_rate probe.lua bench)"); policy+=("$(wrk_rate policy.lua bench-policy)")
    fi
  done
  # every answer a license: a refused request would count as fast
  curl -sf -o /dev/null -X POST "$NODE_URL/v1/tenants/bench-policy/licenses" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "$(license_body "$WORK/policy.lua")" \
    || { echo "benchmark: the template-based license was refused" >&2; return 1; }
  python3 - "$revoked" "${plain[*]}" "${policy[*]}" <<'PY' | tee -a "$RESULTS"
import sys
revoked, plain, policy = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
p, q = sum(plain) / len(plain), sum(policy) / len(policy)
print(f"benchmark policy-cost plain-policy/s={p:.1f} ({', '.join(f'{x:.0f}' for x in plain)}) "
      f"template-policy-with-{revoked}-revoked/s={q:.1f} ({', '.join(f'{x:.0f}' for x in policy)}) "
      f"ratio={q / p:.2f} (issue 23 target >= 0.95)")
PY
}

gatling() {
  "${LOAD_PIN[@]}" mvn -q -B -f load-tests/pom.xml gatling:test -Dgatling.simulationClass="licensor.$1" \
    -DbaseUrl="$NODE_URL" -DtrustCertificate="${CURL_CA_BUNDLE:-}" -DoperatorToken="$OPERATOR_TOKEN" -Dalgorithm="$ALGORITHM" \
    ${WARM_USERS:+-DwarmUsers=$WARM_USERS} "${@:2}"
}

for HSM in $HSMS; do
  if [ "$HSM" = pkcs11 ] && ! softhsm_token; then continue; fi
  WHERE="placement $PLACEMENT: ceiling on ${HSM_PIN[*]:-all cores}, server on ${SERVER_PIN[*]:-all cores}"
  if [ "$PLACEMENT" = hsm-core ]; then WHERE="$WHERE but its HSM session thread on core $HSM_CORE"; fi
  WHERE="$WHERE, Gatling on ${LOAD_PIN[*]:-all cores}"
  echo "benchmark: $HSM HSM, $ALGORITHM; $WHERE"
  # 1. the ceiling: the HSM alone, one thread (one session), a core of its own; measured before and
  #    after the server's runs, and their mean taken (this machine's speed drifts by several percent)
  CEILING_BEFORE=$(ceiling "$HSM" before)
  OPENSSL_BEFORE=$(openssl_rsa2048_sign 10)   # the hardware's own baseline, one thread
  # 2. the server with SESSIONS HSM sessions
  rm -rf "$WORK/data"
  # one tenant takes all the load: its rate limit (1000/s by default) is off, or past it the levels would be 429s
  LICENSOR_LIMITS_TENANT_RATE_PER_SECOND=0 LICENSOR_HSM_TYPE="$HSM" LICENSOR_HSM_SESSIONS="$SESSIONS" \
    LICENSOR_LICENSING_DELEGATED_SIGNING="$DELEGATED" JAVA="$JAVA" start_dev_node "$PORT" 256m "${SERVER_PIN[@]}"
  if [ "$PLACEMENT" = hsm-core ]; then pin_hsm_session "$SERVER_PID" "$HSM_CORE"; fi
  OPERATOR_TOKEN=$(dev_token)
  # where to step: from 50% to 50+5*(LEVELS-1)% of the lower of the HSM's ceiling and what the node
  # answers with requests always in flight (wrk, 32 connections, 15 s, after 15 s unmeasured): with
  # delegated signing the HSM is seldom the limit any more, and levels far past the node's capacity
  # measure nothing
  create_tenant "$NODE_URL" "$OPERATOR_TOKEN" "$(dev_token --jwks)" bench "$ALGORITHM"
  PROBE_TOKEN=$(dev_token --tenant bench --sub reader@bench.test --ttl 7200)
  license_lua "$WORK/probe.lua" "$PROBE_TOKEN" "$(publish_bench "$NODE_URL" "$PROBE_TOKEN")"
  "${LOAD_PIN[@]}" wrk -t1 -c32 -d15s -s "$WORK/probe.lua" "$NODE_URL/v1/tenants/bench/licenses" >/dev/null
  PROBE=$("${LOAD_PIN[@]}" wrk -t1 -c32 -d15s -s "$WORK/probe.lua" "$NODE_URL/v1/tenants/bench/licenses" \
    | awk '/Requests\/sec/ {print $2}')
  SCALE=$(python3 -c "print(min(v for v in ($CEILING_BEFORE, $PROBE) if v > 0))")
  echo "benchmark: closed-loop probe $PROBE licenses/s; levels from 50% of $SCALE/s"
  if [ "${REVOKED:-100000}" != 0 ]; then policy_cost; fi
  if [ "${ONLY:-}" = policy-cost ]; then stop_dev_node; continue; fi
  START=$(python3 -c "print(max(1, round($SCALE * 0.5)))")
  STEP=$(python3 -c "print(max(1, round($SCALE * 0.05)))")
  gatling CapacitySimulation -DstartRate="$START" -Dstep="$STEP" -Dlevels="$LEVELS" -DlevelSeconds="$LEVEL_SECONDS" \
    -DwarmUpSeconds="${WARM_UP_SECONDS:-30}" -DcapacityFile="$WORK/capacity-$HSM.txt" \
    -DtimelineFile="$PWD/load-tests/target/timeline-$HSM-capacity.txt" || echo "benchmark: capacity run reported a failed assertion"
  MAX=$(awk -F= '/^max-sustained-per-second/ {print $2}' "$WORK/capacity-$HSM.txt")
  HIGHEST=$(awk -F= '/^highest-level-sustained-per-second/ {print $2}' "$WORK/capacity-$HSM.txt")

  # 3. 70% of the maximum, with SPEC §8's assertions
  RATE70=$(python3 -c "print(round($MAX * 0.7, 1))")
  STEADY=passed
  gatling SteadySimulation -Drate="$RATE70" -Dseconds="$STEADY_SECONDS" -Dp99Ms=25 -DsteadyFile="$WORK/steady-$HSM.txt" \
    -DtimelineFile="$PWD/load-tests/target/timeline-$HSM-steady.txt" \
    || STEADY=failed
  P99=$(sed -n 's/.* p99-ms=\([0-9.]*\).*/\1/p' "$WORK/steady-$HSM.txt" | head -1)
  # 4. re-keys under that load: 10 tenants re-keyed once a second while their old and new content is
  #    licensed at 70% of the maximum; RekeySimulation asserts that no request failed
  REKEY=passed
  # the key generation session (started by the tenants' set-up) runs on the HSM's core too
  if [ "$PLACEMENT" = hsm-core ]; then pin_hsm_session "$SERVER_PID" "$HSM_CORE"; fi
  gatling RekeySimulation -Drate="$RATE70" -Dtenants=10 -DrekeysPerSecond=1 -Dseconds="$STEADY_SECONDS" || REKEY=failed
  stop_dev_node
  if [ "$HSM" = pkcs11 ] && [ "${BENCH_TOKEN:-}" = true ]; then new_softhsm_token; fi
  CEILING_AFTER=$(ceiling "$HSM" after)
  OPENSSL_AFTER=$(openssl_rsa2048_sign 10)
  CEILING=$(python3 -c "v = [c for c in ($CEILING_BEFORE, $CEILING_AFTER) if c > 0]; print(round(sum(v) / len(v), 1) if v else 0)")
  OPENSSL=$(python3 -c "print(round(($OPENSSL_BEFORE + $OPENSSL_AFTER) / 2, 1))")
  echo "benchmark: openssl speed rsa2048 (one thread) before $OPENSSL_BEFORE signs/s, after $OPENSSL_AFTER, mean $OPENSSL"
  echo "benchmark: $HSM ceiling before $CEILING_BEFORE/s, after $CEILING_AFTER/s, mean $CEILING/s"
  WHERE="$WHERE" HIGHEST="$HIGHEST" OPENSSL="$OPENSSL" SESSIONS="$SESSIONS" DELEGATED="$DELEGATED" REKEY="$REKEY" PROBE="$PROBE" python3 - "$HSM" "$CEILING" "$MAX" "$RATE70" "$P99" "$STEADY" <<'PY' | tee -a "$RESULTS"
import os, sys
hsm, ceiling, best, rate70, p99, steady = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
openssl = float(os.environ.get('OPENSSL'))
print(f"benchmark openssl-rsa2048-sign/s={openssl:.0f} max-sustained-licenses/openssl={best / openssl:.2f} (issue 20 target >= 0.5)")
print(f"benchmark jvm={os.environ.get('JVM_VERSION')} hsm={hsm} algorithm={os.environ.get('ALGORITHM')} "
      f"tls={os.environ.get('TLS')} sessions={os.environ.get('SESSIONS')} delegated={os.environ.get('DELEGATED')} "
      f"hsm-ceiling/s={ceiling:.0f} closed-loop-probe/s={os.environ.get('PROBE')} max-sustained-licenses/s={best:.0f} ratio={(best / ceiling) if ceiling else float('nan'):.2f} "
      f"(target >= 0.85) highest-level-sustained/s={os.environ.get('HIGHEST')} p99-at-70%={p99}ms at {rate70}/s (target <= 25) steady-run-assertions={steady} rekey-under-70%-zero-failures={os.environ.get('REKEY')} "
      f"[{os.environ.get('WHERE')}]")
PY
done
echo "benchmark: results in $RESULTS"

#!/usr/bin/env bash
# Where a node's CPU goes while licensing: starts a node on its default configuration (HTTPS,
# delegated signing; placed as PLACEMENT says, below), warms it up for 30 s, records with Java Flight
# Recorder while wrk drives it at a fixed concurrency, and prints the
# hottest frames (self time, and where licensor's own code is on the stack). The recording is kept
# in load-tests/target/profile.jfr (open it with JDK Mission Control or `jfr print`).
#
#   load-tests/profile.sh                       # RSA-2048, 20 s, 16 connections
#   ALGORITHM=EC-P256 SECONDS_=30 CONNECTIONS=32 load-tests/profile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ALGORITHM="${ALGORITHM:-RSA-2048}"
DURATION="${SECONDS_:-20}"
CONNECTIONS="${CONNECTIONS:-16}"
PORT="${PORT:-18085}"
JAVA="${SERVER_JAVA_HOME:+$SERVER_JAVA_HOME/bin/}java"
source load-tests/lib.sh
# PLACEMENT=shared (the default, as load-tests/benchmark.sh's): the server on all cores, wrk on the
# first; PLACEMENT=hsm-core: the HSM session thread alone on the last core, the rest of the server
# and wrk on the others. TLS=true (the default) profiles the node's HTTPS, TLS=false plain HTTP.
export TLS="${TLS:-true}"
split_cores
SERVER_PIN=() LOAD_PIN=("${OTHERS_PIN[@]}") HSM_CORE=
if [ "${PLACEMENT:-shared}" = hsm-core ]; then SERVER_PIN=("${OTHERS_PIN[@]}") HSM_CORE=$LAST_CORE; fi
[ -f target/licensor.jar ] || mvn -q -B -DskipTests package
mkdir -p load-tests/target
JFR="$PWD/load-tests/target/profile.jfr"
# one tenant takes all the load: its rate limit (1000/s by default) is off, or past it the answers would be 429s
LICENSOR_LIMITS_TENANT_RATE_PER_SECOND=0 JAVA="$JAVA" start_dev_node "$PORT" 256m "${SERVER_PIN[@]}"
if [ -n "$HSM_CORE" ]; then pin_hsm_session "$SERVER_PID" "$HSM_CORE"; fi
OP=$(dev_token)
create_tenant "$NODE_URL" "$OP" "$(dev_token --jwks)" bench "$ALGORITHM"
USER_TOKEN=$(dev_token --tenant bench --sub reader@bench.test --ttl 7200)
PL=$(publish_bench "$NODE_URL" "$USER_TOKEN")
license_lua "$WORK/license.lua" "$USER_TOKEN" "$PL"
URL="$NODE_URL/v1/tenants/bench/licenses"
"${LOAD_PIN[@]}" wrk -t1 -c"$CONNECTIONS" -d"${WARM_UP_SECONDS:-30}s" -s "$WORK/license.lua" "$URL" >/dev/null
"${JAVA%java}jcmd" "$SERVER_PID" JFR.start name=profile settings=profile filename="$JFR" >/dev/null
"${LOAD_PIN[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/license.lua" "$URL" | tee "$WORK/wrk.txt"
"${JAVA%java}jcmd" "$SERVER_PID" JFR.stop name=profile >/dev/null
stop_dev_node
"${JAVA%java}jfr" print --events jdk.ExecutionSample,jdk.NativeMethodSample --stack-depth 64 "$JFR" > "$WORK/samples.txt"
python3 - "$WORK/samples.txt" <<'PY'
import collections, re, sys
samples, top, ours = [], collections.Counter(), collections.Counter()
stack = None
for line in open(sys.argv[1]):
    if line.startswith("jdk.ExecutionSample"):
        stack = []
    elif stack is not None and re.match(r"\s+[\w$.<>]+\(", line):
        stack.append(re.sub(r"\s+line:.*", "", line.strip()))
    elif stack is not None and line.strip() == "]":
        samples.append(stack)
        stack = None
for s in samples:
    if s:
        top[s[0]] += 1
        mine = next((f for f in s if f.startswith("io.licensor.")), None)
        ours[mine or "(no licensor frame)"] += 1
n = max(1, len(samples))
print(f"profile: {len(samples)} samples")
print("hottest frames (self):")
for f, c in top.most_common(25):
    print(f"  {100 * c / n:5.1f}%  {f}")
print("innermost licensor frame on the stack:")
for f, c in ours.most_common(25):
    print(f"  {100 * c / n:5.1f}%  {f}")
PY

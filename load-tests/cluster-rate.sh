#!/usr/bin/env bash
# Cluster licensing throughput with 1, 2 and 3 clustered nodes on this machine, one fresh database
# per run. Each node is a separate JVM (java -jar target/licensor.jar serve, clustered over
# loopback Hazelcast); one wrk per node drives it, and the rates are summed.
#
#   LICENSOR_DATABASE_URL=postgresql://postgres:PASSWORD@127.0.0.1:5432/postgres load-tests/cluster-rate.sh
#   NODES="1 3" SECONDS_=20 CONNECTIONS=32 ALGORITHM=RSA-2048 LICENSOR_DATABASE_URL=... load-tests/cluster-rate.sh
#   CLUSTER=false ...   # the same separate nodes on the shared database, not clustered (a baseline)
#
# Needs wrk, python3, openssl, curl, psql, target/licensor.jar (mvn -q -DskipTests package) and a
# PostgreSQL the nodes share (a cluster cannot use the embedded one); .ci/run shows how to start
# Debian's. Each run creates and drops a database licensor_bench_<n>. Load generator and servers
# share the machine's cores: each wrk runs one thread, CONNECTIONS are split across the nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LICENSOR_DATABASE_URL:?set LICENSOR_DATABASE_URL to a PostgreSQL the nodes can share}"
ALGORITHM="${ALGORITHM:-RSA-2048}"
DURATION="${SECONDS_:-20}"
CONNECTIONS="${CONNECTIONS:-32}"
NODES="${NODES:-1 2 3}"
BASE_URL="$LICENSOR_DATABASE_URL"
source load-tests/lib.sh
PIDS=()
stop_nodes() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  PIDS=()
}
cleanup() { stop_nodes; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

run() {
  local n=$1 db="licensor_bench_$1"
  PGOPTIONS="-c client_min_messages=warning" psql "$BASE_URL" -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  local url="${BASE_URL%/*}/$db"
  local members="" hz=() http=()
  for i in $(seq 1 "$n"); do hz+=("$(free_port)"); http+=("$(free_port)"); done
  for i in $(seq 0 $((n - 1))); do members="${members:+$members,}127.0.0.1:${hz[$i]}"; done
  for i in $(seq 0 $((n - 1))); do
    local dir="$WORK/run$n/node$i"
    mkdir -p "$dir"
    if [ "$i" -gt 0 ]; then cp -a "$WORK/run$n/node0/world" "$WORK/run$n/node0/dev" "$dir/"; fi
    LICENSOR_WORLD_ALLOW_UNSEALED=true LICENSOR_HTTP_PLAINTEXT=true LICENSOR_DATA_DIR="$dir" LICENSOR_HTTP_PORT="${http[$i]}" LICENSOR_DATABASE_URL="$url" LICENSOR_DEV_ENABLED=true \
      LICENSOR_NODE_ID="node$i" LICENSOR_CLUSTER_ENABLED="${CLUSTER:-true}" LICENSOR_CLUSTER_NAME="bench-$n-$$" \
      LICENSOR_CLUSTER_PORT="${hz[$i]}" LICENSOR_CLUSTER_MEMBERS="$members" LICENSOR_LOG_LEVEL=WARN \
      java -Xmx512m -jar target/licensor.jar serve > "$WORK/run$n-node$i.log" 2>&1 &
    PIDS+=($!)
    await_ready "http://127.0.0.1:${http[$i]}" "$WORK/run$n-node$i.log" 120
  done
  local port=${http[0]} dir0="$WORK/run$n/node0"
  local op jwks user pl
  op=$(DEV_DATA_DIR="$dir0" dev_token)
  jwks=$(DEV_DATA_DIR="$dir0" dev_token --jwks)
  create_tenant "http://127.0.0.1:$port" "$op" "$jwks" bench "$ALGORITHM"
  user=$(DEV_DATA_DIR="$dir0" dev_token --tenant bench --sub reader@bench.test --ttl 7200)
  pl=$(publish_bench "http://127.0.0.1:$port" "$user")
  license_lua "$WORK/license.lua" "$user" "$pl"
  local per=$(( (CONNECTIONS + n - 1) / n )) loads=()
  for i in $(seq 0 $((n - 1))); do   # warm-up
    wrk -t1 -c"$per" -d5s -s "$WORK/license.lua" "http://127.0.0.1:${http[$i]}/v1/tenants/bench/licenses" >/dev/null &
    loads+=($!)
  done
  wait "${loads[@]}"; loads=()
  for i in $(seq 0 $((n - 1))); do
    wrk -t1 -c"$per" -d"${DURATION}s" --latency -s "$WORK/license.lua" "http://127.0.0.1:${http[$i]}/v1/tenants/bench/licenses" \
      > "$WORK/wrk-$n-$i.txt" &
    loads+=($!)
  done
  wait "${loads[@]}"
  python3 - "$n" "$WORK"/wrk-"$n"-*.txt <<'PY'
import re, sys
n, files = sys.argv[1], sys.argv[2:]
total, errors, p99s = 0.0, 0, []
for f in files:
    text = open(f).read()
    total += float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors += int(m.group(1)) if m else 0
    p99s.append(re.search(r"99%\s+(\S+)", text).group(1))
print(f"cluster-rate nodes={n} licenses/s={total:.1f} non2xx={errors} p99-per-node={','.join(p99s)}")
PY
  stop_nodes
  PGOPTIONS="-c client_min_messages=warning" psql "$BASE_URL" -q -c "DROP DATABASE IF EXISTS $db" >/dev/null
}

echo "cluster-rate algorithm=$ALGORITHM seconds=$DURATION connections=$CONNECTIONS cores=$(nproc)"
for n in $NODES; do run "$n"; done

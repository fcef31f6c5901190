#!/usr/bin/env bash
# Do audit reads slow down licensing? A tenant's licenses at a fixed concurrency (CONNECTIONS, 4),
# first alone, then while READERS (16) connections of a second wrk read the same tenant's audit trail
# (100 records a page) as its tenant-admin, as fast as answered; the licenses' p50/p99 and the audit
# reads' own, in one run.
#
#   load-tests/audit-reads.sh                                  # needs wrk, curl, python3, target/licensor.jar
#   BASELINE_JAR=/path/old-licensor.jar load-tests/audit-reads.sh   # the same against an older build
#
# A fresh dev node (embedded PostgreSQL, software HSM) per build. Before measuring, RECORDS_SECONDS
# (15) of licensing at full speed fill the tenant's chain (every license is a key-use record: some
# thousands). Load generator and server share this machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/lib.sh
PORT="${PORT:-18086}"
READERS="${READERS:-16}"
DURATION="${SECONDS_:-20}"
CONNECTIONS="${CONNECTIONS:-4}"

measure() { # TITLE
  start_dev_node "$PORT" 512m
  local op user admin pl
  op=$(dev_token)
  create_tenant "$NODE_URL" "$op" "$(dev_token --jwks)" bench EC-P256
  user=$(dev_token --tenant bench --sub reader@bench.test --ttl 7200)
  admin=$(dev_token --tenant bench --sub admin@bench.test --roles tenant-admin --ttl 7200)
  pl=$(publish_bench "$NODE_URL" "$user")
  license_lua "$WORK/license.lua" "$user" "$pl"
  wrk -t1 -c16 -d"${RECORDS_SECONDS:-15}s" -s "$WORK/license.lua" "$NODE_URL/v1/tenants/bench/licenses" >/dev/null
  sleep 2
  local records
  records=$(curl -sf "$NODE_URL/v1/tenants/bench/audit?limit=1" -H "Authorization: Bearer $admin" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
  echo "== $1: the tenant's chain holds $records records"
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/license.lua" "$NODE_URL/v1/tenants/bench/licenses" \
    | grep -E "^ +(50|99)%|Requests/sec" | sed 's/^/  licenses alone:   /'
  cat > "$WORK/audit.lua" <<LUA
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer $admin"
LUA
  wrk -t1 -c"$READERS" -d"$((DURATION + 2))s" --latency -s "$WORK/audit.lua" "$NODE_URL/v1/tenants/bench/audit?limit=100" \
    > "$WORK/reads.txt" &
  local readers=$!
  sleep 1
  wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/license.lua" "$NODE_URL/v1/tenants/bench/licenses" \
    | grep -E "^ +(50|99)%|Requests/sec" | sed "s/^/  licenses + $READERS audit readers: /"
  wait "$readers"
  grep -E "^ +(50|99)%|Requests/sec|Non-2xx" "$WORK/reads.txt" | sed "s/^/  the $READERS audit readers: /"
  stop_dev_node
  rm -rf "$WORK/data"
}

measure "this build"
if [ -n "${BASELINE_JAR:-}" ]; then
  JAR="$BASELINE_JAR" measure "baseline $(basename "$BASELINE_JAR")"
fi

#!/usr/bin/env bash
# Re-key campaign rate (tenants re-keyed per second) and what a running campaign does to licensing
# throughput, on one node, measured in one run:
#   1. licensing alone (wrk, 15 s)                       -> baseline licenses/s
#   2. an incident re-keys TENANTS tenants; licensing runs at the same time -> campaign tenants/s,
#      licenses/s during the campaign, and their ratio to the baseline.
#
#   load-tests/campaign-rate.sh                          # EC-P256 tenants, key-compromised, 2000 tenants
#   TARGET=RSA-3072 TENANTS=60 load-tests/campaign-rate.sh   # RSA-2048 tenants, algorithm-weakness -> RSA-3072
#   RATE=50 CONCURRENCY=4 ...                            # the campaign's limits (defaults: 1000/s, 4 at once)
#
# Needs wrk, python3, openssl, curl and target/licensor.jar. Starts its own node (embedded
# PostgreSQL, software HSM with one session, dev mode) on 127.0.0.1:18081 and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${TARGET:-EC-P256}"
TENANTS="${TENANTS:-2000}"
RATE="${RATE:-1000}"
CONCURRENCY="${CONCURRENCY:-4}"
PORT="${PORT:-18081}"
source load-tests/lib.sh
case "$TARGET" in
  EC-P256) TENANT_ALG=EC-P256 ;;
  RSA-3072) TENANT_ALG=RSA-2048 ;;
  *) echo "TARGET must be EC-P256 or RSA-3072" >&2; exit 2 ;;
esac
export LICENSOR_INCIDENTS_CAMPAIGN_RATE_PER_SECOND="$RATE" LICENSOR_INCIDENTS_CAMPAIGN_CONCURRENCY="$CONCURRENCY"
start_dev_node "$PORT" 512m
BASE="http://127.0.0.1:$PORT"
OP=$(dev_token)
JWKS=$(dev_token --jwks)
export -f create_tenant; export OP JWKS BASE
create_tenant "$BASE" "$OP" "$JWKS" bench RSA-2048
seq -f "camp-%05g" 1 "$TENANTS" | xargs -P 8 -I{} bash -c "create_tenant \"\$BASE\" \"\$OP\" \"\$JWKS\" {} $TENANT_ALG"

USER_TOKEN=$(dev_token --tenant bench --sub reader@bench.test --ttl 7200)
PL=$(publish_bench "$BASE" "$USER_TOKEN")
license_lua "$WORK/license.lua" "$USER_TOKEN" "$PL"
wrk -t1 -c16 -d5s -s "$WORK/license.lua" "$BASE/v1/tenants/bench/licenses" >/dev/null   # warm-up
wrk -t1 -c16 -d15s -s "$WORK/license.lua" "$BASE/v1/tenants/bench/licenses" > "$WORK/baseline.txt"
BASELINE=$(awk '/Requests\/sec/ {print $2}' "$WORK/baseline.txt")

python3 - "$TENANTS" "$TARGET" > "$WORK/incident.json" <<'PY'
import json, sys
n, target = int(sys.argv[1]), sys.argv[2]
scope = {"tenants": ["camp-%05d" % i for i in range(1, n + 1)]}
if target == "EC-P256":
    body = {"type": "key-compromised", "scope": scope, "summary": "campaign-rate benchmark"}
else:
    body = {"type": "algorithm-weakness", "scope": scope, "summary": "campaign-rate benchmark",
            "policy": {"allowedAlgorithms": ["RSA-2048", "RSA-3072", "RSA-4096", "EC-P256", "EC-P384"], "minRsaBits": 3072},
            "targetAlgorithm": "RSA-3072"}
print(json.dumps(body))
PY
wrk -t1 -c16 -d600s -s "$WORK/license.lua" "$BASE/v1/tenants/bench/licenses" > "$WORK/during.txt" &
WRK_PID=$!
sleep 1
START=$(date +%s.%N)
ID=$(curl -sf -X POST "$BASE/v1/incidents" -H "Authorization: Bearer $OP" -H 'Content-Type: application/json' \
  -d @"$WORK/incident.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
while :; do
  REMAINING=$(curl -sf "$BASE/v1/incidents/$ID" -H "Authorization: Bearer $OP" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["campaign"]["remaining"])')
  [ "$REMAINING" = "0" ] && break
  sleep 0.2
done
END=$(date +%s.%N)
kill -INT "$WRK_PID"; wait "$WRK_PID" || true
DURING=$(awk '/Requests\/sec/ {print $2}' "$WORK/during.txt")
curl -sf "$BASE/v1/incidents/$ID" -H "Authorization: Bearer $OP" | python3 -c 'import json,sys; print("campaign:", json.dumps(json.load(sys.stdin)["campaign"]))'
python3 - <<PY
tenants, secs = $TENANTS, $END - $START
baseline, during = float("$BASELINE"), float("$DURING")
print(f"campaign-rate target=$TARGET tenants={tenants} rate-limit=$RATE concurrency=$CONCURRENCY seconds={secs:.1f} "
      f"tenants/s={tenants/secs:.1f} licenses/s baseline={baseline:.1f} during={during:.1f} ratio={during/baseline:.2f}")
PY

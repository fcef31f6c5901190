#!/usr/bin/env bash
# Licenses per second on one node, next to the same machine's HSM ceiling measured in the same run.
#
#   load-tests/license-rate.sh            # defaults: RSA-2048, one HSM session per core, 20 s, 32 connections
#   SESSIONS=2 SECONDS_=30 CONNECTIONS=64 ALGORITHM=RSA-2048 load-tests/license-rate.sh
#   AUDIT_KEY_USE=false load-tests/license-rate.sh   # key-use audit off (to measure its cost)
#   WARM_SECONDS=80 load-tests/license-rate.sh        # a longer unmeasured warm-up (the JIT needs ~80 s of full load)
#   TLS=true load-tests/license-rate.sh               # over the default HTTPS (TLS 1.3, self-signed) instead of plain HTTP
#   RECIPIENT=rsa load-tests/license-rate.sh          # an RSA-2048 recipient key (default ec: EC P-256, ECDH-ES+A256KW)
#   PROVIDER=jdk load-tests/license-rate.sh           # the software HSM on the JDK's providers (default auto: native where it loads)
#   HSM=pkcs11 LICENSOR_HSM_PKCS11_LIBRARY=/usr/lib/softhsm/libsofthsm2.so LICENSOR_HSM_PKCS11_PIN=... \
#     SOFTHSM2_CONF=... load-tests/license-rate.sh    # on a PKCS#11 token
#
# Needs wrk (apt-get install wrk), python3, openssl, curl, and target/licensor.jar
# (mvn -q -DskipTests package). Starts its own node in dev mode on 127.0.0.1:18080 with a fresh
# data directory (embedded PostgreSQL), and stops it at the end. Load generator and server share
# the machine's cores: wrk runs with one thread to leave the rest to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
ALGORITHM="${ALGORITHM:-RSA-2048}"
SESSIONS="${SESSIONS:-$(nproc)}"   # the node's default: one HSM session per core
DURATION="${SECONDS_:-20}"
CONNECTIONS="${CONNECTIONS:-32}"
WARM="${WARM_SECONDS:-5}"
PORT="${PORT:-18080}"
source load-tests/lib.sh

export LICENSOR_AUDIT_KEY_USE="${AUDIT_KEY_USE:-true}"
HSM="${HSM:-software}"
PROVIDER="${PROVIDER:-auto}"
# One tenant takes all the load here: its rate limit (limits.tenantRatePerSecond, 1000/s by default) is off,
# or every request past it would be a fast 429 counted as a request.
export LICENSOR_LIMITS_TENANT_RATE_PER_SECOND="${TENANT_RATE:-0}"
export LICENSOR_HSM_TYPE="$HSM" LICENSOR_HSM_SESSIONS="$SESSIONS" LICENSOR_HSM_SOFTWARE_PROVIDER="$PROVIDER"
start_dev_node "$PORT" 512m

OP=$(dev_token)
create_tenant "$NODE_URL" "$OP" "$(dev_token --jwks)" bench "$ALGORITHM"
USER_TOKEN=$(dev_token --tenant bench --sub reader@bench.test --ttl 7200)
PL=$(publish_bench "$NODE_URL" "$USER_TOKEN")
license_lua "$WORK/license.lua" "$USER_TOKEN" "$PL"
# one check request (the body wrk will send), then the run
curl -sf -X POST "$NODE_URL/v1/tenants/bench/licenses" -H "Authorization: Bearer $USER_TOKEN" \
  -H 'Content-Type: application/json' -d "$(license_body "$WORK/license.lua")" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d"${WARM}s" -s "$WORK/license.lua" "$NODE_URL/v1/tenants/bench/licenses" >/dev/null
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/license.lua" "$NODE_URL/v1/tenants/bench/licenses" | tee "$WORK/wrk.txt"
RATE=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
FAILED=$(awk '/Non-2xx or 3xx responses/ {print $NF} /Socket errors/ {print "socket-errors"}' "$WORK/wrk.txt" | paste -sd, -)
if [ -n "$FAILED" ]; then
  echo "license-rate: not every request was answered with a license ($FAILED): the rate below counts them" >&2
fi
stop_dev_node
# the HSM's ceiling for what a license costs it on this node: with delegated signing (the default) the
# version key's unwrap and a delegated ES256 signature, else the unwrap and the version key's signature
DELEGATED=()
if [ "${LICENSOR_LICENSING_DELEGATED_SIGNING:-true}" = true ]; then DELEGATED=(--delegated); fi
CEILING=$(java -jar target/licensor.jar bench-hsm --hsm "$HSM" --provider "$PROVIDER" --algorithm "$ALGORITHM" --seconds "$DURATION" --threads "$SESSIONS" "${DELEGATED[@]}" | awk -F= '{print $NF}')
OPENSSL=$(openssl_rsa2048_sign 10)
python3 - <<PY
rate, ceiling, openssl = float("$RATE"), float("$CEILING"), float("$OPENSSL")
print(f"license-rate failed={'$FAILED' or 0} tls=${TLS:-false} recipient=${RECIPIENT:-ec} hsm=$HSM provider=$PROVIDER algorithm=$ALGORITHM sessions=$SESSIONS audit=$LICENSOR_AUDIT_KEY_USE delegated=${LICENSOR_LICENSING_DELEGATED_SIGNING:-true} licenses/s={rate:.1f} hsm-ceiling/s={ceiling:.1f} ratio={rate/ceiling:.2f} openssl-rsa2048-sign/s={openssl:.1f} licenses/openssl={rate/openssl:.2f}")
PY

# Shared by the load-test scripts (run from the repository root). Sourcing it makes WORK, a scratch
# directory, removed on exit together with the node start_dev_node started. A script that sets its
# own EXIT trap after sourcing it takes over that cleanup.
WORK="$(mktemp -d)"
SERVER_PID=
trap 'stop_dev_node; keep_server_errors; rm -rf "$WORK"' EXIT

# keep_server_errors -> a server log that holds an ERROR line is kept as load-tests/target/server-<time>.log
# (the scratch directory goes, and a 500 under load must be explainable afterwards)
keep_server_errors() {
  if [ -f "$WORK/server.log" ] && grep -q " ERROR " "$WORK/server.log"; then
    mkdir -p load-tests/target
    local kept
    kept="load-tests/target/server-$(date +%Y%m%d-%H%M%S).log"
    cp "$WORK/server.log" "$kept" && echo "the server logged errors: kept in $kept" >&2
  fi
}

# await_ready BASE_URL LOG [SECONDS] -> waits up to SECONDS (60) for /health/ready; prints LOG and
# fails if it never is
await_ready() {
  for _ in $(seq 1 $((2 * ${3:-60}))); do curl -sf "$1/health/ready" >/dev/null && return 0; sleep 0.5; done
  cat "$2"
  return 1
}

# start_dev_node PORT HEAP [COMMAND PREFIX...] -> $JAR (default target/licensor.jar) in dev mode (embedded PostgreSQL,
# data under $WORK/data, log in $WORK/server.log) on 127.0.0.1:PORT, ready when this returns; sets
# NODE_URL. Plain HTTP on loopback by default (the load tests measure licensing, not TLS); TLS=true
# serves the default HTTPS instead (self-signed; curl then trusts it through CURL_CA_BUNDLE).
# PLAINTEXT_ENV= for a jar older than the setting (it served plain HTTP by default).
# Other LICENSOR_* settings come from the caller's environment.
start_dev_node() {
  local port=$1 heap=$2 plaintext=${PLAINTEXT_ENV-LICENSOR_HTTP_PLAINTEXT=true}
  shift 2
  NODE_URL="http://127.0.0.1:$port"
  if [ "${TLS:-false}" = true ]; then
    plaintext=
    NODE_URL="https://127.0.0.1:$port"
    export CURL_CA_BUNDLE="$WORK/data/tls/cert.pem"
  fi
  env $plaintext LICENSOR_DEV_ENABLED=true LICENSOR_DATA_DIR="$WORK/data" \
    LICENSOR_HTTP_PORT="$port" LICENSOR_LOG_LEVEL=WARN \
    "$@" "${JAVA:-java}" ${JAVA_OPTS:-} "-Xmx$heap" -jar "${JAR:-target/licensor.jar}" serve > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  await_ready "$NODE_URL" "$WORK/server.log"
}

stop_dev_node() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=
}

# dev_token [ARGS...] -> a token from the dev issuer of the node whose data is in DEV_DATA_DIR
# (default: start_dev_node's, $WORK/data): licensor dev-token ARGS
dev_token() {
  LICENSOR_DEV_ENABLED=true LICENSOR_DATA_DIR="${DEV_DATA_DIR:-$WORK/data}" java -jar target/licensor.jar dev-token "$@"
}

# create_tenant BASE OPERATOR_TOKEN JWKS ID ALGORITHM -> a tenant whose users' tokens come from the
# issuer urn:licensor:dev with JWKS, which every such tenant shares: each is bound by tid = ID, the
# claim dev-token --tenant ID puts in its tokens
create_tenant() {
  curl -sf -o /dev/null -X POST "$1/v1/tenants" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    -d "{\"id\":\"$4\",\"displayName\":\"$4\",\"adminEmail\":\"admin@$4.test\",\"identity\":{\"issuer\":\"urn:licensor:dev\",\"jwks\":$3,\"tenantClaim\":{\"name\":\"tid\",\"value\":\"$4\"}},\"key\":{\"origin\":\"service\",\"algorithm\":\"$5\"}}"
}

# publish BASE TOKEN -> prints a publishing license for tenant "bench" (everyone may VIEW)
publish_bench() {
  local ck
  ck=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  curl -sf -X POST "$1/v1/tenants/bench/publishing-licenses" -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/json' \
    -d "{\"contentId\":\"bench-doc\",\"contentKey\":\"$ck\",\"policy\":{\"grants\":[{\"principal\":\"*\",\"rights\":[\"VIEW\"]}]}}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["publishingLicense"])'
}

# license_lua FILE TOKEN PL -> a wrk script asking for a use license; the recipient key is EC P-256
# (RECIPIENT=ec, the default: the content key's JWE is ECDH-ES+A256KW) or RSA-2048 (RECIPIENT=rsa:
# RSA-OAEP-256, public-key encryption only, cheaper)
license_lua() {
  local recipient
  if [ "${RECIPIENT:-ec}" = "rsa" ]; then
    openssl genrsa -out "$WORK/recipient.pem" 2048 2>/dev/null
    local n
    n=$(openssl rsa -in "$WORK/recipient.pem" -noout -modulus | cut -d= -f2)
    recipient=$(python3 -c "import base64,sys; n=bytes.fromhex('$n'); print('{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"'+base64.urlsafe_b64encode(n).decode().rstrip('=')+'\"}')")
  else
    openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/recipient.pem" 2>/dev/null
    openssl ec -in "$WORK/recipient.pem" -pubout -outform DER -out "$WORK/recipient.der" 2>/dev/null
    recipient=$(python3 -c "
import base64
d = open('$WORK/recipient.der', 'rb').read()
b = lambda x: base64.urlsafe_b64encode(x).decode().rstrip('=')
print('{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"' + b(d[-64:-32]) + '\",\"y\":\"' + b(d[-32:]) + '\"}')")
  fi
  cat > "$1" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $2"
wrk.body = '{"publishingLicense":"$3","recipientKey":$recipient}'
LUA
}

# license_body FILE -> the request body of a wrk script made by license_lua
license_body() {
  sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$1"
}

# pin_hsm_session PID CORE -> moves the node's HSM session threads (licensor-hsm-0.., and the key
# generation session's, once it has run) to CORE; its other threads stay where they were. Models an
# HSM with a processor of its own, where key generation runs too. Call it again once keys were made.
pin_hsm_session() {
  local task found=
  for task in /proc/"$1"/task/*; do
    if [[ "$(cat "$task/comm" 2>/dev/null)" == licensor-hsm* ]]; then
      taskset -p -c "$2" "$(basename "$task")" >/dev/null && found=yes
    fi
  done
  [ -n "$found" ] || { echo "no licensor-hsm thread in process $1" >&2; return 1; }
}

# split_cores -> LAST_CORE and OTHER_CORES (taskset core lists) and LAST_PIN and OTHERS_PIN (command
# prefixes) for the two sides of a run on this machine: the server side and the load side. All
# empty where taskset is missing or there is one core (then both sides share every core).
split_cores() {
  LAST_CORE= OTHER_CORES= LAST_PIN=() OTHERS_PIN=()
  local cores
  cores=$(nproc)
  if command -v taskset >/dev/null && [ "$cores" -ge 2 ]; then
    LAST_CORE=$((cores - 1)) OTHER_CORES="0-$((cores - 2))"
    LAST_PIN=(taskset -c "$LAST_CORE") OTHERS_PIN=(taskset -c "$OTHER_CORES")
  fi
}

# The hardware's own baseline: OpenSSL's RSA-2048 signatures per second on one thread.
openssl_rsa2048_sign() {
  openssl speed -seconds "${1:-10}" -mr rsa2048 2>/dev/null | awk -F: '/^\+F2:/ {printf "%.1f", $4}'
}

# Shared by the load-test scripts: source it after setting WORK (a scratch directory).

# publish BASE TOKEN -> prints a publishing license for tenant "bench" (everyone may VIEW)
publish_bench() {
  local ck
  ck=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  curl -sf -X POST "$1/v1/tenants/bench/publishing-licenses" -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/json' \
    -d "{\"contentId\":\"bench-doc\",\"contentKey\":\"$ck\",\"policy\":{\"grants\":[{\"principal\":\"*\",\"rights\":[\"VIEW\"]}]}}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["publishingLicense"])'
}

# license_lua FILE TOKEN PL -> a wrk script asking for a use license; the recipient is an RSA-2048
# public key (public-key encryption of the content key is cheap)
license_lua() {
  openssl genrsa -out "$WORK/recipient.pem" 2048 2>/dev/null
  local n recipient
  n=$(openssl rsa -in "$WORK/recipient.pem" -noout -modulus | cut -d= -f2)
  recipient=$(python3 -c "import base64,sys; n=bytes.fromhex('$n'); print('{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"'+base64.urlsafe_b64encode(n).decode().rstrip('=')+'\"}')")
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

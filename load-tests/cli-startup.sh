#!/usr/bin/env bash
# How long a command of the command line takes, start to exit, in one run (issue 22, item 9): each
# command as `java -jar target/licensor.jar` (the JVM's defaults: what bin/licensor did before) and as
# bin/licensor (client compiler only, serial GC, and a class-data sharing archive of the command
# line's classes, made by its first run), beside the JVM's own floor on this machine (`java -version`
# with the JDK's default archive) measured in the same run. Prints one line per command with the
# ratios. Needs hyperfine (Debian's package) and a built jar: mvn -q -B -DskipTests package.
# Usage: [TLS=true] load-tests/cli-startup.sh [RUNS]   (default 10; TLS=true: against an HTTPS node)
set -euo pipefail
cd "$(dirname "$0")/.."
. load-tests/lib.sh
RUNS=${1:-10}
command -v hyperfine >/dev/null || { echo "cli-startup: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
JAR=target/licensor.jar
[ -f "$JAR" ] || { echo "cli-startup: build the jar first: mvn -q -B -DskipTests package" >&2; exit 2; }

PORT=$((20000 + RANDOM % 20000))
start_dev_node "$PORT" 256m
export LICENSOR_URL="$NODE_URL" LICENSOR_DATA_DIR="$WORK/data"   # TLS=true: HTTPS, the node's certificate trusted
export LICENSOR_TOKEN; LICENSOR_TOKEN=$(dev_token)
export XDG_CACHE_HOME="$WORK/cache"   # the archive is made by the first bin/licensor run below
bin/licensor --version >/dev/null

mean() { # mean seconds of hyperfine's JSON export $1
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['mean'])" "$1"
}
run() { # NAME COMMAND... -> mean seconds
  hyperfine -N --warmup 2 --runs "$RUNS" -i --export-json "$WORK/$1.json" "$2" >/dev/null 2>&1
  mean "$WORK/$1.json"
}

floor=$(run floor "java -Xshare:auto -version")
echo "cli-startup: server=$NODE_URL runs=$RUNS jvm-floor(java -version)=$(printf '%.3f' "$floor")s $(java -version 2>&1 | head -1)"
for cmd in "--version" "health" "tenant show nobody" "incident list"; do
  name=$(echo "$cmd" | tr ' -' '__')
  before=$(run "before$name" "java -jar $JAR $cmd")
  after=$(run "after$name" "bin/licensor $cmd")
  python3 - "$cmd" "$before" "$after" "$floor" <<'EOF'
import sys
cmd, before, after, floor = sys.argv[1], *map(float, sys.argv[2:])
print(f"cli-startup command='{cmd}' java-jar={before:.3f}s bin/licensor={after:.3f}s after/before={after/before:.2f} "
      f"before/floor={before/floor:.1f} after/floor={after/floor:.1f}")
EOF
done

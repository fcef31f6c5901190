#!/usr/bin/env bash
# Profiles a node by alternating phase (issue 20): waits for ScaleSimulation's phase clock (when
# phase 0 began, and which phases it measures), then for each measured phase starts async-profiler
# (cpu, 2 ms) in the node a second after the phase begins and stops it a second before it ends,
# adding the samples to
# OUT/baseline.collapsed (even phases) or OUT/shape.collapsed (odd ones). Run by scale.sh when
# PHASE_PROFILE=OUT and ASYNC_PROFILER_LIB=/path/to/libasyncProfiler.so are set; needs jcmd.
#
#   phase-profile.sh NODE_PID CLOCK_FILE PHASE_SECONDS OUT
set -euo pipefail
pid=$1 clock=$2 phase=$3 out=$4
lib="${ASYNC_PROFILER_LIB:?set ASYNC_PROFILER_LIB to libasyncProfiler.so}"
mkdir -p "$out"
for _ in $(seq 1 3000); do [ -s "$clock" ] && break; sleep 0.2; done
[ -s "$clock" ] || { echo "phase-profile: no phase clock in $clock" >&2; exit 1; }
read -r start_ms first last < "$clock" || [ -n "${last:-}" ]  # no newline at its end
# wait_until MILLIS -> sleeps until the wall clock reaches it
wait_until() { local now; now=$(date +%s%3N); [ "$1" -gt "$now" ] && sleep "$(awk -v d=$(( $1 - now )) 'BEGIN {print d / 1000}')"; return 0; }
for p in $(seq "$first" "$last"); do
  kind=baseline; [ $((p % 2)) = 1 ] && kind=shape
  wait_until $(( start_ms + p * phase * 1000 + 1000 ))
  # the quotes are jcmd's: unquoted, its parser would read "start,event=cpu" as an option named "start,event"
  jcmd "$pid" JVMTI.agent_load "$lib" '"start,event=cpu,interval=2ms"' >/dev/null
  wait_until $(( start_ms + (p + 1) * phase * 1000 - 1000 ))
  jcmd "$pid" JVMTI.agent_load "$lib" "\"stop,collapsed,file=$out/phase-$p.collapsed\"" >/dev/null
  cat "$out/phase-$p.collapsed" >> "$out/$kind.collapsed"
done
echo "phase-profile: phases $first..$last in $out (baseline.collapsed, shape.collapsed)"

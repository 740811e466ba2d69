#!/usr/bin/env bash
# The machine's floor for target (a): 1,000 loopback TCP deliveries per message, 20 messages a second for
# 20 s, two writer and two reader threads, in C with nothing but write, epoll_wait and read (floor/kernel_floor.c).
# No server of ours and no generator: what any server and client on these 2 cores must pay at least.
#
#   bench/run-kernel-floor.sh                 # three runs, appended to bench/results/kernel-floor-<UTC date>.jsonl
#   RUNS=5 bench/run-kernel-floor.sh 1000 2 2 # more runs; arguments go to kernel_floor
# Needs gcc (on the machine).
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
OUT=${OUT:-$BENCH/results/kernel-floor-$(date -u +%Y-%m-%d).jsonl}
mkdir -p "$BENCH/target" "$(dirname "$OUT")"
gcc -O2 -pthread -o "$BENCH/target/kernel_floor" "$BENCH/floor/kernel_floor.c"
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
for run in $(seq "$RUNS"); do
  "$BENCH/target/kernel_floor" "$@" | tee -a "$OUT"
done
python3 - "$OUT" "$RUNS" <<'PY'
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-int(sys.argv[2]):]
med = lambda k: statistics.median(l[k] for l in lines)
print(f"median of {len(lines)}: p50 {med('p50_ms'):.2f} ms, p99 {med('p99_ms'):.2f} ms, "
      f"CPU per delivery {med('write_cpu_us_per_delivery'):.1f} us writing + {med('read_cpu_us_per_delivery'):.1f} us reading")
PY

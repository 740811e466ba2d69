#!/usr/bin/env bash
# What the history costs in the nodes' heaps (README "History and recovery"; figures in bench/README.md):
# two nodes from the built jar (loopback, ports of their own, stopped by PID at the end), heap after a full GC
# on both, then publications through the REST API, then the heap after a full GC again:
#   1. ADDRESSES addresses with one small publication each: the cost of an address's history
#   2. PER_ADDRESS publications of PAYLOAD bytes on each of 10 addresses: the cost of a kept publication
# Both copies count (the primary on one node, the backup on the other): the figures are per copy and in all.
#   bench/run-history-memory.sh
#   ADDRESSES=2000 PER_ADDRESS=1000 PAYLOAD=200 bench/run-history-memory.sh
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
source "$BENCH/cluster-lib.sh"
ADDRESSES=${ADDRESSES:-1000}
PER_ADDRESS=${PER_ADDRESS:-1000}
PAYLOAD=${PAYLOAD:-100}
private_jars
trap stop_all EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
NODE_ARGS="$NODE_ARGS --history-max-addresses $((ADDRESSES * 2))" start_cluster

heap() { # both nodes' heap in use after a full GC, bytes
  local total=0 pid used
  for pid in ${NODE_PIDS//,/ }; do
    pid=${pid#*=}
    jcmd "$pid" GC.run >/dev/null
    used=$(jcmd "$pid" GC.heap_info | grep -oE 'used [0-9]+K' | head -1 | grep -oE '[0-9]+')
    total=$((total + used * 1024))
  done
  echo "$total"
}

fill() { # prefix addresses per-address payload
  python3 - "$API1" "$@" <<'PY'
import http.client, json, sys, threading
api, prefix, addresses, per, payload = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
body = json.dumps({"pad": "x" * payload})
jobs = [(a, i) for i in range(per) for a in range(addresses)]
def work(part):
    conn = http.client.HTTPConnection("127.0.0.1", int(api))
    for a, i in part:
        conn.request("POST", "/api/publish/public.mem.%s.%d" % (prefix, a), body)
        r = conn.getresponse(); r.read()
        if r.status != 202: raise SystemExit("publish answered %d" % r.status)
threads = [threading.Thread(target=work, args=(jobs[k::8],)) for k in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
PY
}

base=$(heap)
fill addr "$ADDRESSES" 1 10
after_addresses=$(heap)
fill msg 10 "$PER_ADDRESS" "$PAYLOAD"
after_messages=$(heap)
per_address=$(( (after_addresses - base) / ADDRESSES ))
per_message=$(( (after_messages - after_addresses) / (10 * PER_ADDRESS) ))
body_bytes=$(( PAYLOAD + 10 ))
echo "history memory, both nodes, heap after a full GC: base $((base / 1048576)) MiB"
echo "  $ADDRESSES addresses x 1 publication: +$(( (after_addresses - base) / 1024 )) KiB = $per_address B per address ($((per_address / 2)) B per copy)"
echo "  10 addresses x $PER_ADDRESS publications of a $body_bytes-byte JSON body: +$(( (after_messages - after_addresses) / 1024 )) KiB = $per_message B per publication ($((per_message / 2)) B per copy)"

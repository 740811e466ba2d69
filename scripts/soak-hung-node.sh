#!/usr/bin/env bash
# Issue 16's hangs (launcher's HungNodeIT: three nodes from the jar, A and B with the simulator role, C without,
# --min-cluster-size 2, a watcher of the scores on every node) for more rounds than CI runs: ROUNDS rounds of
# SIGSTOP past the failure detector and SIGCONT of the active simulator's node, then ROUNDS of the node without
# the simulator that holds clients, each round on the same cluster and each checked (versions only grow, one
# publisher at a time, no watcher that moves waits over 10 s, three members again, publications cross every way).
# Prints each round's line and a summary; exit 1 if any round failed.
#   scripts/soak-hung-node.sh              # 10 rounds of each, 12 s hung
#   ROUNDS=3 HUNG_MS=20000 scripts/soak-hung-node.sh
# The Maven output stays in target/soak-hung-node/mvn.out, the nodes' logs in target/soak-hung-node/logs/.
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-10}
HUNG_MS=${HUNG_MS:-12000}

out=target/soak-hung-node
rm -rf "$out"
mkdir -p "$out"
echo "$ROUNDS rounds each of SIGSTOP ${HUNG_MS} ms + SIGCONT: of the active simulator's node, and of a node with clients"
start=$(date +%s)
mvn -B -ntp -pl launcher -am -Dtest=HungNodeIT -Dsurefire.failIfNoSpecifiedTests=false -DskipBrowserTests \
    -Dops.hung.rounds="$ROUNDS" -Dops.hung.ms="$HUNG_MS" verify \
    2>&1 | tee "$out/mvn.out" | grep --line-buffered -E '^hung-node '
status=${PIPESTATUS[0]}
cp -r launcher/target/ops-it-hung "$out/logs" 2>/dev/null || true

for kind in simulator bridge; do
  done_rounds=$(grep -cE "^hung-node $kind round " "$out/mvn.out")
  watchers=$(grep -E "^hung-node $kind round " "$out/mvn.out" | sort -u | grep -oE '\[[^]]*\]')
  longest=$(printf '%s\n' "$watchers" | grep -v '^\[stays on' | grep -oE 'longest wait [0-9]+' \
    | awk '{ if ($3 > m) m = $3 } END { print m + 0 }')
  stays=$(printf '%s\n' "$watchers" | grep '^\[stays on' | grep -oE 'longest wait [0-9]+' \
    | awk '{ if ($3 > m) m = $3 } END { print m + 0 }')
  echo "$kind: $done_rounds of $ROUNDS rounds passed; longest wait of a watcher that moves: $longest ms${stays:+ (of one that stays on the hung node: $stays ms)}"
done
echo "$(( $(date +%s) - start )) s"
if [ "$status" != 0 ]; then
  grep -E '^\[ERROR\] +(HungNode|Tests run)|not within|AssertionFailed|expected' "$out/mvn.out" | head -20
  echo "FAILED: see $out/mvn.out and $out/logs/"
  exit 1
fi

#!/usr/bin/env bash
# The ops tests (launcher's BehindNginxIT: three nodes from the jar behind nginx; kill -9, add a node,
# SIGTERM drain) run again and again, with more browsers and publications than in CI:
#   scripts/soak-ops.sh                  # 10 runs, 200 browsers, 1000 publications each
#   RUNS=50 BROWSERS=400 PUBLICATIONS=3000 scripts/soak-ops.sh
# The logs of a failed run (nodes, nginx) are kept in target/soak/run-N/. Needs what scripts/test.sh
# installs (Java, Maven, npm for the build, nginx). Prints one line per run and a summary; exit 1 if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
BROWSERS=${BROWSERS:-200}
PUBLICATIONS=${PUBLICATIONS:-1000}
[ -x /usr/sbin/nginx ] || { echo "nginx is needed: apt-get install -y nginx (scripts/test.sh installs it)" >&2; exit 1; }

rm -rf target/soak
mkdir -p target/soak
failed=0
for i in $(seq 1 "$RUNS"); do
  start=$(date +%s)
  if mvn -B -q -ntp -pl launcher -am -Dtest=BehindNginxIT -Dsurefire.failIfNoSpecifiedTests=false \
      -DskipBrowserTests -Dops.browsers="$BROWSERS" -Dops.publications="$PUBLICATIONS" verify \
      > "target/soak/run-$i.out" 2>&1; then
    echo "run $i: passed in $(( $(date +%s) - start )) s"
    rm -f "target/soak/run-$i.out"
  else
    failed=$((failed + 1))
    cp -r launcher/target/ops-it "target/soak/run-$i" 2>/dev/null || true
    echo "run $i: FAILED in $(( $(date +%s) - start )) s (target/soak/run-$i.out, target/soak/run-$i/)"
  fi
done
echo "$((RUNS - failed)) of $RUNS runs passed ($BROWSERS browsers, $PUBLICATIONS publications each)"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# Runs every test of the project from a fresh clone: installs what the tests need, then Maven.
#   scripts/test.sh                       # the whole suite: unit, end-to-end, then the browser tests
#   scripts/test.sh -pl launcher -am      # extra arguments go to Maven
#   scripts/test.sh -DskipBrowserTests    # all but the browser tests
# The browser tests (launcher/src/test/browser) drive Debian's Chromium with playwright-core; nothing
# downloads a browser. Screenshots of the dashboard land in launcher/target/*.png.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}
command -v java >/dev/null || apt_install openjdk-17-jdk-headless
command -v mvn >/dev/null || apt_install maven
# node and npm: the dashboard's build (npm ci) and the browser tests
{ command -v node >/dev/null && command -v npm >/dev/null; } || apt_install nodejs npm
[ -x /usr/bin/chromium ] || apt_install chromium

exec mvn -B -ntp clean verify "$@"

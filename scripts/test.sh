#!/usr/bin/env bash
# Runs every test of the project from a fresh clone: installs what the tests need, then Maven.
#   scripts/test.sh                       # the whole suite: unit, end-to-end, then the browser tests
#   scripts/test.sh -pl launcher -am      # extra arguments go to Maven
#   scripts/test.sh -DskipBrowserTests    # all but the browser tests
# The browser tests (launcher/src/test/browser) drive Debian's Chromium with playwright-core; nothing
# downloads a browser. Screenshots of the dashboard land in launcher/target/*.png.
# The ops tests (launcher's *IT) run nodes from the jar behind Debian's nginx, started on a free loopback port.
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
# nginx: the load balancer of the ops tests, which run their own. Debian would start the freshly installed
# package as a service on port 80 unless policy-rc.d forbids it: forbid it for the install.
install_nginx() {
  local policy=/usr/sbin/policy-rc.d
  if [ -e "$policy" ]; then apt_install nginx; return; fi
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
  apt_install nginx || { rm -f "$policy"; return 1; }
  rm -f "$policy"
}
[ -x /usr/sbin/nginx ] || install_nginx

exec mvn -B -ntp clean verify "$@"

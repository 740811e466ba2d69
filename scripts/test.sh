#!/usr/bin/env bash
# Runs every test of the project from a fresh clone: installs what the tests need, then Maven.
#   scripts/test.sh                 # the whole suite
#   scripts/test.sh -pl launcher    # extra arguments go to Maven
set -euo pipefail
cd "$(dirname "$0")/.."
command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless; }
command -v mvn >/dev/null || { apt-get update -qq && apt-get install -y -qq maven; }
exec mvn -B -ntp clean verify "$@"

#!/usr/bin/env bash
# Runs every test in the solution; the README's test command. Prints a plain "N passed, N failed" summary.
set -euo pipefail
cd "$(dirname "$0")/.."

# The dashboard tests drive Debian's Chromium; install it on a fresh machine (root, or sudo without a password).
if [ ! -x "${TICKRUNNER_CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "Installing chromium for the dashboard tests..."
  as_root=""
  [ "$(id -u)" -ne 0 ] && as_root="sudo -n"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium >/dev/null
fi

# The metrics tests check /metrics with promtool, from Debian's prometheus package; installed the same way. promtool is
# all the tests need: no recommends, and where systemd started the package's own server, it is stopped and disabled.
if [ ! -x "${TICKRUNNER_PROMTOOL:-/usr/bin/promtool}" ] && ! command -v promtool >/dev/null; then
  echo "Installing prometheus (promtool) for the metrics tests..."
  as_root=""
  [ "$(id -u)" -ne 0 ] && as_root="sudo -n"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  if [ -d /run/systemd/system ]; then $as_root systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
fi

# The cluster tests keep the membership in a Redis server of their own (Debian's redis-server, started by each test on a
# free port); the package's own service is not needed and, where systemd started it, is stopped and disabled.
if [ ! -x "${TICKRUNNER_REDIS_SERVER:-/usr/bin/redis-server}" ]; then
  echo "Installing redis-server for the cluster tests..."
  as_root=""
  [ "$(id -u)" -ne 0 ] && as_root="sudo -n"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  if [ -d /run/systemd/system ]; then $as_root systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Tickrunner.slnx --nologo "$@" 2>&1 | tee "$log" || status=$?

# dotnet test prints one "Passed!/Failed!  - Failed: F, Passed: P, ..." line per test project.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "tests: $passed passed, $failed failed"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"

#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and run fairsweep locally: nats-server (Debian/Ubuntu
# package) and the npm dependencies. Idempotent: does nothing when both are present and current.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v nats-server >/dev/null 2>&1; then
  echo "setup: nats-server not found; installing it from the OS packages" >&2
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq nats-server >/dev/null
  else
    echo "setup: no apt-get here; install nats-server 2.9+ (https://docs.nats.io) and put it on PATH" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund
fi

# With --test-tools (npm test): the tools the tests run, from the OS packages when missing: kubectl
# (renders deploy/k8s with its built-in kustomize), prometheus (the server and promtool) and chromium
# (renders report.html headless; driven by puppeteer-core, no browser download). Not installed for
# the quickstart.
if [ "${1:-}" = "--test-tools" ]; then
  missing=()
  command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
  { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing+=(prometheus)
  { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ]; } || missing+=(chromium)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing test tools from the OS packages: ${missing[*]}" >&2
    if ! command -v apt-get >/dev/null 2>&1; then
      echo "setup: no apt-get here; install ${missing[*]} and put them on PATH" >&2
      exit 1
    fi
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    for pkg in "${missing[@]}"; do
      if [ "$pkg" = kubectl ]; then
        # Debian 12 has no `kubectl` package of its own; kubernetes-client is its kubectl.
        $SUDO apt-get install -y -qq --no-install-recommends kubectl >/dev/null 2>&1 \
          || $SUDO apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
      else
        $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
      fi
    done
  fi
fi

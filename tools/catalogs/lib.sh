# shellcheck shell=bash
# Shared by the scrape-*.sh scripts: a free port on 127.0.0.1, waiting for a server, stopping it.
# Sourced, not run.

# shellcheck disable=SC2034  # used by the scripts that source this file
CATALOG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../src/alerts/catalogs" && pwd)"
# shellcheck disable=SC2034
TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# A port the kernel just handed out and released: free unless someone races us for it.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [SECONDS]: poll until URL answers 200, or fail after SECONDS (default 30).
wait_http() {
    local url=$1 deadline=$((SECONDS + ${2:-30}))
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            echo "timed out waiting for $url" >&2
            return 1
        fi
        sleep 0.2
    done
}

# Servers started by a script; stopped on any exit so none is left running.
STARTED_PIDS=()
stop_started() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_started EXIT

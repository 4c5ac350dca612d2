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

# wait_http URL LOG [SECONDS]: poll until URL answers 200, or fail after SECONDS (default 30),
# showing the end of the server's LOG.
wait_http() {
    local url=$1 log=$2 deadline=$((SECONDS + ${3:-30}))
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
        # A server that exited (bad flag, bad config) will never answer: say so at once.
        if ((${#STARTED_PIDS[@]})) && ! kill -0 "${STARTED_PIDS[-1]}" 2>/dev/null; then
            echo "the server for $url exited before answering; its log ends with:" >&2
            tail -n 5 "$log" >&2
            return 1
        fi
        if ((SECONDS >= deadline)); then
            echo "timed out waiting for $url; the server's log ends with:" >&2
            tail -n 5 "$log" >&2
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

# require_tool COMMAND HOW-TO-INSTALL: stop with one sentence when a tool is missing.
require_tool() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "$1 not found; install it with: $2" >&2
        exit 1
    }
}

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

# debian_package SUITE PACKAGE DIR: PACKAGE as Debian SUITE (bookworm, trixie, sid) ships it,
# unpacked into DIR with dpkg-deb -x; prints the package's version (dpkg-deb -f). Installs
# nothing and never reads /etc/apt's sources: a private apt configuration (its own sources list,
# lists and cache under DEBIAN_APT_DIR, default a scratch directory) fetches the index and the
# .deb from deb.debian.org, verified by bookworm's archive keyring (which has trixie's and sid's
# signing keys). Needs apt-get and dpkg-deb, and deb.debian.org once per suite.
debian_package() {
    local suite=$1 package=$2 dest=$3 deb
    local apt_dir=${DEBIAN_APT_DIR:-${work:?}/apt}
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    require_tool apt-get "a Debian or Ubuntu machine (apt-get only downloads here)"
    require_tool dpkg-deb "a Debian or Ubuntu machine"
    [[ -r $keyring ]] || { echo "$keyring not found; apt-get install debian-archive-keyring" >&2; return 1; }
    mkdir -p "$apt_dir/$suite/lists/partial" "$apt_dir/$suite/cache/archives/partial" "$apt_dir/$suite/debs"
    echo "deb [signed-by=$keyring] http://deb.debian.org/debian $suite main" >"$apt_dir/$suite/sources.list"
    local apt=(apt-get -q -o "Dir::Etc::SourceList=$apt_dir/$suite/sources.list"
        -o Dir::Etc::SourceParts=/dev/null -o Dir::Etc::Preferences=/dev/null
        -o Dir::Etc::PreferencesParts=/dev/null -o "Dir::State::Lists=$apt_dir/$suite/lists"
        -o "Dir::Cache=$apt_dir/$suite/cache" -o APT::Sandbox::User=root -o Debug::NoLocking=1)
    # One index download per suite and DEBIAN_APT_DIR.
    if [[ ! -e $apt_dir/$suite/updated ]]; then
        "${apt[@]}" update >"$apt_dir/$suite/update.log" 2>&1 ||
            { echo "apt-get update of Debian $suite failed:" >&2; tail -5 "$apt_dir/$suite/update.log" >&2; return 1; }
        touch "$apt_dir/$suite/updated"
    fi
    rm -f "$apt_dir/$suite/debs/${package}_"*.deb
    (cd "$apt_dir/$suite/debs" && "${apt[@]}" download "$package" >"$apt_dir/$suite/download-$package.log" 2>&1) ||
        { echo "apt-get download $package (Debian $suite) failed:" >&2; tail -5 "$apt_dir/$suite/download-$package.log" >&2; return 1; }
    deb=$(printf '%s\n' "$apt_dir/$suite/debs/${package}_"*.deb)
    mkdir -p "$dest"
    dpkg-deb -x "$deb" "$dest"
    dpkg-deb -f "$deb" Version
}

#!/usr/bin/env bash
# shellcheck shell=bash
#
# common.sh: the shared library of the homelab's operations scripts.
#
# Source it from a script (`source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"`). It is
# safe to source into a shell running `set -euo pipefail` and into one that is not: it
# changes no shell option and no trap; it only defines functions and the globals below.
#
# Globals (read from the environment, each with a default):
#   DRY_RUN            "true": print what would change instead of changing it (default false)
#   FORCE              "true": `confirm` answers yes without asking (default false)
#   SSH_USER           user for SSH to Proxmox nodes (default root)
#   SSH_CONNECT_TIMEOUT seconds ssh waits for a connection (default 10)
#   TFVARS_FILE        terraform.tfvars read by get_pve_node / get_pve_ip
#   RETRY_BASE_DELAY   first delay of retry_with_backoff, whole seconds (default 1)
#   RETRY_MAX_DELAY    cap on any one delay of retry_with_backoff, whole seconds (default 60)
#   RETRY_ON           exit codes retry_with_backoff retries (space or comma separated);
#                      empty means every non-zero status is retried
#
# Needs bash 4.3 or later (namerefs, mapfile), as on every supported Proxmox VE and Debian.
#
# Exit statuses used throughout: 0 success, 1 a check failed, 2 a usage error (bad or
# missing arguments), anything else is passed through from the command that ran.
#
# v1.0: logging, confirm, parse_common_args, show_help, dry_run, ssh_exec,
#       check_ssh_access, check_command, check_prereqs, check_disk_space, parse_tfvars,
#       get_pve_node, get_pve_ip, create_backup_point.
# v1.1: retry_with_backoff, ssh_exec_retry; check_ssh_access retries the connection.

# A second `source` keeps the first load, and the settings a script made since.
if [[ -n "${_HOMELAB_COMMON_SH_LOADED:-}" ]]; then
    return 0
fi
_HOMELAB_COMMON_SH_LOADED=1

_common_sh_path="${BASH_SOURCE[0]}"
if [[ "$_common_sh_path" != */* ]]; then
    _common_sh_path="./${_common_sh_path}"
fi
COMMON_SH_DIR="$(cd "${_common_sh_path%/*}" && pwd)"
unset _common_sh_path
# The library lives in <root>/scripts/lib.
HOMELAB_ROOT="${HOMELAB_ROOT:-${COMMON_SH_DIR%/*/*}}"

DRY_RUN="${DRY_RUN:-false}"
FORCE="${FORCE:-false}"
SSH_USER="${SSH_USER:-root}"
SSH_CONNECT_TIMEOUT="${SSH_CONNECT_TIMEOUT:-10}"
TFVARS_FILE="${TFVARS_FILE:-${HOMELAB_ROOT}/infrastructure/proxmox/terraform.tfvars}"

# ---------------------------------------------------------------------------------------
# Logging. Info and success go to stdout, warnings and errors to stderr, so that a
# caller capturing a command's output with $(...) never captures a warning. Colour is
# used only when the stream is a terminal and NO_COLOR is unset.

_log() {
    local fd="$1" colour="$2" label="$3"
    shift 3
    if [[ -t "$fd" && -z "${NO_COLOR:-}" ]]; then
        printf '\033[%sm[%s]\033[0m %s\n' "$colour" "$label" "$*" >&"$fd"
    else
        printf '[%s] %s\n' "$label" "$*" >&"$fd"
    fi
}

log_info() { _log 1 "0;34" "INFO" "$@"; }
log_success() { _log 1 "0;32" "OK" "$@"; }
log_warn() { _log 2 "0;33" "WARN" "$@"; }
log_error() { _log 2 "0;31" "ERROR" "$@"; }

# ---------------------------------------------------------------------------------------
# Interaction and arguments.

# confirm QUESTION: 0 when the user answers y/yes, 1 otherwise (also at end of input).
# With FORCE=true it answers yes without reading anything.
confirm() {
    local question="${1:-Continue?}" answer=""
    if [[ "${FORCE:-false}" == "true" ]]; then
        log_info "${question} [forced: yes]"
        return 0
    fi
    printf '%s [y/N] ' "$question"
    if ! read -r answer; then
        printf '\n'
        return 1
    fi
    case "$answer" in
        [yY] | [yY][eE][sS]) return 0 ;;
        *) return 1 ;;
    esac
}

# show_help: usage of the calling script. A script sets SCRIPT_USAGE (its arguments) and
# SCRIPT_DESCRIPTION, or defines its own show_help after sourcing this file.
show_help() {
    local name="${SCRIPT_NAME:-$(basename "$0")}"
    printf 'Usage: %s [--dry-run] [--force] [--help] %s\n' "$name" "${SCRIPT_USAGE:-}"
    if [[ -n "${SCRIPT_DESCRIPTION:-}" ]]; then
        printf '\n%s\n' "$SCRIPT_DESCRIPTION"
    fi
    printf '\nOptions:\n'
    printf '  -n, --dry-run  print what would change, change nothing\n'
    printf '  -f, --force    do not ask for confirmation\n'
    printf '  -h, --help     show this help and exit\n'
}

# parse_common_args "$@": sets DRY_RUN / FORCE from --dry-run / --force, shows the help
# and exits 0 on --help, and leaves every other argument, in order, in REMAINING_ARGS.
parse_common_args() {
    REMAINING_ARGS=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            -n | --dry-run) DRY_RUN=true ;;
            -f | --force) FORCE=true ;;
            -h | --help)
                show_help
                exit 0
                ;;
            --)
                shift
                REMAINING_ARGS+=("$@")
                break
                ;;
            *) REMAINING_ARGS+=("$1") ;;
        esac
        shift
    done
    export DRY_RUN FORCE
}

# dry_run CMD [ARGS...]: runs the command, or with DRY_RUN=true prints it and returns 0.
dry_run() {
    if [[ $# -eq 0 ]]; then
        log_error "dry_run: no command given"
        return 2
    fi
    if [[ "${DRY_RUN:-false}" == "true" ]]; then
        local command_line
        _quoted command_line "$@"
        printf '[DRY-RUN] %s\n' "$command_line"
        return 0
    fi
    "$@"
}

# _quoted VAR WORD...: sets VAR to the command line with each word shell-quoted, for
# messages (without a subshell: retry runs it on every call).
_quoted() {
    local -n _quoted_into="$1"
    shift
    printf -v _quoted_into '%q ' "$@"
    _quoted_into="${_quoted_into% }"
}

# ---------------------------------------------------------------------------------------
# SSH to Proxmox nodes. Scripts never prompt (BatchMode) and accept a new host key but
# never a changed one (accept-new).

# ssh_exec NODE COMMAND: runs COMMAND on NODE; returns ssh's status (255: ssh itself
# failed to connect or authenticate; anything else: the remote command's status).
ssh_exec() {
    if [[ $# -lt 2 || -z "${1:-}" ]]; then
        log_error "usage: ssh_exec NODE COMMAND"
        return 2
    fi
    local node="$1" command="$2"
    local -a options=(
        -o BatchMode=yes
        -o "ConnectTimeout=${SSH_CONNECT_TIMEOUT:-10}"
        -o StrictHostKeyChecking=accept-new
    )
    # COMMAND is meant to expand on the node: it is the remote command line.
    # shellcheck disable=SC2029
    ssh "${options[@]}" "${SSH_USER:-root}@${node}" "$command"
}

# ssh_exec_retry NODE COMMAND: ssh_exec with 3 attempts, retrying only connection
# failures (ssh's own status 255). A remote command that ran and failed is not run again.
ssh_exec_retry() {
    if [[ $# -lt 2 || -z "${1:-}" ]]; then
        log_error "usage: ssh_exec_retry NODE COMMAND"
        return 2
    fi
    RETRY_ON=255 retry_with_backoff 3 ssh_exec "$1" "$2"
}

# check_ssh_access NODE: 0 when NODE answers over SSH, 1 after 3 failed connection
# attempts (or when the probe ran and failed). It probes even under DRY_RUN=true: a dry
# run that cannot reach the node must say so.
check_ssh_access() {
    if [[ $# -lt 1 || -z "${1:-}" ]]; then
        log_error "usage: check_ssh_access NODE"
        return 2
    fi
    local node="$1" status=0
    DRY_RUN=false ssh_exec_retry "$node" true >/dev/null || status=$?
    if [[ $status -eq 0 ]]; then
        log_success "SSH access to ${SSH_USER:-root}@${node} works"
        return 0
    fi
    if [[ $status -eq 255 ]]; then
        log_error "Cannot connect to ${SSH_USER:-root}@${node} over SSH: tried 3 times (BatchMode, key authentication only)"
    else
        log_error "SSH to ${SSH_USER:-root}@${node} connected but the probe failed with status ${status}"
    fi
    return 1
}

# ---------------------------------------------------------------------------------------
# Prerequisites.

# check_command NAME: 0 when NAME is on PATH (or a function/builtin), else 1 with an error.
check_command() {
    if [[ $# -lt 1 || -z "${1:-}" ]]; then
        log_error "usage: check_command NAME"
        return 2
    fi
    if command -v "$1" >/dev/null 2>&1; then
        return 0
    fi
    log_error "Required command not found: $1"
    return 1
}

# check_prereqs [NAME...]: checks every command (default: ssh), names all the missing
# ones, and returns 1 if any is missing.
check_prereqs() {
    local missing=() name
    if [[ $# -eq 0 ]]; then
        set -- ssh
    fi
    for name in "$@"; do
        check_command "$name" || missing+=("$name")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        log_error "Missing prerequisites: ${missing[*]}"
        return 1
    fi
    return 0
}

# check_disk_space PATH MIN_MB: 0 when the filesystem holding PATH has at least MIN_MB
# megabytes free, 1 when it has less, 2 on bad arguments.
check_disk_space() {
    local path="${1:-}" min="${2:-}" available
    if [[ -z "$path" || ! "$min" =~ ^[0-9]+$ ]]; then
        log_error "usage: check_disk_space PATH MIN_MB (MIN_MB a whole number)"
        return 2
    fi
    if [[ ! -e "$path" ]]; then
        log_error "check_disk_space: ${path} does not exist"
        return 1
    fi
    available="$(df -Pm "$path" 2>/dev/null | awk 'NR == 2 { print $4 }')"
    if [[ ! "$available" =~ ^[0-9]+$ ]]; then
        log_error "check_disk_space: cannot read the free space of ${path}"
        return 1
    fi
    if ((available < min)); then
        log_error "Not enough disk space on ${path}: ${available} MB free, ${min} MB needed"
        return 1
    fi
    return 0
}

# ---------------------------------------------------------------------------------------
# terraform.tfvars and the Proxmox node.

# parse_tfvars FILE KEY: prints the value of a top-level `KEY = value` line (quotes and a
# trailing comment removed). 1 with an error naming the file when the file or key is missing.
parse_tfvars() {
    local file="${1:-}" key="${2:-}" line value
    if [[ -z "$file" || -z "$key" ]]; then
        log_error "usage: parse_tfvars FILE KEY"
        return 2
    fi
    if [[ ! -r "$file" ]]; then
        log_error "parse_tfvars: cannot read ${file}"
        return 1
    fi
    line="$(grep -E "^[[:space:]]*${key}[[:space:]]*=" "$file" | head -n 1 || true)"
    if [[ -z "$line" ]]; then
        log_error "parse_tfvars: ${key} is not set in ${file}"
        return 1
    fi
    value="${line#*=}"
    if [[ "$value" =~ ^[[:space:]]*\"([^\"]*)\" ]]; then
        value="${BASH_REMATCH[1]}"
    else
        value="${value%%#*}"
        value="${value%%//*}"
        value="$(printf '%s' "$value" | sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//')"
    fi
    printf '%s\n' "$value"
}

# get_pve_node: the Proxmox node name: PVE_NODE, else `pve_node` in TFVARS_FILE.
get_pve_node() {
    if [[ -n "${PVE_NODE:-}" ]]; then
        printf '%s\n' "$PVE_NODE"
        return 0
    fi
    parse_tfvars "${TFVARS_FILE}" pve_node
}

# get_pve_ip: the Proxmox node's address: PVE_IP, else the host of `proxmox_endpoint`
# (https://HOST:8006/) in TFVARS_FILE.
get_pve_ip() {
    local endpoint host
    if [[ -n "${PVE_IP:-}" ]]; then
        printf '%s\n' "$PVE_IP"
        return 0
    fi
    endpoint="$(parse_tfvars "${TFVARS_FILE}" proxmox_endpoint)" || return 1
    host="${endpoint#*://}"
    host="${host%%/*}"
    host="${host%%:*}"
    if [[ -z "$host" ]]; then
        log_error "get_pve_ip: proxmox_endpoint in ${TFVARS_FILE} has no host: ${endpoint}"
        return 1
    fi
    printf '%s\n' "$host"
}

# create_backup_point vm|lxc ID [LABEL]: takes a snapshot of guest ID on the Proxmox
# node (get_pve_ip) before a risky operation and prints the snapshot's name. Honours
# DRY_RUN. The connection is retried; the snapshot command itself is never run twice.
create_backup_point() {
    local kind="${1:-}" id="${2:-}" label="${3:-backup}" tool node snapshot
    case "$kind" in
        vm) tool=qm ;;
        lxc) tool=pct ;;
        *)
            log_error "usage: create_backup_point vm|lxc ID [LABEL]"
            return 2
            ;;
    esac
    if [[ ! "$id" =~ ^[0-9]+$ || ! "$label" =~ ^[A-Za-z][A-Za-z0-9_-]*$ ]]; then
        log_error "usage: create_backup_point vm|lxc ID [LABEL] (ID a number, LABEL letters, digits, - and _)"
        return 2
    fi
    node="$(get_pve_ip)" || return 1
    snapshot="${label}-$(date +%Y%m%d-%H%M%S)"
    ssh_exec_retry "$node" "${tool} snapshot ${id} ${snapshot}" || return $?
    printf '%s\n' "$snapshot"
}

# ---------------------------------------------------------------------------------------
# v1.1: retry with exponential backoff.

# retry_with_backoff MAX CMD [ARGS...]
#   Runs CMD up to MAX times and returns 0 as soon as one attempt succeeds. After failed
#   attempt k (k < MAX) it warns "attempt k/MAX" with the delay and sleeps
#   RETRY_BASE_DELAY * 2^(k-1) seconds, capped by RETRY_MAX_DELAY; it never sleeps after
#   the last attempt. After the last failure it logs an error naming MAX and the command
#   and returns that attempt's status. With RETRY_ON set, a status not in it is returned
#   at once. DRY_RUN=true: prints what it would run, returns 0, runs nothing.
#   Bad MAX, no CMD, or a bad RETRY_* value: usage error on stderr, status 2, CMD not run.
#   CMD runs as the condition of an `if`, so `set -e` does not apply inside a CMD that is
#   a shell function (bash's rule); its status is still what counts.
retry_with_backoff() {
    local max="${1:-}"
    # At most 9 digits: larger numbers would overflow bash arithmetic and mean nothing here.
    if [[ ! "$max" =~ ^[1-9][0-9]{0,8}$ ]]; then
        log_error "usage: retry_with_backoff MAX CMD [ARGS...]: MAX must be a positive whole number (at most 999999999), got '${max}'"
        return 2
    fi
    shift
    if [[ $# -eq 0 ]]; then
        log_error "usage: retry_with_backoff MAX CMD [ARGS...]: no command given"
        return 2
    fi
    local base="${RETRY_BASE_DELAY:-1}" cap="${RETRY_MAX_DELAY:-60}" retry_on="${RETRY_ON:-}"
    if [[ ! "$base" =~ ^[0-9]+$ || ! "$cap" =~ ^[0-9]+$ ]]; then
        log_error "usage: retry_with_backoff: RETRY_BASE_DELAY ('${base}') and RETRY_MAX_DELAY ('${cap}') must be whole numbers of seconds"
        return 2
    fi
    retry_on="${retry_on//,/ }"
    if [[ -n "${retry_on// /}" && ! "$retry_on" =~ ^[[:space:]]*[0-9]+([[:space:]]+[0-9]+)*[[:space:]]*$ ]]; then
        log_error "usage: retry_with_backoff: RETRY_ON must list exit codes, got '${RETRY_ON}'"
        return 2
    fi
    local command_line
    _quoted command_line "$@"
    if [[ "${DRY_RUN:-false}" == "true" ]]; then
        printf '[DRY-RUN] %s (up to %s attempts)\n' "$command_line" "$max"
        return 0
    fi

    local attempt=1 status=0 delay step
    while true; do
        if "$@"; then
            if [[ $attempt -gt 1 ]]; then
                # stderr: a caller capturing CMD's output must not capture this.
                log_info "Succeeded on attempt ${attempt}/${max}: ${command_line}" >&2
            fi
            return 0
        else
            status=$?
        fi
        if [[ -n "${retry_on// /}" && " ${retry_on} " != *" ${status} "* ]]; then
            log_error "${command_line} failed with status ${status}, which is not retried (RETRY_ON: ${retry_on})"
            return "$status"
        fi
        if [[ $attempt -ge $max ]]; then
            break
        fi
        # base * 2^(attempt-1), capped; doubling stops at the cap so it cannot overflow.
        delay=$base
        step=1
        while [[ $step -lt $attempt && $delay -lt $cap ]]; do
            delay=$((delay * 2))
            step=$((step + 1))
        done
        if [[ $delay -gt $cap ]]; then
            delay=$cap
        fi
        log_warn "Attempt ${attempt}/${max} failed with status ${status}: retrying in ${delay}s: ${command_line}"
        sleep "$delay"
        attempt=$((attempt + 1))
    done
    log_error "Failed after ${max} attempts (last status ${status}): ${command_line}"
    return "$status"
}

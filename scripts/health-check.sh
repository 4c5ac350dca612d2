#!/usr/bin/env bash
# health-check.sh [--dry-run] [NODE]: runs the homelab's named health checks and publishes,
# per check, whether it passed and when it ran (homelab_health.prom). Read by the
# HealthCheckFailed and HealthCheckStale alerts.
#
# Checks:
#   dns-resolution  the resolver answers for HEALTH_DNS_NAME (default: the node's name)
#   proxmox-api     the Proxmox VE API on NODE:8006 answers HTTP (401 without a token is fine)
#   ssh-access      NODE accepts SSH (key authentication, connection retried)
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/textfile.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/textfile.sh"

# Read by show_help in common.sh.
# shellcheck disable=SC2034
SCRIPT_USAGE="[NODE]"
# shellcheck disable=SC2034
SCRIPT_DESCRIPTION="Runs the checks dns-resolution, proxmox-api and ssh-access against NODE (default: the host
of proxmox_endpoint in terraform.tfvars) and writes homelab_health.prom into TEXTFILE_DIR
(default /var/lib/prometheus/node-exporter). Exits 1 if a check failed."

check_dns_resolution() {
    getent hosts "$DNS_NAME" >/dev/null
}

check_proxmox_api() {
    local code
    code="$(curl --silent --insecure --max-time 10 --output /dev/null --write-out '%{http_code}' \
        "https://${NODE_HOST}:8006/api2/json/version")" || return 1
    [[ "$code" == 200 || "$code" == 401 ]]
}

check_ssh_access_quietly() {
    DRY_RUN=false ssh_exec_retry "$NODE_HOST" true >/dev/null
}

parse_common_args "$@"
check_prereqs getent curl ssh
NODE_HOST="${REMAINING_ARGS[0]:-}"
if [[ -z "$NODE_HOST" ]]; then
    NODE_HOST="$(get_pve_ip)"
fi
DNS_NAME="${HEALTH_DNS_NAME:-$(get_pve_node 2>/dev/null || printf '%s' "$NODE_HOST")}"

textfile_declare homelab_health_check_success gauge \
    "1 if the named health check passed on its last run, 0 if it failed (health-check script)."
textfile_declare homelab_health_check_last_run_timestamp_seconds gauge \
    "Unix time the named health check last ran (health-check script)."

failed=()
# Each check only reads, so all of them run under --dry-run too.
for check in dns-resolution proxmox-api ssh-access; do
    case "$check" in
        dns-resolution) probe=check_dns_resolution ;;
        proxmox-api) probe=check_proxmox_api ;;
        ssh-access) probe=check_ssh_access_quietly ;;
    esac
    if "$probe"; then
        passed=1
        log_success "Health check ${check} passed"
    else
        passed=0
        failed+=("$check")
        log_error "Health check ${check} failed"
    fi
    textfile_sample homelab_health_check_success "$passed" check="$check"
    textfile_sample homelab_health_check_last_run_timestamp_seconds "$(now_seconds)" check="$check"
done

textfile_write homelab_health.prom
if [[ ${#failed[@]} -gt 0 ]]; then
    exit 1
fi

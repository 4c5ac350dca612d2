#!/usr/bin/env bash
# lifecycle-report.sh [--dry-run] [NODE] [--certificate NAME=PEM_FILE]...: publishes what
# ages on the homelab (homelab_lifecycle.prom): when each guest snapshot on the Proxmox
# node was taken, and when each named TLS certificate expires. Read by the SnapshotTooOld
# and CertificateExpiringSoon alerts.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/textfile.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/textfile.sh"

# Read by show_help in common.sh.
# shellcheck disable=SC2034
SCRIPT_USAGE="[NODE] [--certificate NAME=PEM_FILE]..."
# shellcheck disable=SC2034
SCRIPT_DESCRIPTION="Lists the snapshots of every guest on NODE (default: the host of proxmox_endpoint in
terraform.tfvars) over SSH, reads the expiry date of each PEM certificate given, and writes
homelab_lifecycle.prom into TEXTFILE_DIR (default /var/lib/prometheus/node-exporter)."

parse_common_args "$@"
check_prereqs ssh jq openssl
host=""
certificates=()
set -- "${REMAINING_ARGS[@]}"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --certificate)
            if [[ $# -lt 2 || "$2" != ?*=?* ]]; then
                log_error "--certificate needs NAME=PEM_FILE"
                exit 2
            fi
            certificates+=("$2")
            shift
            ;;
        -*)
            log_error "Unknown option: $1"
            exit 2
            ;;
        *) host="$1" ;;
    esac
    shift
done
if [[ -z "$host" ]]; then
    host="$(get_pve_ip)"
fi
node="$(get_pve_node)"

textfile_declare homelab_snapshot_created_timestamp_seconds gauge \
    "Unix time a guest snapshot was taken, one series per snapshot (lifecycle script)."
textfile_declare homelab_certificate_expiry_timestamp_seconds gauge \
    "Unix time a TLS certificate managed by the homelab expires (lifecycle script)."

# Reading changes nothing, so it runs under --dry-run too: only the write is skipped.
remote() {
    DRY_RUN=false ssh_exec_retry "$host" "$1"
}

snapshots=0
guests="$(remote "pvesh get /nodes/${node}/qemu --output-format json" | jq -r '.[] | "qemu \(.vmid)"')"
guests+=$'\n'"$(remote "pvesh get /nodes/${node}/lxc --output-format json" | jq -r '.[] | "lxc \(.vmid)"')"
while read -r kind vmid; do
    [[ -n "$vmid" ]] || continue
    list="$(remote "pvesh get /nodes/${node}/${kind}/${vmid}/snapshot --output-format json")"
    # "current" is the guest's live state, not a snapshot: it has no snaptime.
    taken="$(jq -r '.[] | select(.name != "current" and .snaptime != null) | "\(.name) \(.snaptime)"' <<<"$list")"
    while read -r name time; do
        [[ -n "$name" ]] || continue
        textfile_sample homelab_snapshot_created_timestamp_seconds "$time" vmid="$vmid" snapshot="$name"
        snapshots=$((snapshots + 1))
    done <<<"$taken"
done <<<"$guests"

failed=0
for certificate in "${certificates[@]}"; do
    name="${certificate%%=*}"
    file="${certificate#*=}"
    # openssl prints notAfter=Mar  1 12:00:00 2027 GMT.
    if ! end="$(openssl x509 -enddate -noout -in "$file" 2>/dev/null)" || [[ "$end" != notAfter=* ]] ||
        ! expiry="$(date -u -d "${end#notAfter=}" +%s 2>/dev/null)"; then
        log_error "Cannot read the expiry date of certificate ${name} from ${file}"
        failed=1
        continue
    fi
    textfile_sample homelab_certificate_expiry_timestamp_seconds "$expiry" certificate="$name"
done

textfile_write homelab_lifecycle.prom
log_success "Published ${snapshots} snapshots and ${#certificates[@]} certificates"
exit "$failed"

#!/usr/bin/env bash
# backup-status.sh [--dry-run] [NODE]: publishes the state of the node's vzdump backups
# for node-exporter's textfile collector (homelab_backup.prom): per guest and storage, the
# time of the last successful backup and whether the most recent run succeeded. Read by
# the BackupTooOld, BackupFailed and BackupMetricsMissing alerts.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/textfile.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/textfile.sh"

# Read by show_help in common.sh.
# shellcheck disable=SC2034
SCRIPT_USAGE="[NODE]"
# shellcheck disable=SC2034
SCRIPT_DESCRIPTION="Reads the vzdump tasks of the Proxmox node NODE (default: the host of proxmox_endpoint
in terraform.tfvars) over SSH and writes homelab_backup.prom into TEXTFILE_DIR
(default /var/lib/prometheus/node-exporter). The storage label is BACKUP_STORAGE
(default: backup_storage in terraform.tfvars, else pbs)."

parse_common_args "$@"
check_prereqs ssh jq
host="${REMAINING_ARGS[0]:-}"
if [[ -z "$host" ]]; then
    host="$(get_pve_ip)"
fi
node="$(get_pve_node)"
storage="${BACKUP_STORAGE:-$(parse_tfvars "$TFVARS_FILE" backup_storage 2>/dev/null || printf 'pbs')}"

# Reading changes nothing, so it runs under --dry-run too: only the write is skipped.
tasks="$(DRY_RUN=false ssh_exec_retry "$host" "pvesh get /nodes/${node}/tasks --typefilter vzdump --limit 500 --output-format json")"

# One line per guest: vmid, 1/0 for the most recent finished run, the end time of the
# last successful one (0: none known). Running tasks have no status yet and are skipped.
if ! summary="$(jq -r '
    [ .[] | select((.id // "") != "" and (.status // "") != "" and .endtime != null) ]
    | group_by(.id)[]
    | (sort_by(.endtime) | last) as $latest
    | ([ .[] | select(.status == "OK") | .endtime ] | max // 0) as $success
    | "\($latest.id) \(if $latest.status == "OK" then 1 else 0 end) \($success)"
' <<<"$tasks")"; then
    log_error "The vzdump task list of ${node} (from ${host}) is not the JSON pvesh prints"
    exit 1
fi

textfile_declare homelab_backup_last_success_timestamp_seconds gauge \
    "Unix time of the last successful vzdump backup of a guest (backup script)."
textfile_declare homelab_backup_last_run_success gauge \
    "1 if the most recent backup run of a guest succeeded, 0 if it failed (backup script)."
guests=0
while read -r vmid succeeded last_success; do
    [[ -n "$vmid" ]] || continue
    guests=$((guests + 1))
    textfile_sample homelab_backup_last_run_success "$succeeded" vmid="$vmid" storage="$storage"
    # A guest never backed up successfully has no success time: BackupTooOld cannot
    # judge it, BackupFailed already fires.
    if [[ "$last_success" != "0" ]]; then
        textfile_sample homelab_backup_last_success_timestamp_seconds "$last_success" vmid="$vmid" storage="$storage"
    fi
done <<<"$summary"

textfile_write homelab_backup.prom
log_success "Published the backup state of ${guests} guests on ${node}"

#!/usr/bin/env bash
# drift-check.sh [--dry-run] [MODULE_DIR...]: runs `terraform plan -detailed-exitcode` in
# each Terraform module directory and publishes, per module, whether the real
# infrastructure has drifted from the code and when the check last completed
# (homelab_drift.prom). Read by the TerraformDriftDetected and TerraformDriftCheckStale
# alerts.
#
# A module whose plan fails (exit 1: no credentials, a syntax error, an unreachable API)
# has not been checked: its previous values are kept as they were, so its check time
# grows old and TerraformDriftCheckStale fires after two days; the script exits 1.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/textfile.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/textfile.sh"

# Read by show_help in common.sh.
# shellcheck disable=SC2034
SCRIPT_USAGE="[MODULE_DIR...]"
# shellcheck disable=SC2034
SCRIPT_DESCRIPTION="Plans each MODULE_DIR (default: every directory under infrastructure/proxmox/modules)
without locking the state and writes homelab_drift.prom into TEXTFILE_DIR
(default /var/lib/prometheus/node-exporter). Exits 1 if a plan failed."

OUTPUT_FILE=homelab_drift.prom

parse_common_args "$@"
check_prereqs terraform
modules=("${REMAINING_ARGS[@]}")
if [[ ${#modules[@]} -eq 0 ]]; then
    for dir in "${HOMELAB_ROOT}"/infrastructure/proxmox/modules/*/; do
        modules+=("${dir%/}")
    done
fi

textfile_declare homelab_terraform_drift_detected gauge \
    "1 if terraform plan -detailed-exitcode reported changes for a module, 0 if none (drift-check script)."
textfile_declare homelab_terraform_drift_last_check_timestamp_seconds gauge \
    "Unix time the drift check of a module last completed (drift-check script)."

failed=()
for dir in "${modules[@]}"; do
    module="$(basename "$dir")"
    if [[ ! -d "$dir" ]]; then
        log_error "${dir} is not a directory"
        failed+=("$module")
        continue
    fi
    status=0
    # A plan only reads: it runs under --dry-run too. Its output would only be noise here.
    terraform -chdir="$dir" plan -detailed-exitcode -lock=false -input=false -no-color >/dev/null 2>&1 || status=$?
    case "$status" in
        0 | 2)
            drift=$((status == 2 ? 1 : 0))
            textfile_sample homelab_terraform_drift_detected "$drift" module="$module"
            textfile_sample homelab_terraform_drift_last_check_timestamp_seconds "$(now_seconds)" module="$module"
            if [[ $drift -eq 1 ]]; then
                log_warn "Drift in ${module}: terraform plan shows changes"
            else
                log_info "No drift in ${module}"
            fi
            ;;
        *)
            log_error "terraform plan failed in ${dir} (status ${status}); keeping its previous drift values"
            failed+=("$module")
            for metric in homelab_terraform_drift_detected homelab_terraform_drift_last_check_timestamp_seconds; do
                previous="$(textfile_previous "$OUTPUT_FILE" "$(textfile_series "$metric" module="$module")")"
                if [[ -n "$previous" ]]; then
                    textfile_sample "$metric" "$previous" module="$module"
                fi
            done
            ;;
    esac
done

textfile_write "$OUTPUT_FILE"
if [[ ${#failed[@]} -gt 0 ]]; then
    log_error "The drift check failed for: ${failed[*]}"
    exit 1
fi
log_success "Checked ${#modules[@]} modules for drift"

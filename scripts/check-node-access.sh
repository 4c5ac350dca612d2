#!/usr/bin/env bash
# check-node-access.sh [--dry-run] [--force] [NODE]: checks that the Proxmox node answers
# over SSH before an operation starts, retrying a lost connection with a growing delay.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Read by show_help in common.sh.
# shellcheck disable=SC2034
SCRIPT_USAGE="[NODE]"
# shellcheck disable=SC2034
SCRIPT_DESCRIPTION="Checks that NODE (default: the host of proxmox_endpoint in terraform.tfvars)
answers over SSH; a lost connection is retried 3 times, waiting 1 s then 2 s."

parse_common_args "$@"
check_prereqs ssh
node="${REMAINING_ARGS[0]:-}"
if [[ -z "$node" ]]; then
    node="$(get_pve_ip)"
fi
check_ssh_access "$node"

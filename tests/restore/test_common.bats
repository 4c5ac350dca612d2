#!/usr/bin/env bats
# Tests of scripts/lib/common.sh, the operations scripts' shared library.
# ssh, sleep and the commands being retried are recording stubs (see test_helper.bash):
# nothing connects anywhere and no test waits in real time.

bats_require_minimum_version 1.5.0

setup() {
    load test_helper
    common_setup
}

# ---------------------------------------------------------------------------------------
# v1.0: logging

@test "log_info writes an INFO line to stdout and nothing to stderr" {
    run --separate-stderr log_info "backup started"
    assert_success
    assert_output "[INFO] backup started"
    [[ -z "$stderr" ]]
}

@test "log_success writes an OK line to stdout" {
    run --separate-stderr log_success "restore done"
    assert_success
    assert_output "[OK] restore done"
    [[ -z "$stderr" ]]
}

@test "log_warn writes to stderr only" {
    run --separate-stderr log_warn "disk almost full"
    assert_success
    assert_output ""
    [[ "$stderr" == "[WARN] disk almost full" ]]
}

@test "log_error writes to stderr only" {
    run --separate-stderr log_error "node unreachable"
    assert_success
    assert_output ""
    [[ "$stderr" == "[ERROR] node unreachable" ]]
}

@test "logging uses no colour codes when the output is not a terminal" {
    run log_info "plain"
    refute_output --partial $'\033['
}

@test "logging uses colour on a terminal" {
    command -v script >/dev/null || skip "script(1) is needed to give the library a terminal"
    run script -qec "bash -c 'source \"$COMMON_SH\"; log_error boom'" /dev/null
    assert_output --partial $'\033[0;31m[ERROR]'
}

# ---------------------------------------------------------------------------------------
# v1.0: confirm, arguments, help, dry_run

@test "confirm returns 0 when the answer is y" {
    run confirm "Restore VM 101?" <<<"y"
    assert_success
    assert_output --partial "Restore VM 101? [y/N]"
}

@test "confirm returns 1 when the answer is anything else or input ends" {
    run confirm "Restore?" <<<"n"
    assert_failure 1
    run confirm "Restore?" </dev/null
    assert_failure 1
}

@test "confirm with FORCE=true answers yes without reading input" {
    FORCE=true run confirm "Wipe the disk?" </dev/null
    assert_success
    assert_output --partial "forced: yes"
}

@test "parse_common_args sets DRY_RUN and FORCE and keeps the other arguments in order" {
    parse_common_args --dry-run vm 101 --force -- --literal
    [[ "$DRY_RUN" == "true" ]]
    [[ "$FORCE" == "true" ]]
    assert_equal "${REMAINING_ARGS[*]}" "vm 101 --literal"
}

@test "parse_common_args without options leaves dry-run and force off" {
    parse_common_args restore
    [[ "$DRY_RUN" == "false" ]]
    [[ "$FORCE" == "false" ]]
    assert_equal "${REMAINING_ARGS[*]}" "restore"
}

@test "parse_common_args --help shows the help and exits 0" {
    SCRIPT_NAME=restore-vm.sh run parse_common_args --help
    assert_success
    assert_line --index 0 --partial "Usage: restore-vm.sh"
    assert_output --partial "--dry-run"
}

@test "show_help names the script, its arguments and its description" {
    SCRIPT_NAME=restore-vm.sh SCRIPT_USAGE="VMID" SCRIPT_DESCRIPTION="Restores a VM." run show_help
    assert_success
    assert_line --index 0 "Usage: restore-vm.sh [--dry-run] [--force] [--help] VMID"
    assert_line "Restores a VM."
}

@test "dry_run prints the command and does not run it when DRY_RUN=true" {
    DRY_RUN=true run dry_run touch "${BATS_TEST_TMPDIR}/created"
    assert_success
    assert_output --partial "[DRY-RUN] touch ${BATS_TEST_TMPDIR}/created"
    [[ ! -e "${BATS_TEST_TMPDIR}/created" ]]
}

@test "dry_run runs the command and returns its status otherwise" {
    run dry_run touch "${BATS_TEST_TMPDIR}/created"
    assert_success
    [[ -e "${BATS_TEST_TMPDIR}/created" ]]
    script_statuses flaky 3
    run dry_run flaky
    assert_failure 3
}

# ---------------------------------------------------------------------------------------
# v1.0: SSH

@test "ssh_exec runs the command on root@NODE without prompting and returns ssh's status" {
    script_statuses ssh 4
    run ssh_exec pve1 "qm list"
    assert_failure 4
    assert_equal "$(calls_of ssh)" "-o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=accept-new root@pve1 qm\\ list"
}

@test "ssh_exec honours SSH_USER and SSH_CONNECT_TIMEOUT" {
    SSH_USER=admin SSH_CONNECT_TIMEOUT=3 run ssh_exec 10.0.0.5 uptime
    assert_success
    assert_equal "$(calls_of ssh)" "-o BatchMode=yes -o ConnectTimeout=3 -o StrictHostKeyChecking=accept-new admin@10.0.0.5 uptime"
}

@test "ssh_exec without a node or command is a usage error and runs nothing" {
    run --separate-stderr ssh_exec pve1
    assert_failure 2
    [[ "$stderr" == *"usage: ssh_exec NODE COMMAND"* ]]
    assert_equal "$(call_count ssh)" 0
}

@test "check_ssh_access succeeds at once when the node answers" {
    run check_ssh_access pve1
    assert_success
    assert_output --partial "SSH access to root@pve1 works"
    assert_equal "$(call_count ssh)" 1
    assert_equal "$(call_count sleep)" 0
}

# ---------------------------------------------------------------------------------------
# v1.0: prerequisites

@test "check_command succeeds for a command on PATH" {
    run check_command bash
    assert_success
}

@test "check_command names a missing command and returns 1" {
    run --separate-stderr check_command no-such-tool-xyz
    assert_failure 1
    [[ "$stderr" == "[ERROR] Required command not found: no-such-tool-xyz" ]]
}

@test "check_prereqs names every missing command" {
    run --separate-stderr check_prereqs bash missing-one missing-two
    assert_failure 1
    [[ "$stderr" == *"Missing prerequisites: missing-one missing-two"* ]]
    run check_prereqs bash ssh
    assert_success
}

@test "check_disk_space compares the free megabytes df reports with the minimum" {
    printf 'Filesystem 1048576-blocks Used Available Capacity Mounted on\n/dev/sda1 1000 500 500 50%% /\n' >"${STUB_DIR}/df.stdout"
    run check_disk_space / 400
    assert_success
    run --separate-stderr check_disk_space / 600
    assert_failure 1
    [[ "$stderr" == *"500 MB free, 600 MB needed"* ]]
    assert_equal "$(calls_of df | head -n 1)" "-Pm /"
}

@test "check_disk_space with a bad minimum is a usage error" {
    run check_disk_space / lots
    assert_failure 2
    run check_disk_space "${BATS_TEST_TMPDIR}/missing" 1
    assert_failure 1
}

# ---------------------------------------------------------------------------------------
# v1.0: terraform.tfvars and the Proxmox node

write_tfvars() {
    TFVARS_FILE="${BATS_TEST_TMPDIR}/terraform.tfvars"
    cat >"$TFVARS_FILE" <<'TFVARS'
# Proxmox connection
proxmox_endpoint = "https://192.168.1.100:8006/"
pve_node         = "pve"
vm_count = 3 # three workers
TFVARS
}

@test "parse_tfvars reads quoted and unquoted values" {
    write_tfvars
    run parse_tfvars "$TFVARS_FILE" pve_node
    assert_success
    assert_output "pve"
    run parse_tfvars "$TFVARS_FILE" vm_count
    assert_output "3"
}

@test "parse_tfvars names the file when a key or the file is missing" {
    write_tfvars
    run --separate-stderr parse_tfvars "$TFVARS_FILE" storage
    assert_failure 1
    [[ "$stderr" == *"storage is not set in ${TFVARS_FILE}"* ]]
    run --separate-stderr parse_tfvars "${BATS_TEST_TMPDIR}/nope.tfvars" pve_node
    assert_failure 1
    [[ "$stderr" == *"cannot read ${BATS_TEST_TMPDIR}/nope.tfvars"* ]]
}

@test "get_pve_node reads pve_node from terraform.tfvars unless PVE_NODE is set" {
    write_tfvars
    run get_pve_node
    assert_output "pve"
    PVE_NODE=pve2 run get_pve_node
    assert_output "pve2"
}

@test "get_pve_ip takes the host of proxmox_endpoint unless PVE_IP is set" {
    write_tfvars
    run get_pve_ip
    assert_output "192.168.1.100"
    PVE_IP=10.1.1.1 run get_pve_ip
    assert_output "10.1.1.1"
}

@test "create_backup_point snapshots the guest on the node and prints the snapshot name" {
    write_tfvars
    run --separate-stderr create_backup_point vm 101 pre-restore
    assert_success
    assert_output --regexp '^pre-restore-[0-9]{8}-[0-9]{6}$'
    assert_equal "$(call_count ssh)" 1
    [[ "$(calls_of ssh)" == *"root@192.168.1.100 qm\\ snapshot\\ 101\\ ${output}" ]]
}

@test "create_backup_point runs nothing in a dry run and refuses a bad guest kind" {
    write_tfvars
    DRY_RUN=true run create_backup_point lxc 200
    assert_success
    assert_equal "$(call_count ssh)" 0
    run create_backup_point container 200
    assert_failure 2
}

# ---------------------------------------------------------------------------------------
# v1.0: sourcing

@test "sourcing under set -euo pipefail keeps the caller's options and traps" {
    run bash -c 'set -euo pipefail; trap "echo bye" EXIT; before="$(set +o; trap -p)"
                 source "$1"; after="$(set +o; trap -p)"; [[ "$before" == "$after" ]] && echo same' _ "$COMMON_SH"
    assert_success
    assert_line --index 0 "same"
}

@test "sourcing without strict mode does not turn it on" {
    run bash -c 'source "$1"; [[ $- != *e* && $- != *u* ]] && ! shopt -qo pipefail && echo lenient' _ "$COMMON_SH"
    assert_success
    assert_output "lenient"
}

@test "the library can be sourced from its own directory by its bare name" {
    cd "${BATS_TEST_DIRNAME}/../../scripts/lib"
    run bash -c 'set -euo pipefail; source common.sh; printf "%s\n" "$HOMELAB_ROOT"'
    assert_success
    assert_output "$(cd ../.. && pwd)"
}

# ---------------------------------------------------------------------------------------
# v1.1: retry_with_backoff

@test "retry_with_backoff runs a succeeding command once and never sleeps" {
    run retry_with_backoff 3 flaky
    assert_success
    assert_equal "$(call_count flaky)" 1
    assert_equal "$(call_count sleep)" 0
}

@test "retry_with_backoff succeeds on the second attempt after waiting 1s" {
    script_statuses flaky 1 0
    run retry_with_backoff 3 flaky
    assert_success
    assert_equal "$(call_count flaky)" 2
    assert_equal "$(delays)" "1"
}

@test "retry_with_backoff waits 1 2 4 seconds between 4 failing attempts and returns the last status" {
    script_statuses flaky 3 3 3 7
    run retry_with_backoff 4 flaky
    assert_failure 7
    assert_equal "$(call_count flaky)" 4
    assert_equal "$(delays)" "1 2 4"
}

@test "retry_with_backoff warns after each failed attempt with k/MAX and the delay" {
    script_statuses flaky 5
    run --separate-stderr retry_with_backoff 3 flaky
    assert_failure 5
    [[ "${stderr_lines[0]}" == "[WARN] Attempt 1/3 failed with status 5: retrying in 1s: flaky" ]]
    [[ "${stderr_lines[1]}" == "[WARN] Attempt 2/3 failed with status 5: retrying in 2s: flaky" ]]
}

@test "retry_with_backoff reports MAX and the command after the last failure" {
    script_statuses flaky 9
    run --separate-stderr retry_with_backoff 2 flaky restore vm-101
    assert_failure 9
    [[ "${stderr_lines[-1]}" == "[ERROR] Failed after 2 attempts (last status 9): flaky restore vm-101" ]]
}

@test "retry_with_backoff never sleeps after the last attempt" {
    script_statuses flaky 1
    run retry_with_backoff 1 flaky
    assert_failure 1
    assert_equal "$(call_count flaky)" 1
    assert_equal "$(call_count sleep)" 0
}

@test "retry_with_backoff doubles from RETRY_BASE_DELAY and stops at RETRY_MAX_DELAY" {
    script_statuses flaky 1
    RETRY_BASE_DELAY=2 RETRY_MAX_DELAY=5 run retry_with_backoff 5 flaky
    assert_failure 1
    assert_equal "$(delays)" "2 4 5 5"
}

@test "retry_with_backoff returns a status not listed in RETRY_ON at once" {
    script_statuses flaky 1 0
    RETRY_ON=255 run --separate-stderr retry_with_backoff 3 flaky
    assert_failure 1
    assert_equal "$(call_count flaky)" 1
    assert_equal "$(call_count sleep)" 0
    [[ "$stderr" == *"not retried"* ]]
}

@test "retry_with_backoff retries every status listed in RETRY_ON" {
    script_statuses flaky 1 255 0
    RETRY_ON="1,255" run retry_with_backoff 3 flaky
    assert_success
    assert_equal "$(call_count flaky)" 3
    assert_equal "$(delays)" "1 2"
}

@test "retry_with_backoff in a dry run prints the command, runs nothing and returns 0" {
    script_statuses flaky 1
    DRY_RUN=true run retry_with_backoff 3 flaky restore vm-101
    assert_success
    assert_output --partial "[DRY-RUN] flaky restore vm-101"
    assert_equal "$(call_count flaky)" 0
    assert_equal "$(call_count sleep)" 0
}

@test "retry_with_backoff refuses a MAX that is not a positive whole number" {
    local max
    for max in 0 -1 abc 2.5 07 1000000000 ""; do
        run --separate-stderr retry_with_backoff "$max" flaky
        assert_failure 2
        [[ "$stderr" == *"usage: retry_with_backoff MAX CMD"* ]]
    done
    assert_equal "$(call_count flaky)" 0
}

@test "retry_with_backoff without a command is a usage error" {
    run --separate-stderr retry_with_backoff 3
    assert_failure 2
    [[ "$stderr" == *"no command given"* ]]
}

@test "retry_with_backoff passes arguments with spaces intact" {
    run retry_with_backoff 2 flaky "two words" 'a"quote'
    assert_success
    assert_equal "$(calls_of flaky)" "two\\ words a\\\"quote"
}

@test "retry_with_backoff returns the exact status inside an if under set -euo pipefail" {
    run bash -c 'set -euo pipefail; source "$1"; printf "%s\n" 4 4 >"$STUB_DIR/flaky.statuses"
                 if retry_with_backoff 2 flaky; then echo ok; else echo "status $?"; fi
                 retry_with_backoff 2 flaky; echo "not reached"' _ "$COMMON_SH"
    assert_failure 4
    assert_output --partial "status 4"
    refute_output --partial "not reached"
}

# ---------------------------------------------------------------------------------------
# v1.1: ssh_exec_retry and check_ssh_access

@test "ssh_exec_retry retries connection failures (255) and succeeds on the third attempt" {
    script_statuses ssh 255 255 0
    run ssh_exec_retry pve1 "pvesm status"
    assert_success
    assert_equal "$(call_count ssh)" 3
    assert_equal "$(delays)" "1 2"
}

@test "ssh_exec_retry does not run a remote command again when it ran and failed" {
    script_statuses ssh 1 0
    run ssh_exec_retry pve1 "qm start 101"
    assert_failure 1
    assert_equal "$(call_count ssh)" 1
    assert_equal "$(call_count sleep)" 0
}

@test "ssh_exec_retry gives up after 3 connection failures with ssh's status 255" {
    script_statuses ssh 255
    run --separate-stderr ssh_exec_retry pve1 uptime
    assert_failure 255
    assert_equal "$(call_count ssh)" 3
    [[ "${stderr_lines[-1]}" == *"Failed after 3 attempts"* ]]
}

@test "ssh_exec_retry never prompts and accepts only new host keys" {
    run ssh_exec_retry pve1 uptime
    assert_success
    local call
    call="$(calls_of ssh)"
    [[ "$call" == *"-o BatchMode=yes"* ]]
    [[ "$call" == *"-o ConnectTimeout=10"* ]]
    [[ "$call" == *"-o StrictHostKeyChecking=accept-new"* ]]
}

@test "check_ssh_access tries 3 times before it reports failure" {
    script_statuses ssh 255
    run --separate-stderr check_ssh_access pve1
    assert_failure 1
    assert_equal "$(call_count ssh)" 3
    assert_equal "$(delays)" "1 2"
    [[ "${stderr_lines[-1]}" == "[ERROR] Cannot connect to root@pve1 over SSH: tried 3 times"* ]]
}

@test "check_ssh_access probes the node even in a dry run" {
    script_statuses ssh 255 0
    DRY_RUN=true run check_ssh_access pve1
    assert_success
    assert_equal "$(call_count ssh)" 2
}

@test "check-node-access.sh gets through two lost connections and fails after three" {
    script_statuses ssh 255 255 0
    run "${BATS_TEST_DIRNAME}/../../scripts/check-node-access.sh" pve1
    assert_success
    assert_equal "$(call_count ssh)" 3
    script_statuses ssh 255
    run --separate-stderr "${BATS_TEST_DIRNAME}/../../scripts/check-node-access.sh" pve2
    assert_failure 1
    assert_equal "$(call_count ssh)" 6
    [[ "$stderr" == *"tried 3 times"* ]]
}

#!/usr/bin/env bats
# Tests of scripts/lib/textfile.sh and of the operations scripts that publish the
# homelab's textfile metrics (tools/catalogs/homelab-textfile.prom): backup-status.sh,
# drift-check.sh, health-check.sh and lifecycle-report.sh.
# ssh, terraform, openssl, curl, getent, sleep and the clock (`date +%s`) are fakes in
# this test's own directory, answering with canned output: nothing connects anywhere,
# no real plan runs and no test waits.

bats_require_minimum_version 1.5.0

SCRIPTS="${BATS_TEST_DIRNAME}/../../scripts"
NOW=1764115200

setup() {
    load test_helper
    FAKES="${BATS_TEST_TMPDIR}/fakes"
    mkdir -p "${FAKES}/bin" "${FAKES}/ssh" "${BATS_TEST_TMPDIR}/textfile"
    REAL_DATE="$(command -v date)"
    export FAKES REAL_DATE FAKE_NOW="$NOW"
    export TEXTFILE_DIR="${BATS_TEST_TMPDIR}/textfile"
    export PVE_NODE=pve PVE_IP=192.0.2.10 BACKUP_STORAGE=pbs NO_COLOR=1
    export TFVARS_FILE="${BATS_TEST_TMPDIR}/no-such.tfvars"
    unset DRY_RUN FORCE RETRY_ON RETRY_BASE_DELAY RETRY_MAX_DELAY HEALTH_DNS_NAME

    # ssh answers a remote command with the file fakes/ssh/<command, non-alphanumerics
    # as _> (written by ssh_answers), and fails like a lost connection (255) without one.
    fake ssh '
remote="${*: -1}"
printf "%s\n" "$remote" >>"${FAKES}/ssh.calls"
key="${remote//[^A-Za-z0-9]/_}"
if [[ -f "${FAKES}/ssh/${key}" ]]; then cat "${FAKES}/ssh/${key}"; exit 0; fi
echo "ssh: connect to host: Connection refused" >&2
exit 255'
    # terraform exits with fakes/terraform.<module>.status (default 0).
    fake terraform '
printf "%s\n" "$*" >>"${FAKES}/terraform.calls"
dir="${1#-chdir=}"
module="${dir##*/}"
status=0
if [[ -f "${FAKES}/terraform.${module}.status" ]]; then status="$(<"${FAKES}/terraform.${module}.status")"; fi
exit "$status"'
    # openssl x509 -enddate -noout -in FILE prints FILE: the tests write notAfter=... into it.
    fake openssl '
while [[ $# -gt 0 && "$1" != -in ]]; do shift; done
cat "$2"'
    fake date '
if [[ "$*" == "+%s" ]]; then echo "$FAKE_NOW"; else exec "$REAL_DATE" "$@"; fi'
    fake getent 'exit "$(cat "${FAKES}/getent.status" 2>/dev/null || echo 0)"'
    fake curl 'cat "${FAKES}/curl.code" 2>/dev/null || printf 200'
    fake sleep 'printf "%s\n" "$*" >>"${FAKES}/sleep.calls"'
    export PATH="${FAKES}/bin:${PATH}"
}

# fake NAME BODY: a bash script NAME on the tests' PATH.
fake() {
    printf '#!/usr/bin/env bash\nset -u\n%s\n' "$2" >"${FAKES}/bin/$1"
    chmod +x "${FAKES}/bin/$1"
}

# ssh_answers REMOTE_COMMAND OUTPUT: what the fake node prints for REMOTE_COMMAND.
ssh_answers() {
    printf '%s\n' "$2" >"${FAKES}/ssh/${1//[^A-Za-z0-9]/_}"
}

# published FILE: the samples of TEXTFILE_DIR/FILE, without HELP and TYPE, sorted.
published() {
    grep -v '^#' "${TEXTFILE_DIR}/$1" | LC_ALL=C sort
}

# type_of FILE METRIC: the TYPE line's type for METRIC.
type_of() {
    awk -v m="$2" '$1 == "#" && $2 == "TYPE" && $3 == m { print $4 }' "${TEXTFILE_DIR}/$1"
}

canned_backups() {
    ssh_answers "pvesh get /nodes/pve/tasks --typefilter vzdump --limit 500 --output-format json" '[
 {"id":"100","type":"vzdump","status":"OK","starttime":1764030000,"endtime":1764030100},
 {"id":"100","type":"vzdump","status":"job errors","starttime":1763940000,"endtime":1763940050},
 {"id":"101","type":"vzdump","status":"job errors","starttime":1764030200,"endtime":1764030300},
 {"id":"101","type":"vzdump","status":"OK","starttime":1763940200,"endtime":1763940400},
 {"id":"102","type":"vzdump","status":"unexpected status","starttime":1764030500,"endtime":1764030600},
 {"id":"103","type":"vzdump","starttime":1764030700}
]'
}

canned_guests() {
    ssh_answers "pvesh get /nodes/pve/qemu --output-format json" '[{"vmid":100,"name":"monitoring"}]'
    ssh_answers "pvesh get /nodes/pve/lxc --output-format json" '[{"vmid":200,"name":"dns"}]'
    ssh_answers "pvesh get /nodes/pve/qemu/100/snapshot --output-format json" \
        '[{"name":"pre-upgrade","snaptime":1763000000},{"name":"current","running":1}]'
    ssh_answers "pvesh get /nodes/pve/lxc/200/snapshot --output-format json" \
        '[{"name":"before-dns","snaptime":1762000000},{"name":"current"}]'
    printf 'notAfter=Dec 31 12:00:00 2026 GMT\n' >"${BATS_TEST_TMPDIR}/grafana.pem"
}

# ---------------------------------------------------------------------------------------
# textfile.sh

@test "textfile_escape_label escapes backslash, double quote and newline" {
    source "${SCRIPTS}/lib/common.sh"
    source "${SCRIPTS}/lib/textfile.sh"
    run textfile_escape_label $'a\\b"c\nd'
    assert_output 'a\\b\"c\nd'
}

@test "textfile_write writes HELP, TYPE and samples grouped by metric, and leaves no temporary file" {
    source "${SCRIPTS}/lib/common.sh"
    source "${SCRIPTS}/lib/textfile.sh"
    textfile_declare demo_a gauge "first"
    textfile_declare demo_b gauge "second"
    textfile_sample demo_a 1 x=1
    textfile_sample demo_b 2
    textfile_sample demo_a 3 x='say "hi"'
    textfile_write demo.prom
    run cat "${TEXTFILE_DIR}/demo.prom"
    assert_output '# HELP demo_a first
# TYPE demo_a gauge
demo_a{x="1"} 1
demo_a{x="say \"hi\""} 3
# HELP demo_b second
# TYPE demo_b gauge
demo_b 2'
    run ls -A "$TEXTFILE_DIR"
    assert_output demo.prom
    [[ "$(stat -c %a "${TEXTFILE_DIR}/demo.prom")" == 644 ]]
}

@test "textfile_write replaces the file by a rename, never rewriting it in place" {
    source "${SCRIPTS}/lib/common.sh"
    source "${SCRIPTS}/lib/textfile.sh"
    printf 'old\n' >"${TEXTFILE_DIR}/demo.prom"
    # A reader holding the old file keeps seeing it whole: the new content is a new inode.
    exec 5<"${TEXTFILE_DIR}/demo.prom"
    textfile_declare demo_a gauge "first"
    textfile_sample demo_a 1
    textfile_write demo.prom
    run cat <&5
    exec 5<&-
    assert_output old
    run grep -c demo_a "${TEXTFILE_DIR}/demo.prom"
    assert_output 3
}

@test "textfile_write into a missing directory fails with its name and leaves nothing" {
    source "${SCRIPTS}/lib/common.sh"
    source "${SCRIPTS}/lib/textfile.sh"
    TEXTFILE_DIR="${BATS_TEST_TMPDIR}/missing"
    textfile_declare demo_a gauge "first"
    textfile_sample demo_a 1
    run --separate-stderr textfile_write demo.prom
    assert_failure 1
    [[ "$stderr" == *"${BATS_TEST_TMPDIR}/missing does not exist"* ]]
    [[ ! -e "${BATS_TEST_TMPDIR}/missing" ]]
}

@test "textfile_sample refuses a value that is not a number, a bad label and an undeclared metric" {
    source "${SCRIPTS}/lib/common.sh"
    source "${SCRIPTS}/lib/textfile.sh"
    textfile_declare demo_a gauge "first"
    run textfile_sample demo_a "12 monkeys"
    assert_failure 2
    run textfile_sample demo_a 1 "bad-label=x"
    assert_failure 2
    run textfile_sample demo_b 1
    assert_failure 2
    run textfile_write "../escape.prom"
    assert_failure 2
}

# ---------------------------------------------------------------------------------------
# backup-status.sh

@test "backup-status publishes each guest's last success time and last run result" {
    canned_backups
    run "${SCRIPTS}/backup-status.sh"
    assert_success
    run published homelab_backup.prom
    assert_output 'homelab_backup_last_run_success{vmid="100",storage="pbs"} 1
homelab_backup_last_run_success{vmid="101",storage="pbs"} 0
homelab_backup_last_run_success{vmid="102",storage="pbs"} 0
homelab_backup_last_success_timestamp_seconds{vmid="100",storage="pbs"} 1764030100
homelab_backup_last_success_timestamp_seconds{vmid="101",storage="pbs"} 1763940400'
    [[ "$(type_of homelab_backup.prom homelab_backup_last_run_success)" == gauge ]]
    [[ "$(type_of homelab_backup.prom homelab_backup_last_success_timestamp_seconds)" == gauge ]]
}

@test "backup-status asks the node named in PVE_NODE for its vzdump tasks over ssh" {
    canned_backups
    run "${SCRIPTS}/backup-status.sh"
    assert_success
    run cat "${FAKES}/ssh.calls"
    assert_output "pvesh get /nodes/pve/tasks --typefilter vzdump --limit 500 --output-format json"
}

@test "backup-status fails and writes nothing when the node cannot be reached" {
    run "${SCRIPTS}/backup-status.sh"
    assert_failure
    [[ ! -e "${TEXTFILE_DIR}/homelab_backup.prom" ]]
    # Three connection attempts, with the library's backoff in between.
    run grep -c pvesh "${FAKES}/ssh.calls"
    assert_output 3
}

# ---------------------------------------------------------------------------------------
# drift-check.sh

@test "drift-check publishes 1 for a module whose plan exits 2 and 0 for one that exits 0" {
    mkdir -p "${BATS_TEST_TMPDIR}/modules/vm" "${BATS_TEST_TMPDIR}/modules/backup"
    echo 2 >"${FAKES}/terraform.vm.status"
    echo 0 >"${FAKES}/terraform.backup.status"
    run "${SCRIPTS}/drift-check.sh" "${BATS_TEST_TMPDIR}/modules/vm" "${BATS_TEST_TMPDIR}/modules/backup"
    assert_success
    run published homelab_drift.prom
    assert_output "homelab_terraform_drift_detected{module=\"backup\"} 0
homelab_terraform_drift_detected{module=\"vm\"} 1
homelab_terraform_drift_last_check_timestamp_seconds{module=\"backup\"} ${NOW}
homelab_terraform_drift_last_check_timestamp_seconds{module=\"vm\"} ${NOW}"
    run cat "${FAKES}/terraform.calls"
    assert_line "-chdir=${BATS_TEST_TMPDIR}/modules/vm plan -detailed-exitcode -lock=false -input=false -no-color"
}

@test "drift-check leaves a module whose plan fails unpublished and exits 1" {
    mkdir -p "${BATS_TEST_TMPDIR}/modules/vm" "${BATS_TEST_TMPDIR}/modules/minio"
    echo 1 >"${FAKES}/terraform.minio.status"
    run "${SCRIPTS}/drift-check.sh" "${BATS_TEST_TMPDIR}/modules/vm" "${BATS_TEST_TMPDIR}/modules/minio"
    assert_failure 1
    assert_output --partial "terraform plan failed in ${BATS_TEST_TMPDIR}/modules/minio"
    run published homelab_drift.prom
    assert_output "homelab_terraform_drift_detected{module=\"vm\"} 0
homelab_terraform_drift_last_check_timestamp_seconds{module=\"vm\"} ${NOW}"
}

@test "drift-check keeps the previous values of a module whose plan fails, so its check grows stale" {
    mkdir -p "${BATS_TEST_TMPDIR}/modules/minio"
    printf '%s\n' 'homelab_terraform_drift_detected{module="minio"} 1' \
        'homelab_terraform_drift_last_check_timestamp_seconds{module="minio"} 1700000000' \
        >"${TEXTFILE_DIR}/homelab_drift.prom"
    echo 1 >"${FAKES}/terraform.minio.status"
    run "${SCRIPTS}/drift-check.sh" "${BATS_TEST_TMPDIR}/modules/minio"
    assert_failure 1
    run published homelab_drift.prom
    assert_output 'homelab_terraform_drift_detected{module="minio"} 1
homelab_terraform_drift_last_check_timestamp_seconds{module="minio"} 1700000000'
}

# ---------------------------------------------------------------------------------------
# health-check.sh

@test "health-check publishes 1 for a passing check, 0 for a failing one, and exits 1" {
    ssh_answers true ""
    echo 2 >"${FAKES}/getent.status"
    printf 401 >"${FAKES}/curl.code"
    run "${SCRIPTS}/health-check.sh"
    assert_failure 1
    run published homelab_health.prom
    assert_output "homelab_health_check_last_run_timestamp_seconds{check=\"dns-resolution\"} ${NOW}
homelab_health_check_last_run_timestamp_seconds{check=\"proxmox-api\"} ${NOW}
homelab_health_check_last_run_timestamp_seconds{check=\"ssh-access\"} ${NOW}
homelab_health_check_success{check=\"dns-resolution\"} 0
homelab_health_check_success{check=\"proxmox-api\"} 1
homelab_health_check_success{check=\"ssh-access\"} 1"
}

@test "health-check reports an unreachable node and an API error as failed checks" {
    printf 500 >"${FAKES}/curl.code"
    run "${SCRIPTS}/health-check.sh"
    assert_failure 1
    run grep '^homelab_health_check_success' "${TEXTFILE_DIR}/homelab_health.prom"
    assert_output 'homelab_health_check_success{check="dns-resolution"} 1
homelab_health_check_success{check="proxmox-api"} 0
homelab_health_check_success{check="ssh-access"} 0'
}

# ---------------------------------------------------------------------------------------
# lifecycle-report.sh

@test "lifecycle-report publishes each snapshot's time and each certificate's expiry" {
    canned_guests
    run "${SCRIPTS}/lifecycle-report.sh" --certificate "grafana=${BATS_TEST_TMPDIR}/grafana.pem"
    assert_success
    run published homelab_lifecycle.prom
    assert_output 'homelab_certificate_expiry_timestamp_seconds{certificate="grafana"} 1798718400
homelab_snapshot_created_timestamp_seconds{vmid="100",snapshot="pre-upgrade"} 1763000000
homelab_snapshot_created_timestamp_seconds{vmid="200",snapshot="before-dns"} 1762000000'
}

@test "lifecycle-report names a certificate it cannot read and still publishes the rest" {
    canned_guests
    printf 'garbage\n' >"${BATS_TEST_TMPDIR}/broken.pem"
    run "${SCRIPTS}/lifecycle-report.sh" --certificate "grafana=${BATS_TEST_TMPDIR}/grafana.pem" \
        --certificate "proxy=${BATS_TEST_TMPDIR}/broken.pem"
    assert_failure 1
    assert_output --partial "Cannot read the expiry date of certificate proxy from ${BATS_TEST_TMPDIR}/broken.pem"
    run grep -c '^homelab_' "${TEXTFILE_DIR}/homelab_lifecycle.prom"
    assert_output 3
}

# ---------------------------------------------------------------------------------------
# All scripts

# run_all: runs the four scripts with canned inputs; 0 when each behaved as expected.
run_all() {
    canned_backups
    canned_guests
    ssh_answers true ""
    mkdir -p "${BATS_TEST_TMPDIR}/modules/vm"
    "${SCRIPTS}/backup-status.sh" "$@" >/dev/null
    "${SCRIPTS}/drift-check.sh" "$@" "${BATS_TEST_TMPDIR}/modules/vm" >/dev/null
    "${SCRIPTS}/health-check.sh" "$@" >/dev/null
    "${SCRIPTS}/lifecycle-report.sh" "$@" --certificate "grafana=${BATS_TEST_TMPDIR}/grafana.pem" >/dev/null
}

@test "every file the scripts write passes promtool check metrics" {
    command -v promtool >/dev/null || skip "promtool is not installed"
    run_all
    local file
    for file in homelab_backup.prom homelab_drift.prom homelab_health.prom homelab_lifecycle.prom; do
        run promtool check metrics <"${TEXTFILE_DIR}/${file}"
        assert_success
        assert_output ""
    done
}

@test "the scripts leave only their .prom files in the textfile directory" {
    run_all
    run ls -A "$TEXTFILE_DIR"
    assert_output 'homelab_backup.prom
homelab_drift.prom
homelab_health.prom
homelab_lifecycle.prom'
}

@test "with --dry-run the scripts print their metrics and write nothing" {
    run_all --dry-run
    run ls -A "$TEXTFILE_DIR"
    assert_output ""
    canned_backups
    run "${SCRIPTS}/backup-status.sh" --dry-run
    assert_success
    assert_line "[DRY-RUN] would write ${TEXTFILE_DIR}/homelab_backup.prom:"
    assert_line 'homelab_backup_last_run_success{vmid="100",storage="pbs"} 1'
}

@test "each script explains itself with --help and touches nothing" {
    local script
    for script in backup-status drift-check health-check lifecycle-report; do
        run "${SCRIPTS}/${script}.sh" --help
        assert_success
        assert_line --partial "Usage: ${script}.sh [--dry-run]"
    done
    [[ ! -e "${FAKES}/ssh.calls" && ! -e "${FAKES}/terraform.calls" ]]
    run ls -A "$TEXTFILE_DIR"
    assert_output ""
}

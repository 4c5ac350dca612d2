# Shared setup of the common.sh tests: loads bats-support/bats-assert, sources the
# library found relative to this file, and puts recording stubs first on PATH.

# Debian/Ubuntu put the helper libraries in /usr/lib/bats (bats' own default); Homebrew
# and npm installs use other prefixes. Appending keeps a user's BATS_LIB_PATH first.
BATS_LIB_PATH="${BATS_LIB_PATH:+${BATS_LIB_PATH}:}/usr/lib/bats:/usr/local/lib/bats:/opt/homebrew/lib:/usr/local/lib/node_modules"
export BATS_LIB_PATH

# load_library NAME: bats_load_library, minus its cost. Each library's load.bash runs
# `dirname` once per file it sources; every test loads both libraries again, and those
# forks were two thirds of this file's run time. Sourcing src/*.bash directly does the
# same without forking; a layout without src/ falls back to bats_load_library.
load_library() {
    local dir file
    local -a dirs
    IFS=: read -ra dirs <<<"$BATS_LIB_PATH"
    for dir in "${dirs[@]}"; do
        if [[ -f "${dir}/${1}/load.bash" && -d "${dir}/${1}/src" ]]; then
            for file in "${dir}/${1}/src/"*.bash; do
                # shellcheck disable=SC1090
                source "$file"
            done
            return 0
        fi
    done
    bats_load_library "$1"
}
load_library bats-support
load_library bats-assert

COMMON_SH="${BATS_TEST_DIRNAME}/../../scripts/lib/common.sh"

# Every stub in stubs/bin is the same recording-stub under another name.
# script_statuses NAME STATUS...: the exit statuses the stub NAME gives, call by call.
script_statuses() {
    local name="$1"
    shift
    printf '%s\n' "$@" >"${STUB_DIR}/${name}.statuses"
}

# calls_of NAME: the recorded calls of stub NAME, one per line (nothing if never called).
calls_of() {
    if [[ -f "${STUB_DIR}/${1}.calls" ]]; then
        printf '%s\n' "$(<"${STUB_DIR}/${1}.calls")"
    fi
}

# call_count NAME: how many times stub NAME ran.
call_count() {
    local -a calls=()
    if [[ -f "${STUB_DIR}/${1}.calls" ]]; then
        mapfile -t calls <"${STUB_DIR}/${1}.calls"
    fi
    printf '%s\n' "${#calls[@]}"
}

# delays: the seconds the stubbed sleep was asked to wait, space separated.
delays() {
    local -a calls=()
    if [[ -f "${STUB_DIR}/sleep.calls" ]]; then
        mapfile -t calls <"${STUB_DIR}/sleep.calls"
    fi
    printf '%s\n' "${calls[*]}"
}

common_setup() {
    # Records of the stubs' calls go to this test's own directory.
    export STUB_DIR="${BATS_TEST_TMPDIR}"
    # A real sleep, ssh or df must never run: every test sees the recording stubs first.
    export PATH="${BATS_TEST_DIRNAME}/stubs/bin:${PATH}"
    unset DRY_RUN FORCE RETRY_ON RETRY_BASE_DELAY RETRY_MAX_DELAY PVE_NODE PVE_IP NO_COLOR
    # shellcheck source=../../scripts/lib/common.sh
    source "$COMMON_SH"
}

#!/usr/bin/env bash
# shellcheck shell=bash
#
# textfile.sh: writing metrics for node-exporter's textfile collector, safely.
#
# Source it after common.sh. A script declares each metric family once, adds samples in
# any order, and writes one file at the end:
#
#   textfile_declare homelab_backup_last_run_success gauge "1 if the last backup run succeeded"
#   textfile_sample homelab_backup_last_run_success 1 vmid=100 storage=pbs
#   textfile_write homelab_backup.prom
#
# The file is written whole into TEXTFILE_DIR through a temporary file in the same
# directory and a rename, so node-exporter never reads half a file; the temporary name
# does not end in .prom, so the collector never picks it up. With DRY_RUN=true the
# exposition is printed instead and nothing is written.
#
# Globals:
#   TEXTFILE_DIR  node-exporter's textfile directory (default /var/lib/prometheus/node-exporter)

if [[ -n "${_HOMELAB_TEXTFILE_SH_LOADED:-}" ]]; then
    return 0
fi
_HOMELAB_TEXTFILE_SH_LOADED=1

TEXTFILE_DIR="${TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}"

# Families in the order they were declared, and per family its type, help and samples.
_TEXTFILE_ORDER=()
declare -A _TEXTFILE_TYPE=() _TEXTFILE_HELP=() _TEXTFILE_SAMPLES=()

# now_seconds: the current Unix time (one place, so that tests can fake `date`).
now_seconds() {
    date +%s
}

# textfile_escape_label VALUE: VALUE as the inside of a quoted label value (\ " newline).
textfile_escape_label() {
    local value="${1-}"
    value="${value//\\/\\\\}"
    value="${value//\"/\\\"}"
    value="${value//$'\n'/\\n}"
    printf '%s' "$value"
}

# textfile_declare NAME TYPE HELP: a metric family (TYPE gauge, counter or untyped).
textfile_declare() {
    local name="${1:-}" type="${2:-}" help="${3:-}"
    if [[ ! "$name" =~ ^[a-zA-Z_:][a-zA-Z0-9_:]*$ ]]; then
        log_error "textfile_declare: '${name}' is not a valid metric name"
        return 2
    fi
    case "$type" in
        gauge | counter | untyped) ;;
        *)
            log_error "textfile_declare ${name}: type must be gauge, counter or untyped, got '${type}'"
            return 2
            ;;
    esac
    if [[ -z "${_TEXTFILE_TYPE[$name]+set}" ]]; then
        _TEXTFILE_ORDER+=("$name")
        _TEXTFILE_SAMPLES[$name]=""
    fi
    _TEXTFILE_TYPE[$name]="$type"
    # HELP text escapes only backslash and newline.
    help="${help//\\/\\\\}"
    _TEXTFILE_HELP[$name]="${help//$'\n'/\\n}"
}

# textfile_series NAME [LABEL=VALUE...]: the series as the file spells it,
# name{label="value",...}, label values escaped; 2 on a bad label.
textfile_series() {
    local name="${1:-}" pair label labels=""
    shift || true
    for pair in "$@"; do
        label="${pair%%=*}"
        if [[ "$pair" != *=* || ! "$label" =~ ^[a-zA-Z_][a-zA-Z0-9_]*$ || "$label" == __* ]]; then
            log_error "textfile_series ${name}: '${pair}' is not LABEL=VALUE with a valid label name"
            return 2
        fi
        labels+="${labels:+,}${label}=\"$(textfile_escape_label "${pair#*=}")\""
    done
    if [[ -n "$labels" ]]; then
        printf '%s{%s}\n' "$name" "$labels"
    else
        printf '%s\n' "$name"
    fi
}

# textfile_sample NAME VALUE [LABEL=VALUE...]: one sample of a declared family. VALUE is a
# number (integer, decimal, exponent, NaN, +Inf, -Inf). The same series twice is an error.
textfile_sample() {
    local name="${1:-}" value="${2:-}" series
    if [[ -z "${_TEXTFILE_TYPE[$name]+set}" ]]; then
        log_error "textfile_sample: metric '${name}' was not declared with textfile_declare"
        return 2
    fi
    if [[ ! "$value" =~ ^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$ && ! "$value" =~ ^(NaN|[-+]Inf)$ ]]; then
        log_error "textfile_sample ${name}: '${value}' is not a number"
        return 2
    fi
    shift 2
    series="$(textfile_series "$name" "$@")" || return 2
    if [[ $'\n'"${_TEXTFILE_SAMPLES[$name]}" == *$'\n'"${series} "* ]]; then
        log_error "textfile_sample: the series ${series} was given twice"
        return 2
    fi
    _TEXTFILE_SAMPLES[$name]+="${series} ${value}"$'\n'
}

# textfile_render: the exposition of every declared family that has samples. A family
# without samples is left out: HELP and TYPE alone would say nothing.
textfile_render() {
    local name
    for name in "${_TEXTFILE_ORDER[@]}"; do
        if [[ -z "${_TEXTFILE_SAMPLES[$name]}" ]]; then
            continue
        fi
        printf '# HELP %s %s\n' "$name" "${_TEXTFILE_HELP[$name]}"
        printf '# TYPE %s %s\n' "$name" "${_TEXTFILE_TYPE[$name]}"
        printf '%s' "${_TEXTFILE_SAMPLES[$name]}"
    done
}

# textfile_write FILE: writes the exposition to TEXTFILE_DIR/FILE (FILE a plain name
# ending in .prom) atomically, or prints it under DRY_RUN=true.
textfile_write() {
    local file="${1:-}" target temporary
    if [[ ! "$file" =~ ^[A-Za-z0-9_.-]+\.prom$ ]]; then
        log_error "usage: textfile_write FILE (a plain file name ending in .prom), got '${file}'"
        return 2
    fi
    target="${TEXTFILE_DIR}/${file}"
    if [[ "${DRY_RUN:-false}" == "true" ]]; then
        printf '[DRY-RUN] would write %s:\n' "$target"
        textfile_render
        return 0
    fi
    if [[ ! -d "$TEXTFILE_DIR" || ! -w "$TEXTFILE_DIR" ]]; then
        log_error "textfile_write: the textfile directory ${TEXTFILE_DIR} does not exist or is not writable"
        return 1
    fi
    # Same directory, so the rename is atomic; a leading dot and no .prom suffix, so the
    # collector ignores it while it is being written.
    temporary="$(mktemp "${TEXTFILE_DIR}/.${file}.XXXXXX")" || {
        log_error "textfile_write: cannot create a temporary file in ${TEXTFILE_DIR}"
        return 1
    }
    if textfile_render >"$temporary" && chmod 0644 "$temporary" && mv -f "$temporary" "$target"; then
        return 0
    fi
    rm -f "$temporary"
    log_error "textfile_write: cannot write ${target}"
    return 1
}

# textfile_previous FILE SERIES: the value SERIES (as textfile_series spells it) has in
# TEXTFILE_DIR/FILE, written by an earlier run; nothing when absent.
# Lets a script keep a value it could not measure this time instead of dropping it.
textfile_previous() {
    local file="${TEXTFILE_DIR}/${1:-}" series="${2:-}" line
    if [[ ! -r "$file" ]]; then
        return 0
    fi
    while IFS= read -r line; do
        if [[ "$line" == "${series} "* ]]; then
            printf '%s\n' "${line#"${series} "}"
            return 0
        fi
    done <"$file"
}

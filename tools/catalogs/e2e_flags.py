#!/usr/bin/env python3
"""The flags node_exporter's end-to-end test (end-to-end-test.sh at a release tag) starts the
binary with, one per line, for a run of the same binary on the same fixtures.

Reads the script instead of copying its flags, so that regenerating from another tag uses
that tag's collectors and fixture paths. The collector lists are the `enabled_collectors` and
`disabled_collectors` here-documents; the other flags are the literal `--...` lines of the
`./node_exporter` call and, from v1.9.0 on, of the `collector_flags` here-document, with the
x86_64 values of the script's cpu.info variables. Only the listen address and log level are
left out (the caller picks a free port).

From v1.9.0 on, the test keeps only the flags of the collectors its build has; with `--known
HELP` (the binary's --help output) this script does the same, keeping a `--[no-]collector.X[.Y]`
flag only when the binary offers it, and names the ones it left out on stderr. Standard
library only.
"""

import argparse
import re
import shlex
import sys

CPU_INFO = {
    "${cpu_info_collector}": "--collector.cpu.info",
    "${cpu_info_bugs}": "^(cpu_meltdown|spectre_.*|mds)$",
    "${cpu_info_flags}": "^(aes|avx.?|constant_tsc)$",
}


def heredoc(text, variable):
    m = re.search(variable + r"=\$\(cat << COLLECTORS\n(.*?)\nCOLLECTORS", text, re.S)
    if not m:
        sys.exit(f"e2e_flags: {variable} not found in end-to-end-test.sh")
    return m.group(1).split()


def known_flags(help_text):
    """The flag names (without `--`, `no-` and value) a binary's --help lists."""
    return set(re.findall(r"--(?:\[no-\])?([a-zA-Z0-9][a-zA-Z0-9._-]*)", help_text))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("script", help="end-to-end-test.sh at the release tag")
    p.add_argument("--known", help="the binary's --help output: keep only the flags it offers")
    args = p.parse_args()
    text = open(args.script, encoding="utf-8").read()
    flags = [f"--collector.{c}" for c in heredoc(text, "enabled_collectors")]
    flags += [f"--no-collector.{c}" for c in heredoc(text, "disabled_collectors")]
    call = re.search(r"^\./node_exporter \\\n(.*?)> \"\$\{tmpdir\}", text, re.S | re.M)
    if not call:
        sys.exit("e2e_flags: the ./node_exporter call was not found in end-to-end-test.sh")
    lines = call.group(1).splitlines()
    listed = re.search(r"^collector_flags=\$\(cat << FLAGS\n(.*?)\nFLAGS", text, re.S | re.M)
    if listed:
        lines = listed.group(1).splitlines() + lines
    for line in lines:
        line = line.strip().rstrip("\\").strip()
        for variable, value in CPU_INFO.items():
            line = line.replace(variable, value)
        if not line.startswith(("--", '"')) or "$(for" in line:
            continue
        for word in shlex.split(line):
            if word.startswith(("--web.listen-address", "--log.level")) or not word.startswith("--"):
                continue
            flags.append(word)
    if args.known:
        known = known_flags(open(args.known, encoding="utf-8").read())
        offered = [f for f in flags if re.sub(r"^--(no-)?", "", f.split("=", 1)[0]) in known]
        left_out = [f for f in flags if f not in offered]
        if left_out:
            print("e2e_flags: flags of collectors this binary does not have, left out: "
                  + " ".join(left_out), file=sys.stderr)
        flags = offered
    print("\n".join(flags))


if __name__ == "__main__":
    main()

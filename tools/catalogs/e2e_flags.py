#!/usr/bin/env python3
"""The flags node_exporter's end-to-end test (end-to-end-test.sh at a release tag) starts the
binary with, one per line, for a run of the same binary on the same fixtures.

Reads the script instead of copying its flags, so that regenerating from another tag uses
that tag's collectors and fixture paths. The collector lists are the `enabled_collectors` and
`disabled_collectors` here-documents; the other flags are the literal `--...` lines of the
`./node_exporter` call, with the x86_64 values of the script's cpu.info variables. Only the
listen address and log level are left out (the caller picks a free port). Standard library
only.
"""

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


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    flags = [f"--collector.{c}" for c in heredoc(text, "enabled_collectors")]
    flags += [f"--no-collector.{c}" for c in heredoc(text, "disabled_collectors")]
    call = re.search(r"^\./node_exporter \\\n(.*?)> \"\$\{tmpdir\}", text, re.S | re.M)
    if not call:
        sys.exit("e2e_flags: the ./node_exporter call was not found in end-to-end-test.sh")
    for line in call.group(1).splitlines():
        line = line.strip().rstrip("\\").strip()
        if not line.startswith(("--", '"')) or "$(for" in line:
            continue
        for variable, value in CPU_INFO.items():
            line = line.replace(variable, value)
        for word in shlex.split(line):
            if word.startswith(("--web.listen-address", "--log.level")) or not word.startswith("--"):
                continue
            flags.append(word)
    print("\n".join(flags))


if __name__ == "__main__":
    main()

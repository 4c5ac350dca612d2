#!/usr/bin/env python3
"""The rows of supplements/node-exporter-systemd.tsv that one node-exporter release's systemd
collector really defines, checked against collector/systemd_linux.go at the release tag.

node_systemd_* cannot be scraped in a container (no systemd over D-Bus), so the catalog takes
them from the supplement, written down from the collector's source. Releases differ (1.11 added
node_systemd_virtualization_info), so each release keeps only the rows its source defines: the
source builds a family as

    prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, "unit_state"),
        "Systemd unit", []string{"name", "state", "type"}, nil)

A row is kept when the source has a family of that name with the same help and labels; one with
another help or labels stops the script (the row would describe another release), and so does a
family of the source that the supplement does not list.

Output (stdout): the kept rows, in the supplement's format. Standard library only.
"""

import argparse
import re
import sys
import supplement_rows

DESC = re.compile(
    r'prometheus\.NewDesc\(\s*prometheus\.BuildFQName\(namespace,\s*subsystem,\s*"(\w+)"\),\s*'
    r'"((?:[^"\\]|\\.)*)",\s*(nil|\[\]string\{([^}]*)\})'
)
PREFIX = "node_systemd_"


def families_in(source):
    """name -> (help, labels) for every family the collector describes."""
    found = {}
    for m in DESC.finditer(source):
        labels = re.findall(r'"(\w+)"', m.group(4) or "")
        found[PREFIX + m.group(1)] = (m.group(2), labels)
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", required=True, help="collector/systemd_linux.go at the release tag")
    p.add_argument("--supplement", required=True, help="supplements/node-exporter-systemd.tsv")
    args = p.parse_args()

    with open(args.source, encoding="utf-8") as f:
        source = families_in(f.read())
    if not source:
        sys.exit(f"systemd_supplement: no prometheus.NewDesc(BuildFQName(...)) found in {args.source}")
    kept, listed = [], set()
    for number, line, row in supplement_rows.rows(args.supplement):
        if row is None:
            kept.append(line)
            continue
        name, labels, help_text = row
        listed.add(name)
        if name not in source:
            continue
        where = f"{args.supplement}:{number}: {name}"
        if source[name] != (help_text, labels):
            sys.exit(f"{where}: {args.source} describes it as {source[name]}; review the row")
        kept.append(line)
    unlisted = sorted(set(source) - listed)
    if unlisted:
        sys.exit(f"systemd_supplement: {args.source} has families {args.supplement} does not list: "
                 + ", ".join(unlisted))
    print("\n".join(kept))


if __name__ == "__main__":
    main()

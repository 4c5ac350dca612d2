#!/usr/bin/env python3
"""The rows of supplements/prometheus-pve-exporter-source.tsv that one installed release of
prometheus-pve-exporter really defines, checked against that release's own source.

The supplement lists the families a scrape against fakepve cannot produce (replication, QDevice,
a paid subscription's due date), written down from the newest release. Older releases lack some
of them (the replication collector came in 3.3, the subscription collector in 3.6, QDevice in
3.9), so each release keeps only the rows its source defines. A row is kept when the release's
pve_exporter package constructs a metric family of that name (`...MetricFamily("name", "help",
labels=[...])`), with the same help and, where the source writes the label list literally, the
same labels; a family of that name with another help or labels stops the script, because the row
would then describe another release than the one being catalogued.

It also checks the other direction: every family name the source writes literally must be in
the scrape (--scrape, repeatable) or kept here, so a family fakepve cannot produce and the
supplement does not list is noticed instead of silently missing from the catalog.

Output (stdout): the kept rows, in the supplement's format. Standard library only.
"""

import argparse
import ast
import pathlib
import re
import sys
import supplement_rows


def literal(node):
    """The string a constant (or implicitly concatenated/parenthesised constant) spells, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal(node.left), literal(node.right)
        return left + right if left is not None and right is not None else None
    return None


def families_in(package):
    """name -> (help or None, labels list or None) for every MetricFamily built with a literal name."""
    found = {}
    for path in sorted(pathlib.Path(package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if not name.endswith("MetricFamily") or not call.args:
                continue
            family = literal(call.args[0])
            if family is None:
                continue
            help_text = literal(call.args[1]) if len(call.args) > 1 else None
            labels = None
            for kw in call.keywords:
                if kw.arg == "labels" and isinstance(kw.value, ast.List):
                    items = [literal(e) for e in kw.value.elts]
                    labels = items if None not in items else None
            found[family] = (help_text, labels)
    return found


def scraped(paths):
    names = set()
    for path in paths:
        for line in pathlib.Path(path).read_text(encoding="utf-8").split("\n"):
            # Family names (# TYPE) and series names: prometheus_client writes a counter's
            # family without `_total` and an info family without `_info`.
            m = re.match(r"# TYPE (\S+)", line) or re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
            if m:
                names.add(m.group(1))
    return names


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--package", required=True, help="the installed pve_exporter package directory")
    p.add_argument("--supplement", required=True, help="supplements/prometheus-pve-exporter-source.tsv")
    p.add_argument("--scrape", action="append", default=[], help="exposition text of the release")
    args = p.parse_args()

    source = families_in(args.package)
    if not source:
        sys.exit(f"pve_source_supplement: no metric family found under {args.package}")
    kept, listed = [], set()
    for number, line, row in supplement_rows.rows(args.supplement):
        if row is None:
            kept.append(line)
            continue
        name, labels, help_text = row
        listed.add(name)
        if name not in source:
            continue
        src_help, src_labels = source[name]
        where = f"{args.supplement}:{number}: {name}"
        if src_help is not None and src_help != help_text:
            sys.exit(f"{where}: the release's source has the help {src_help!r}; review the row")
        if src_labels is not None and src_labels != labels:
            sys.exit(f"{where}: the release's source has the labels {src_labels}; review the row")
        kept.append(line)
    seen = scraped(args.scrape)
    unaccounted = sorted(n for n in source
                         if n not in listed and not {n, n + "_total", n + "_info"} & seen)
    if unaccounted:
        sys.exit("pve_source_supplement: families in the release's source that neither the scrape "
                 f"nor {args.supplement} has: {', '.join(unaccounted)}")
    print("\n".join(kept))


if __name__ == "__main__":
    main()

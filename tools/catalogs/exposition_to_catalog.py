#!/usr/bin/env python3
"""Turn a Prometheus text-format scrape into an exporter catalog (src/alerts/catalogs/*.yml).

The catalog lists every metric family the scrape exposes, its type, and the label names the
exporter itself puts on its series. Histograms and summaries also get one entry per series
name (`_bucket`, `_sum`, `_count`) so that a selector on any of them resolves.

Metrics a scrape on this machine cannot produce (a collector that needs systemd, a collector
that fails against a fake API) come from a supplement file, one metric per line:

    name <TAB> type <TAB> label,label <TAB> source <TAB> help [<TAB> requires]

with source `documentation`, `source-code`, `contract`, or `scrape` for series observed on a
real server by other means than its /metrics page. Supplement entries never override scraped ones.
The optional sixth column names the configuration a metric needs that the monitoring stack
does not use (`remote_write`): the checker then says so instead of "never fires".

`--fixture-scrape` adds a scrape of the real exporter on its project's test fixtures (a host
with hardware this machine lacks), marked `fixture-scrape`; `--patterns` adds families whose
names the exporter builds at run time (regex <TAB> type <TAB> labels <TAB> source <TAB> help).

Standard library only, so it runs on any machine with python3.
"""

import argparse
import re
import sys

SOURCES = ("scrape", "fixture-scrape", "documentation", "source-code", "contract")

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+\S+(\s+\S+)?$")
LABEL_NAME = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"')


def label_names(body):
    """Names of the labels in `a="x",b="y\\"z"` (values may contain escaped quotes and commas)."""
    names, pos = [], 0
    while pos < len(body):
        m = LABEL_NAME.match(body, pos)
        if not m:
            break
        names.append(m.group(1))
        pos = m.end()
        while pos < len(body) and body[pos] != '"':
            pos += 2 if body[pos] == "\\" else 1
        pos += 1
        while pos < len(body) and body[pos] in ", ":
            pos += 1
    return names


def unescape_help(text):
    return text.replace("\\n", "\n").replace("\\\\", "\\")


def parse_exposition(text):
    """Families: name -> {type, help, series: {series_name: set(label names)}}."""
    families = {}
    # Only "\n" ends a line in the text format; str.splitlines() would also split on the
    # Unicode separators a label value may hold (the fixtures' DMI strings do).
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                fam = families.setdefault(parts[2], {"type": "untyped", "help": "", "series": {}})
                if parts[1] == "TYPE":
                    fam["type"] = parts[3].strip() if len(parts) > 3 else "untyped"
                else:
                    fam["help"] = unescape_help(parts[3]) if len(parts) > 3 else ""
            continue
        m = SAMPLE.match(line)
        if not m:
            sys.exit(f"exposition_to_catalog: cannot parse sample line: {raw!r}")
        series, body = m.group(1), m.group(3) or ""
        fam_name = family_of(series, families)
        fam = families.setdefault(fam_name, {"type": "untyped", "help": "", "series": {}})
        fam["series"].setdefault(series, set()).update(label_names(body))
    return families


def family_of(series, families):
    """The family a sample belongs to: itself, or the histogram/summary it is a part of."""
    if series in families:
        return series
    # OpenMetrics-style counters declare the family without `_total`.
    if series.endswith("_total") and families.get(series[:-6], {}).get("type") == "counter":
        return series[:-6]
    for suffix in ("_bucket", "_sum", "_count"):
        if series.endswith(suffix):
            base = series[: -len(suffix)]
            if base in families and families[base]["type"] in ("histogram", "summary"):
                return base
    return series


def entries_from_family(name, fam, source):
    """Catalog entries (name -> dict) for one family."""
    kind = fam["type"]
    all_labels = set()
    for labels in fam["series"].values():
        all_labels |= labels
    entries = {}
    if kind == "histogram":
        base = sorted(all_labels - {"le"})
        entries[name] = entry(kind, base, source, fam["help"])
        entries[name + "_bucket"] = entry(kind, sorted(set(base) | {"le"}), source, fam["help"], name)
        entries[name + "_sum"] = entry(kind, base, source, fam["help"], name)
        entries[name + "_count"] = entry(kind, base, source, fam["help"], name)
    elif kind == "summary":
        base = sorted(all_labels - {"quantile"})
        with_quantile = sorted(set(base) | {"quantile"}) if fam["series"].get(name) else base
        entries[name] = entry(kind, with_quantile, source, fam["help"])
        entries[name + "_sum"] = entry(kind, base, source, fam["help"], name)
        entries[name + "_count"] = entry(kind, base, source, fam["help"], name)
    else:
        entries[name] = entry(kind, sorted(all_labels), source, fam["help"])
    return entries


def entry(kind, labels, source, help_text, family=None):
    e = {"type": kind, "labels": labels, "source": source, "help": help_text}
    if family:
        e["family"] = family
    return e


def yaml_single(text):
    return "'" + text.replace("'", "''") + "'"


def read_supplement(path):
    """Families from a supplement file (see the module doc)."""
    families = {}
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) not in (5, 6):
                sys.exit(f"{path}:{number}: expected 5 or 6 tab-separated columns "
                         f"(name, type, labels, source, help[, requires]), found {len(cols)}")
            name, kind, labels, source, help_text = cols[:5]
            requires = cols[5] if len(cols) == 6 else None
            if source not in SOURCES:
                sys.exit(f"{path}:{number}: source must be one of {', '.join(SOURCES)}, found {source!r}")
            label_set = {label for label in labels.split(",") if label}
            series = {name: label_set}
            if kind == "histogram":
                series = {name + "_bucket": label_set | {"le"}}
            families[name] = {"type": kind, "help": help_text, "series": series, "source": source,
                              "requires": requires}
    return families


def read_patterns(path):
    """Patterns: regex, type, labels, source, help."""
    patterns = []
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 5 or not (cols[0].startswith("^") and cols[0].endswith("$")):
                sys.exit(f"{path}:{number}: expected an anchored regex, type, labels, source, help")
            re.compile(cols[0])
            patterns.append({"match": cols[0], "type": cols[1],
                             "labels": sorted(l for l in cols[2].split(",") if l),
                             "source": cols[3], "help": cols[4]})
    return patterns


def yaml_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def render(header, entries, patterns=()):
    out = [
        f"# Exporter catalog: generated by tools/catalogs/exposition_to_catalog.py, do not edit by hand.",
        f"exporter: {header['exporter']}",
        f"version: {yaml_string(header['version'])}",
        f"produced_by: {yaml_string(header['produced_by'])}",
        f"regenerate: {yaml_string(header['regenerate'])}",
        "metrics:",
    ]
    for name in sorted(entries):
        e = entries[name]
        out.append(f"  {name}:")
        out.append(f"    type: {e['type']}")
        out.append(f"    labels: [{', '.join(e['labels'])}]")
        out.append(f"    source: {e['source']}")
        if e.get("family"):
            out.append(f"    family: {e['family']}")
        if e.get("requires"):
            out.append(f"    requires: {e['requires']}")
        if e.get("help"):
            out.append(f"    help: {yaml_string(e['help'])}")
    if patterns:
        out.append("patterns:")
        for p in patterns:
            out.append(f"  - match: {yaml_single(p['match'])}")
            out.append(f"    type: {p['type']}")
            out.append(f"    labels: [{', '.join(p['labels'])}]")
            out.append(f"    source: {p['source']}")
            out.append(f"    help: {yaml_string(p['help'])}")
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--exporter", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--produced-by", required=True)
    p.add_argument("--regenerate", required=True)
    p.add_argument("--scrape", action="append", default=[], help="exposition text file (repeatable)")
    p.add_argument("--fixture-scrape", action="append", default=[],
                   help="exposition text of the real exporter on its project's test fixtures (repeatable)")
    p.add_argument("--fixture-keep-prefix", action="append", default=[],
                   help="keep only fixture families whose name starts with this (repeatable)")
    p.add_argument("--conditional-scrape", action="append", default=[], metavar="CONFIG=FILE",
                   help="a scrape of the server with CONFIG added: its new families get requires: CONFIG")
    p.add_argument("--supplement", action="append", default=[], help="supplement file (repeatable)")
    p.add_argument("--patterns", action="append", default=[], help="patterns file (repeatable)")
    p.add_argument("--drop-prefix", action="append", default=[],
                   help="leave out families whose name starts with this (e.g. a client library's own)")
    p.add_argument("--keep-prefix", action="append", default=[],
                   help="keep only families whose name starts with this (repeatable)")
    p.add_argument("--source", default="scrape", choices=["scrape", "contract"],
                   help="source recorded for scraped families (contract: a declared contract served by a real exporter)")
    p.add_argument("--output", required=True)
    args = p.parse_args()

    entries = {}
    for path in args.scrape:
        with open(path, encoding="utf-8") as f:
            for name, fam in parse_exposition(f.read()).items():
                if any(name.startswith(prefix) for prefix in args.drop_prefix):
                    continue
                if args.keep_prefix and not any(name.startswith(prefix) for prefix in args.keep_prefix):
                    continue
                if not fam["series"]:
                    continue  # HELP/TYPE without samples: no label names to learn
                for key, e in entries_from_family(name, fam, args.source).items():
                    if key in entries:
                        e["labels"] = sorted(set(e["labels"]) | set(entries[key]["labels"]))
                    entries[key] = e
    # Fixture families add what this machine lacks; a name both have keeps its machine
    # source and gains the fixture's labels.
    for path in args.fixture_scrape:
        with open(path, encoding="utf-8") as f:
            for name, fam in parse_exposition(f.read()).items():
                keep = args.fixture_keep_prefix
                if keep and not any(name.startswith(prefix) for prefix in keep):
                    continue  # e.g. the fixtures' own textfile test metrics
                if not fam["series"]:
                    continue
                for key, e in entries_from_family(name, fam, "fixture-scrape").items():
                    if key in entries:
                        entries[key]["labels"] = sorted(set(e["labels"]) | set(entries[key]["labels"]))
                    else:
                        entries[key] = e
    # Families only a configuration the stack does not use brings, with every configuration
    # that brought them ("http_sd_configs or dns_sd_configs").
    for spec in args.conditional_scrape:
        config, _, path = spec.partition("=")
        with open(path, encoding="utf-8") as f:
            for name, fam in parse_exposition(f.read()).items():
                if any(name.startswith(prefix) for prefix in args.drop_prefix) or not fam["series"]:
                    continue
                for key, e in entries_from_family(name, fam, "scrape").items():
                    if key not in entries:
                        e["requires"] = config
                        entries[key] = e
                    elif entries[key].get("requires") and config not in entries[key]["requires"].split(" or "):
                        entries[key]["requires"] += " or " + config
                        entries[key]["labels"] = sorted(set(e["labels"]) | set(entries[key]["labels"]))
    for path in args.supplement:
        for name, fam in read_supplement(path).items():
            for key, e in entries_from_family(name, fam, fam["source"]).items():
                if fam.get("requires"):
                    e["requires"] = fam["requires"]
                entries.setdefault(key, e)
    patterns = [p for path in args.patterns for p in read_patterns(path)]

    header = {k: getattr(args, k) for k in ("exporter", "version", "produced_by", "regenerate")}
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(render(header, entries, patterns))
    print(f"{args.output}: {len(entries)} metrics, {len(patterns)} patterns", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The hwmon metric names node-exporter builds at run time, as catalog patterns.

node-exporter's hwmon collector names a metric after the sysfs file it reads:
node_hwmon_<type>_<element> plus a unit per sensor type (collector/hwmon_linux.go). Which
files a host has depends on its sensor chips, so no scrape can list them all; this script
combines the collector's naming rule, read from its source at the release tag, with the
per-channel attributes the kernel documents (supplements/hwmon-sysfs-attributes.tsv).

The rule is restated below from hwmon_linux.go v1.5.0 (and the GPU frequency case v1.9.0 added).
To keep it honest, the script first checks that the source still contains each piece of the
rule it restates (the sensor type list, the label names, every unit suffix and the special
cases) and has no unit suffix the rule does not know, and stops otherwise: a new exporter
version with another naming rule must be looked at, not silently mis-described.

Output (stdout): one pattern per line, tab-separated, as exposition_to_catalog.py --patterns
reads them: regex, type, labels, source, help. Standard library only.
"""

import argparse
import re
import sys

# Fragments of hwmon_linux.go that the rule below restates; each must be in the source.
RULE_FRAGMENTS = [
    'hwmonLabelDesc          = []string{"chip", "sensor"}',
    'prefix := "node_hwmon_" + sensorType',
    'name = name + "_" + cleanMetricName(element)',
    'if element == "fault" || element == "alarm" {',
    'if element == "beep" {',
    'prometheus.NewDesc(name+"_enabled"',
    'if sensorType == "in" || sensorType == "cpu" {',
    'prometheus.NewDesc(name+"_volts"',
    'if sensorType == "temp" && element != "type" {',
    'prometheus.NewDesc(name+"_celsius"',
    'if sensorType == "curr" {',
    'prometheus.NewDesc(name+"_amps"',
    'if sensorType == "energy" {',
    'prometheus.NewDesc(name+"_joule_total"',
    'if sensorType == "power" && element == "accuracy" {',
    'if sensorType == "power" && (element == "average_interval" || element == "average_interval_min" || element == "average_interval_max") {',
    'prometheus.NewDesc(name+"_seconds"',
    'if sensorType == "power" {',
    'prometheus.NewDesc(name+"_watt"',
    'if sensorType == "humidity" {',
    'if sensorType == "fan" && (element == "input" || element == "min" || element == "max" || element == "target") {',
    'prometheus.NewDesc(name+"_rpm"',
]

# The unit suffixes the rule below knows. Every `prometheus.NewDesc(name+"<suffix>"` of the
# source must be one of them: a release that adds a special case stops the script.
KNOWN_SUFFIXES = {"_enabled", "_volts", "_celsius", "_amps", "_joule_total", "_seconds", "_watt",
                  "_rpm", "_freq_mhz"}

# The GPU frequency case 1.9 added (hwmon_linux.go from v1.9.0 on): a freq channel's input,
# in MHz, named after the channel's label. Only applied when the source has it.
FREQ_FRAGMENT = 'if sensorType == "freq" && element == "input" {'

# Sensor types the collector handles with a fixed name of its own, not the rule.
FIXED_NAME_TYPES = {"vrm", "beep_enable", "update_interval"}


def sensor_types(source):
    m = re.search(r"hwmonSensorTypes\s*=\s*\[\]string\{([^}]*)\}", source)
    if not m:
        sys.exit("hwmon_patterns: hwmonSensorTypes not found in the collector source")
    return re.findall(r'"([a-z_]+)"', m.group(1))


def metric_for(sensor_type, element, freq_rule=False):
    """(name with <N> placeholders, type) for one attribute, as hwmon_linux.go names it."""
    name = "node_hwmon_" + sensor_type
    if element not in ("", "input"):
        name += "_" + element
    if freq_rule and sensor_type == "freq" and element == "input":
        return name + "_freq_mhz", "gauge"
    if element in ("fault", "alarm"):
        return name, "gauge"
    if element == "beep":
        return name + "_enabled", "gauge"
    if sensor_type in ("in", "cpu"):
        return name + "_volts", "gauge"
    if sensor_type == "temp" and element != "type":
        return name + "_celsius", "gauge"
    if sensor_type == "curr":
        return name + "_amps", "gauge"
    if sensor_type == "energy":
        return name + "_joule_total", "counter"
    if sensor_type == "power" and element == "accuracy":
        return name, "gauge"
    if sensor_type == "power" and element in ("average_interval", "average_interval_min", "average_interval_max"):
        return name + "_seconds", "gauge"
    if sensor_type == "power":
        return name + "_watt", "gauge"
    if sensor_type == "fan" and element in ("input", "min", "max", "target"):
        return name + "_rpm", "gauge"
    return name, "gauge"


def read_attributes(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 3 or cols[2] not in ("RO", "RW", "WO"):
                sys.exit(f"{path}:{number}: expected type<TAB>element<TAB>RO|RW|WO")
            rows.append(tuple(cols))
    return rows


def to_regex(name):
    return re.escape(name).replace(re.escape("<N>"), "[0-9]+")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", required=True, help="collector/hwmon_linux.go at the release tag")
    p.add_argument("--attributes", required=True, help="supplements/hwmon-sysfs-attributes.tsv")
    p.add_argument("--version", required=True, help="the node-exporter version, for the help text")
    args = p.parse_args()

    with open(args.source, encoding="utf-8") as f:
        source = f.read()
    missing = [frag for frag in RULE_FRAGMENTS if frag not in source]
    if missing:
        sys.exit("hwmon_patterns: the collector's naming rule changed (not found in "
                 f"{args.source}: {missing[0]!r}); update metric_for() before regenerating")
    unknown = sorted(set(re.findall(r'prometheus\.NewDesc\(name\+"(\w+)"', source)) - KNOWN_SUFFIXES)
    if unknown:
        sys.exit(f"hwmon_patterns: the collector has a unit suffix the rule does not know ({unknown[0]!r} "
                 f"in {args.source}); update metric_for() before regenerating")
    freq_rule = FREQ_FRAGMENT in source
    types = sensor_types(source)

    # name -> type, grouped per (sensor type, metric type, unit suffix) into one alternation.
    groups = {}
    for sensor_type, element, access in read_attributes(args.attributes):
        if access == "WO" or element == "label":
            continue  # unreadable, or the label (node_hwmon_sensor_label, a scraped metric)
        if sensor_type not in types or sensor_type in FIXED_NAME_TYPES:
            continue  # the collector ignores it, or names it itself
        name, kind = metric_for(sensor_type, element, freq_rule)
        prefix = "node_hwmon_" + sensor_type
        groups.setdefault((prefix, kind), set()).add(name[len(prefix):])

    for (prefix, kind), tails in sorted(groups.items()):
        alternatives = "|".join(to_regex(t) for t in sorted(tails))
        regex = f"^{re.escape(prefix)}(?:{alternatives})$"
        help_text = (f"{prefix}_<element><unit> for the kernel's documented hwmon attributes "
                     f"(node-exporter {args.version} collector/hwmon_linux.go naming rule)")
        print("\t".join([regex, kind, "chip,sensor", "source-code", help_text]))


if __name__ == "__main__":
    main()

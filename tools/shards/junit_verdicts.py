#!/usr/bin/env python3
"""Prints one line per test case of a junit.xml: suite, case, verdict (passed, failed,
skipped), sorted, with temporary directories blanked (a broken copy's path differs between
runs). tools/shards/equivalence.sh compares an unsharded run's with the merged shards'."""
import re
import sys
import xml.etree.ElementTree as ET

# /tmp, or /dev/shm where the runner puts scratch work when the machine has it (src/scratch.rs).
TEMP = re.compile(r"/(?:tmp|dev/shm)/[^\s/]+(/repo)?")


def verdicts(path):
    lines = []
    for suite in ET.parse(path).getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                verdict = "failed"
            elif case.find("skipped") is not None:
                verdict = "skipped"
            else:
                verdict = "passed"
            name = TEMP.sub("<tmp>", f"{suite.get('name')} | {case.get('classname') or ''} | {case.get('name')}")
            lines.append(f"{name} | {verdict}")
    return sorted(lines)


if __name__ == "__main__":
    for line in verdicts(sys.argv[1]):
        print(line)

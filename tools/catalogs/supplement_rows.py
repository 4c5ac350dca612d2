"""The rows of a supplement TSV (tools/catalogs/supplements/*.tsv), for the scripts that keep
only the rows one release's source defines (pve_source_supplement.py, systemd_supplement.py).

A row is `name<TAB>type<TAB>labels,comma,separated<TAB>source<TAB>help`; blank lines and `#`
comments are kept as they are, so the filtered file reads like the original.
"""


def rows(path):
    """Yields (number, line, row) per line; row is None for a blank or comment line, else
    (name, labels, help_text)."""
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                yield number, line, None
                continue
            cols = line.split("\t")
            labels = cols[2].split(",") if cols[2] else []
            yield number, line, (cols[0], labels, cols[4])

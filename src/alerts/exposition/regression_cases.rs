//! Known inputs and what node-exporter 1.5.0's textfile collector does with them, shared by
//! the unit tests and by `tests/exposition_differential.rs`, which serves every one of them
//! through the real collector.

/// Each input that node-exporter 1.5.0's textfile collector refuses (or dies on, or
/// silently drops a series of), with the finding it gets here.
pub const REFUSED: &[(&[u8], &str)] = &[
    // issue 13, item 4
    (b"x abc\n", "exposition/value"),
    (b"x 1 2 3 4\n", "exposition/syntax"),
    (b"0abc 1\n", "exposition/metric-name"),
    (b"x{a-b=\"1\"} 1\n", "exposition/syntax"),
    (b"x{a=\"1\" b=\"2\"} 1\n", "exposition/syntax"),
    (b"x{a=\"1\",a=\"2\"} 1\n", "exposition/duplicate-label"),
    (b"x{=\"1\"} 1\n", "exposition/label-name"),
    (b"x{a=\"\\q\"} 1\n", "exposition/label-value"),
    (b"# TYPE x bogus\nx 1\n", "exposition/type"),
    (
        b"# TYPE x gauge\n# TYPE x gauge\nx 1\n",
        "exposition/duplicate-type",
    ),
    (b"x 1\n# TYPE x gauge\n", "exposition/duplicate-type"),
    (b"x 1", "exposition/final-newline"),
    (b"x 1\r\ny 2\r\n", "exposition/carriage-return"),
    // found with the real collector
    (b"x 1e309\n", "exposition/value"),
    (b"x -1e309\n", "exposition/value"),
    (b"x 0x10\n", "exposition/value"),
    (b"x 1_000\n", "exposition/value"),
    (b"x +nan\n", "exposition/value"),
    (b"x 1.\x00\n", "exposition/value"),
    (b"x\n", "exposition/value"),
    (b"x{a=\"1\"}\n", "exposition/value"),
    (b"x 1 \n", "exposition/syntax"),
    (b"x 1 123\n", "exposition/timestamp"),
    (b"x 1 123 \n", "exposition/syntax"),
    (b"x{__x=\"1\"} 1\n", "exposition/label-name"),
    (b"x{__name__=\"y\"} 1\n", "exposition/label-name"),
    (b"# TYPE x gauge_histogram\nx 1\n", "exposition/type"),
    (b"# TYPE x gauge \nx 1\n", "exposition/type"),
    (
        b"# HELP x one\n# HELP x two\nx 1\n",
        "exposition/duplicate-help",
    ),
    (b"# HELP x a\\tb\nx 1\n", "exposition/help"),
    (b"# HELP x a\\\nx 1\n", "exposition/help"),
    (b"# TYPE x-y gauge\n", "exposition/metric-name"),
    (b"# HELP 0x text\n", "exposition/metric-name"),
    (
        b"x{a=\"1\"} 1\nx{a=\"1\"} 2\n",
        "exposition/duplicate-series",
    ),
    (
        b"x{a=\"1\"} 1\nx{a=\"1\",b=\"\"} 2\n",
        "exposition/duplicate-series",
    ),
    (b"x 1\nx{a=\"\"} 2\n", "exposition/duplicate-series"),
    (b"x{a=\"1} 1\n", "exposition/label-value"),
    (b"x{a=1} 1\n", "exposition/label-value"),
    (b"x{a=\"\xff\"} 1\n", "exposition/label-value"),
    (b"x{a=\"1\"\n", "exposition/syntax"),
    (b"x{a\n", "exposition/syntax"),
    (b"x{\n", "exposition/label-name"),
    (b"\r\n", "exposition/carriage-return"),
    (
        b"# TYPE x histogram\nx_bucket{le=\"a\"} 1\n",
        "exposition/value",
    ),
    (
        b"# TYPE x summary\nx{quantile=\"\"} 1\n",
        "exposition/value",
    ),
    (
        b"# TYPE x summary\nx 1\n# TYPE x_sum gauge\n",
        "exposition/duplicate-type",
    ),
    (b"# comment without newline", "exposition/final-newline"),
];

/// Inputs the collector accepts and serves in full.
pub const ACCEPTED: &[&[u8]] = &[
    b"",
    b"\n\n",
    b"x 1\n   ",
    b"x 1\n\t \t",
    b"  x 1\n",
    b"x\t1\n",
    b"x NaN\nx_a nan\ny +Inf\nz -infinity\nw Inf\n",
    b"x 1e-400\ny .5\nz 5.\nw -1.5E+3\nv +7\n",
    b"x{} 1\n",
    b"x{a=\"1\",} 1\n",
    b"x { a = \"1\" , b=\"2\" } 1\n",
    b"x{a=\"1\"}1\n",
    b"x{a=\"q\\\"\\\\\\n\"} 1\n",
    b"x{a=\"\xc3\xa9t\xc3\xa9\"} 1\n",
    b"#TYPE x gauge\nx 1\n",
    b"# TYPE x Gauge\nx 1\n",
    b"# TYPE x gau\\ge\nx 1\n",
    b"# TYPE x\n# TYPE\n# HELP\n# HELP x\n#\n# free \\q text \xff\nx 1\n",
    b"# HELP x a\\\\b\\nc \xff\n# TYPE x counter\nx 1\n",
    b"x 1\n# HELP x later\n",
    b"x 1\ny 2\nx{a=\"1\"} 3\n",
    b"x{a=\"1\"} 1\nx{a=\"2\"} 2\n",
    b"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n",
    b"# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 3\ns_count 2\n",
    b"# TYPE x untyped\nx:y_z 1\n_x 2\n",
    b"# HELP x a\r\nx 1\n",
];

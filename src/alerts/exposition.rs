//! The Prometheus text exposition format as node-exporter 1.5.0's textfile collector reads it.
//!
//! The collector parses each `*.prom` file with prometheus/common's `expfmt.TextParser`
//! (v0.37), refuses a whole file that has a syntax error or a client-side timestamp, and
//! then hands every family to client_golang, which drops duplicate series at scrape time and
//! *panics* (taking the exporter down) on a label name starting with `__` or on the type
//! `gauge_histogram`. A file this reader accepts is therefore one whose metrics all reach
//! Prometheus; anything else is a finding, with the line and, where known, the metric.
//!
//! The rules follow that parser byte for byte (see `tests/exposition_differential.rs`, which
//! checks them against the real collector):
//! - a line is read up to `\n`; blanks are only space and tab, so a `\r` before the `\n` is
//!   part of the line (we report CRLF line ends once, as `exposition/carriage-return`);
//! - metric names are `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`,
//!   `__name__` is reserved; label values are double-quoted with the escapes `\"`, `\\` and
//!   `\n` only, valid UTF-8, no raw newline; labels are separated by `,` (a trailing one is
//!   allowed), a label name appears once per sample;
//! - the value is a Go float (`strconv.ParseFloat`: decimal, `Inf`/`Infinity` with an
//!   optional sign, `NaN`; no `_`, `p` or hexadecimal; out of float64's range is an error);
//!   anything after it (even a single trailing blank) is a timestamp or an error;
//! - `# HELP name text` (escapes `\\` and `\n` only) and `# TYPE name type` (counter, gauge,
//!   histogram, summary, untyped; any case) at most once per family, TYPE before the
//!   family's first sample; other comments are free text;
//! - the last line ends with `\n` (trailing blanks after it are allowed).

use std::collections::{BTreeMap, BTreeSet};

use crate::finding::{Finding, FindingId};

pub mod regression_cases;

/// Finding ids of the exposition reader.
pub mod ids {
    use crate::finding::FindingId;

    /// A line the text parser cannot read (a missing `=`, `,` or `}`, a trailing blank...).
    pub(crate) const SYNTAX: FindingId = FindingId::new("exposition/syntax");
    /// A metric name that is not `[a-zA-Z_:][a-zA-Z0-9_:]*`, on a sample or a HELP/TYPE line.
    pub(crate) const METRIC_NAME: FindingId = FindingId::new("exposition/metric-name");
    /// A label name that is empty, not `[a-zA-Z_][a-zA-Z0-9_]*`, or reserved (`__...`).
    pub(crate) const LABEL_NAME: FindingId = FindingId::new("exposition/label-name");
    /// One label name twice on a sample.
    pub(crate) const DUPLICATE_LABEL: FindingId = FindingId::new("exposition/duplicate-label");
    /// A label value without quotes or closing quote, with a bad escape or not UTF-8.
    pub(crate) const LABEL_VALUE: FindingId = FindingId::new("exposition/label-value");
    /// A sample value (or `le`/`quantile`) that is not a float64 as Go reads it.
    pub(crate) const VALUE: FindingId = FindingId::new("exposition/value");
    /// A client-side timestamp: node-exporter's textfile collector skips the whole file.
    pub(crate) const TIMESTAMP: FindingId = FindingId::new("exposition/timestamp");
    /// A TYPE the collector does not know (or `gauge_histogram`, on which it panics).
    pub const TYPE: FindingId = FindingId::new("exposition/type");
    /// A second TYPE line for a family, or a TYPE line after its first sample.
    pub(crate) const DUPLICATE_TYPE: FindingId = FindingId::new("exposition/duplicate-type");
    /// A second HELP line for a family.
    pub(crate) const DUPLICATE_HELP: FindingId = FindingId::new("exposition/duplicate-help");
    /// A HELP text with an escape other than `\\` and `\n`.
    pub const HELP: FindingId = FindingId::new("exposition/help");
    /// Two samples of one family with the same labels: client_golang drops the second.
    pub(crate) const DUPLICATE_SERIES: FindingId = FindingId::new("exposition/duplicate-series");
    /// The file does not end with a newline (node-exporter: "unexpected end of input stream").
    pub(crate) const FINAL_NEWLINE: FindingId = FindingId::new("exposition/final-newline");
    /// CRLF line ends: the `\r` becomes part of a value or type and the file is refused.
    pub(crate) const CARRIAGE_RETURN: FindingId = FindingId::new("exposition/carriage-return");
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "exposition",
        ids::SYNTAX,
        crate::finding::Depth::Offline,
        "a textfile line the text format parser cannot read",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::METRIC_NAME,
        crate::finding::Depth::Offline,
        "a metric name that is not a valid Prometheus metric name",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::LABEL_NAME,
        crate::finding::Depth::Offline,
        "a label name that is empty, invalid or reserved",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::DUPLICATE_LABEL,
        crate::finding::Depth::Offline,
        "one label name twice on a sample",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::LABEL_VALUE,
        crate::finding::Depth::Offline,
        "a label value badly quoted, badly escaped or not UTF-8",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::VALUE,
        crate::finding::Depth::Offline,
        "a sample value that is not a float as Go reads it",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::TIMESTAMP,
        crate::finding::Depth::Offline,
        "a client-side timestamp, for which the collector skips the file",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::TYPE,
        crate::finding::Depth::Offline,
        "a TYPE the textfile collector does not know",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::DUPLICATE_TYPE,
        crate::finding::Depth::Offline,
        "a second TYPE line for a family, or one after its first sample",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::DUPLICATE_HELP,
        crate::finding::Depth::Offline,
        "a second HELP line for a family",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::HELP,
        crate::finding::Depth::Offline,
        "a HELP text with an escape other than \\\\ and \\n",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::DUPLICATE_SERIES,
        crate::finding::Depth::Offline,
        "two samples of one family with the same labels",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::FINAL_NEWLINE,
        crate::finding::Depth::Offline,
        "a textfile that does not end with a newline",
    ),
    crate::finding::Check::new(
        "exposition",
        ids::CARRIAGE_RETURN,
        crate::finding::Depth::Offline,
        "CRLF line ends, which make the collector refuse the file",
    ),
];

/// A metric family's type, as a TYPE line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetricType {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

impl MetricType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Untyped => "untyped",
        }
    }
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The name as written (`x_bucket` for a histogram `x`).
    pub name: String,
    /// Every label, `le` and `quantile` included, in the order written.
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub line: usize,
}

/// One metric family: its TYPE and HELP and the samples that belong to it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Family {
    pub name: String,
    /// `None` while neither a TYPE line nor a sample has fixed it.
    pub kind: Option<MetricType>,
    pub(crate) help: Option<String>,
    pub samples: Vec<Sample>,
    /// The line that first named the family.
    pub line: usize,
}

/// What a file holds: the families that have samples (as node-exporter keeps them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    pub(crate) families: BTreeMap<String, Family>,
}

impl Exposition {
    /// Metric name to (type, label names), one entry per family and, for a histogram or
    /// summary, one per series name (`x_bucket` with `le`, `x_sum`, `x_count`) with the
    /// family's type: the shape of an exporter catalog.
    pub fn published(&self) -> BTreeMap<String, (String, BTreeSet<String>)> {
        let mut out: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
        for family in self.families.values() {
            let kind = family.kind.unwrap_or(MetricType::Untyped);
            let entry = out
                .entry(family.name.clone())
                .or_insert_with(|| (kind.as_str().to_string(), BTreeSet::new()));
            for sample in &family.samples {
                entry.1.extend(
                    sample
                        .labels
                        .iter()
                        .filter(|(name, _)| !is_bucket_label(kind, name))
                        .map(|(name, _)| name.clone()),
                );
            }
            for sample in family.samples.iter().filter(|s| s.name != family.name) {
                out.entry(sample.name.clone())
                    .or_insert_with(|| (kind.as_str().to_string(), BTreeSet::new()))
                    .1
                    .extend(sample.labels.iter().map(|(name, _)| name.clone()));
            }
        }
        out
    }
}

/// Every finding for one exposition file; `file` names it in the findings.
pub fn check(text: &[u8], file: &str) -> Vec<Finding> {
    parse(text, file).1
}

/// The families of a file node-exporter would accept, or every finding.
pub fn read(text: &[u8], file: &str) -> Result<Exposition, Vec<Finding>> {
    match parse(text, file) {
        (exposition, findings) if findings.is_empty() => Ok(exposition),
        (_, findings) => Err(findings),
    }
}

/// Parses a whole file. A line with a syntax error is reported and skipped (node-exporter
/// refuses the whole file at the first one; we go on to report the others too).
pub fn parse(text: &[u8], file: &str) -> (Exposition, Vec<Finding>) {
    let mut parser = Parser {
        file,
        families: BTreeMap::new(),
        findings: Vec::new(),
    };
    let mut crlf_lines = 0usize;
    let mut first_crlf = 0usize;
    let mut start = 0usize;
    let mut number = 0usize;
    while start < text.len() {
        number += 1;
        let (mut line, next, terminated) = match text[start..].iter().position(|&b| b == b'\n') {
            Some(i) => (&text[start..start + i], start + i + 1, true),
            None => (&text[start..], text.len(), false),
        };
        if !terminated {
            // The parser's end of input is only clean at the start of a line, after blanks.
            if line.iter().all(|&b| is_blank(b)) {
                break;
            }
            parser.findings.push(
                Finding::new(
                    ids::FINAL_NEWLINE,
                    file,
                    "the file does not end with a newline: node-exporter refuses it \
                     (\"unexpected end of input stream\")",
                )
                .at_line(number),
            );
        }
        if terminated && line.last() == Some(&b'\r') {
            crlf_lines += 1;
            if first_crlf == 0 {
                first_crlf = number;
            }
            line = &line[..line.len() - 1];
        }
        if let Err(finding) = parser.line(line, number) {
            parser.findings.push(*finding);
        }
        start = next;
    }
    if crlf_lines > 0 {
        parser.findings.push(
            Finding::new(
                ids::CARRIAGE_RETURN,
                file,
                format!(
                    "{crlf_lines} line(s) end with CR LF; node-exporter reads the CR as part of \
                     the value or type and refuses the file"
                ),
            )
            .at_line(first_crlf),
        );
    }
    parser.duplicate_series();
    parser
        .families
        .retain(|_, family| !family.samples.is_empty());
    parser.findings.sort_by_key(|f| f.line);
    (
        Exposition {
            families: parser.families,
        },
        parser.findings,
    )
}

struct Parser<'f> {
    file: &'f str,
    families: BTreeMap<String, Family>,
    findings: Vec<Finding>,
}

/// A cursor over one line's bytes (without its `\n`).
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
    }

    /// Bytes up to the next blank or the end of the line.
    fn token(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(|b| !is_blank(b)) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    /// A name whose first byte satisfies `first` and the rest `rest`; empty when the first
    /// byte does not.
    fn name(&mut self, first: fn(u8) -> bool, rest: fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        if self.peek().is_some_and(first) {
            self.pos += 1;
            while self.peek().is_some_and(rest) {
                self.pos += 1;
            }
        }
        // Only ASCII bytes were taken.
        std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default()
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos.min(self.bytes.len())..]
    }
}

impl Parser<'_> {
    fn finding(&self, id: FindingId, line: usize, message: String) -> Finding {
        Finding::new(id, self.file, message).at_line(line)
    }

    fn line(&mut self, bytes: &[u8], number: usize) -> Result<(), Box<Finding>> {
        let mut cursor = Cursor { bytes, pos: 0 };
        cursor.skip_blanks();
        match cursor.peek() {
            None => Ok(()),
            Some(b'#') => {
                cursor.pos += 1;
                self.comment(cursor, number)
            }
            Some(_) => self.sample(cursor, number),
        }
    }

    fn comment(&mut self, mut cursor: Cursor, number: usize) -> Result<(), Box<Finding>> {
        cursor.skip_blanks();
        let keyword = cursor.token();
        if cursor.peek().is_none() || (keyword != b"HELP" && keyword != b"TYPE") {
            return Ok(());
        }
        cursor.skip_blanks();
        let name = cursor.name(is_metric_name_start, is_metric_name_continuation);
        match cursor.peek() {
            None => return Ok(()),
            Some(b) if is_blank(b) => {}
            Some(_) => {
                let found = String::from_utf8_lossy(cursor.token()).into_owned();
                return Err(Box::new(
                    self.finding(
                        ids::METRIC_NAME,
                        number,
                        format!(
                            "{} line: {:?} is not a metric name",
                            String::from_utf8_lossy(keyword),
                            format!("{name}{found}")
                        ),
                    )
                    .about(format!("{name}{found}")),
                ));
            }
        }
        let family = self.family_for(name, number);
        cursor.skip_blanks();
        if cursor.peek().is_none() {
            return Ok(());
        }
        if keyword == b"HELP" {
            if self.families[&family].help.is_some() {
                return Err(Box::new(
                    self.finding(
                        ids::DUPLICATE_HELP,
                        number,
                        format!("a second HELP line for {family}"),
                    )
                    .about(family),
                ));
            }
            let help = help_text(cursor.rest()).map_err(|escape| {
                self.finding(
                    ids::HELP,
                    number,
                    format!(
                        "the HELP text of {family} has the escape \\{}; only \\\\ and \\n are allowed",
                        char::from(escape)
                    ),
                )
                .about(family.clone())
            })?;
            if let Some(f) = self.families.get_mut(&family) {
                f.help = Some(help);
            }
            return Ok(());
        }
        if self.families[&family].kind.is_some() {
            return Err(Box::new(
                self.finding(
                    ids::DUPLICATE_TYPE,
                    number,
                    format!(
                        "a second TYPE line for {family}, or a TYPE line after its first sample"
                    ),
                )
                .about(family),
            ));
        }
        // The parser reads the rest of the line as the type, dropping backslashes.
        let written: Vec<u8> = cursor
            .rest()
            .iter()
            .copied()
            .filter(|&b| b != b'\\')
            .collect();
        let kind = match String::from_utf8_lossy(&written)
            .to_ascii_uppercase()
            .as_str()
        {
            "COUNTER" => MetricType::Counter,
            "GAUGE" => MetricType::Gauge,
            "HISTOGRAM" => MetricType::Histogram,
            "SUMMARY" => MetricType::Summary,
            "UNTYPED" => MetricType::Untyped,
            other => {
                let why = if other == "GAUGE_HISTOGRAM" {
                    "node-exporter 1.5.0's textfile collector panics on it"
                } else {
                    "expected counter, gauge, histogram, summary or untyped"
                };
                return Err(Box::new(
                    self.finding(
                        ids::TYPE,
                        number,
                        format!(
                            "TYPE {:?} of {family}: {why}",
                            String::from_utf8_lossy(cursor.rest())
                        ),
                    )
                    .about(family),
                ));
            }
        };
        if let Some(f) = self.families.get_mut(&family) {
            f.kind = Some(kind);
        }
        Ok(())
    }

    /// The family a name (on a sample or a HELP/TYPE line) belongs to, created if new: a
    /// `_count`/`_sum` of a summary and a `_bucket`/`_count`/`_sum` of a histogram belong to
    /// it, unless a family of that exact name exists.
    fn family_for(&mut self, name: &str, number: usize) -> String {
        if self.families.contains_key(name) {
            return name.to_string();
        }
        let is = |base: &Option<&str>, kind: MetricType| {
            base.is_some_and(|base| {
                self.families
                    .get(base)
                    .is_some_and(|f| f.kind == Some(kind))
            })
        };
        let summary_base = strip_suffix(name, &["_count", "_sum"]);
        let histogram_base = strip_suffix(name, &["_count", "_sum", "_bucket"]);
        let base = if is(&summary_base, MetricType::Summary) {
            summary_base
        } else if is(&histogram_base, MetricType::Histogram) {
            histogram_base
        } else {
            None
        };
        if let Some(base) = base {
            return base.to_string();
        }
        self.families.insert(
            name.to_string(),
            Family {
                name: name.to_string(),
                kind: None,
                help: None,
                samples: Vec::new(),
                line: number,
            },
        );
        name.to_string()
    }

    fn sample(&mut self, mut cursor: Cursor, number: usize) -> Result<(), Box<Finding>> {
        let name = cursor.name(is_metric_name_start, is_metric_name_continuation);
        if name.is_empty() {
            let found = String::from_utf8_lossy(cursor.token()).into_owned();
            return Err(Box::new(
                self.finding(
                    ids::METRIC_NAME,
                    number,
                    format!("{found:?} does not start with a metric name"),
                )
                .about(found),
            ));
        }
        let family = self.family_for(name, number);
        let kind = self
            .families
            .get_mut(&family)
            .map_or(MetricType::Untyped, |f| {
                *f.kind.get_or_insert(MetricType::Untyped)
            });
        let subject = name.to_string();
        cursor.skip_blanks();
        let mut labels: Vec<(String, String)> = Vec::new();
        if cursor.peek() == Some(b'{') {
            cursor.pos += 1;
            labels = self.labels(&mut cursor, &subject, kind, number)?;
        }
        let token = cursor.token();
        let value = go_float(token).ok_or_else(|| {
            self.finding(
                ids::VALUE,
                number,
                format!(
                    "{:?} is not a sample value (a Go float64: decimal, Inf or NaN)",
                    String::from_utf8_lossy(token)
                ),
            )
            .about(subject.clone())
        })?;
        if cursor.peek().is_some() {
            let after = String::from_utf8_lossy(cursor.rest()).into_owned();
            cursor.skip_blanks();
            let token = cursor.token();
            let timestamp = std::str::from_utf8(token)
                .ok()
                .filter(|_| cursor.peek().is_none())
                .and_then(|t| t.parse::<i64>().ok());
            let finding = match timestamp {
                Some(timestamp) => self.finding(
                    ids::TIMESTAMP,
                    number,
                    format!(
                        "the sample has the timestamp {timestamp}; node-exporter's textfile \
                         collector skips a whole file with client-side timestamps"
                    ),
                ),
                None => self.finding(
                    ids::SYNTAX,
                    number,
                    format!(
                        "{after:?} after the value: only a timestamp may follow, and nothing \
                         (not even a blank) after that"
                    ),
                ),
            };
            return Err(Box::new(finding.about(subject)));
        }
        if let Some(f) = self.families.get_mut(&family) {
            f.samples.push(Sample {
                name: subject,
                labels,
                value,
                line: number,
            });
        }
        Ok(())
    }

    /// The labels after `{`, up to and including `}` and the blanks after it.
    fn labels(
        &mut self,
        cursor: &mut Cursor,
        subject: &str,
        kind: MetricType,
        number: usize,
    ) -> Result<Vec<(String, String)>, Box<Finding>> {
        let mut labels: Vec<(String, String)> = Vec::new();
        loop {
            cursor.skip_blanks();
            if cursor.peek() == Some(b'}') {
                cursor.pos += 1;
                cursor.skip_blanks();
                return Ok(labels);
            }
            let name = cursor
                .name(is_label_name_start, is_label_name_continuation)
                .to_string();
            if name.is_empty() || name == "__name__" {
                let found = match cursor.peek() {
                    None => "the end of the line".to_string(),
                    Some(_) => format!("{:?}", String::from_utf8_lossy(cursor.token())),
                };
                let found = if name.is_empty() { found } else { name.clone() };
                return Err(Box::new(
                    self.finding(
                        ids::LABEL_NAME,
                        number,
                        format!(
                            "{found} where a label name of {subject} was expected \
                             ([a-zA-Z_][a-zA-Z0-9_]*, not __name__)"
                        ),
                    )
                    .about(subject.to_string()),
                ));
            }
            if name.starts_with("__") {
                // The parser accepts it; client_golang then panics and node-exporter exits.
                self.findings.push(
                    self.finding(
                        ids::LABEL_NAME,
                        number,
                        format!(
                            "the label name {name:?} on {subject} starts with __, which is \
                             reserved: node-exporter 1.5.0 panics on it"
                        ),
                    )
                    .about(subject.to_string()),
                );
            }
            cursor.skip_blanks();
            if cursor.peek() != Some(b'=') {
                return Err(Box::new(
                    self.finding(
                        ids::SYNTAX,
                        number,
                        format!("expected = after the label name {name:?} of {subject}"),
                    )
                    .about(subject.to_string()),
                ));
            }
            cursor.pos += 1;
            if labels.iter().any(|(n, _)| *n == name) {
                return Err(Box::new(
                    self.finding(
                        ids::DUPLICATE_LABEL,
                        number,
                        format!("the label {name:?} appears twice on {subject}"),
                    )
                    .about(subject.to_string()),
                ));
            }
            cursor.skip_blanks();
            let value = self.label_value(cursor, subject, &name, number)?;
            if is_bucket_label(kind, &name) && go_float(value.as_bytes()).is_none() {
                return Err(Box::new(
                    self.finding(
                        ids::VALUE,
                        number,
                        format!(
                            "{name}={value:?} on {subject}: the {} of a {} must be a float",
                            name,
                            kind.as_str()
                        ),
                    )
                    .about(subject.to_string()),
                ));
            }
            labels.push((name, value));
            cursor.skip_blanks();
            match cursor.peek() {
                Some(b',') => cursor.pos += 1,
                Some(b'}') => {}
                _ => {
                    return Err(Box::new(
                        self.finding(
                            ids::SYNTAX,
                            number,
                            format!(
                                "expected , or }} after a label value of {subject}, found {:?}",
                                String::from_utf8_lossy(cursor.rest())
                            ),
                        )
                        .about(subject.to_string()),
                    ));
                }
            }
        }
    }

    /// A double-quoted label value at the cursor, unescaped.
    fn label_value(
        &self,
        cursor: &mut Cursor,
        subject: &str,
        label: &str,
        number: usize,
    ) -> Result<String, Box<Finding>> {
        let bad = |message: String| {
            self.finding(ids::LABEL_VALUE, number, message)
                .about(subject.to_string())
        };
        if cursor.peek() != Some(b'"') {
            return Err(Box::new(bad(format!(
                "the value of the label {label:?} on {subject} does not start with \""
            ))));
        }
        cursor.pos += 1;
        let mut value: Vec<u8> = Vec::new();
        loop {
            let Some(byte) = cursor.peek() else {
                return Err(Box::new(bad(format!(
                    "the value of the label {label:?} on {subject} has no closing \" on its line"
                ))));
            };
            cursor.pos += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    match cursor.peek() {
                        Some(b'"') => value.push(b'"'),
                        Some(b'\\') => value.push(b'\\'),
                        Some(b'n') => value.push(b'\n'),
                        other => {
                            let escape = other.map_or("the end of the line".to_string(), |b| {
                                format!("\\{}", char::from(b))
                            });
                            return Err(Box::new(bad(format!(
                                "the value of the label {label:?} on {subject} has the escape \
                                 {escape}; only \\\", \\\\ and \\n are allowed"
                            ))));
                        }
                    }
                    cursor.pos += 1;
                }
                other => value.push(other),
            }
        }
        String::from_utf8(value).map_err(|_| {
            Box::new(bad(format!(
                "the value of the label {label:?} on {subject} is not valid UTF-8"
            )))
        })
    }

    /// Two series of one family with the same labels, as client_golang compares them after
    /// node-exporter gave every series each label of its family (missing ones empty).
    fn duplicate_series(&mut self) {
        let mut found = Vec::new();
        for family in self.families.values() {
            let kind = family.kind.unwrap_or(MetricType::Untyped);
            // A histogram or summary is one series per label set without `le`/`quantile`.
            let mut seen: BTreeMap<Vec<(&str, &str)>, usize> = BTreeMap::new();
            let mut signatures: BTreeSet<Vec<(&str, &str)>> = BTreeSet::new();
            for sample in &family.samples {
                let mut all: Vec<(&str, &str)> = sample
                    .labels
                    .iter()
                    .filter(|(name, _)| !is_bucket_label(kind, name))
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                all.sort_unstable();
                if matches!(kind, MetricType::Histogram | MetricType::Summary)
                    && !signatures.insert(all.clone())
                {
                    continue;
                }
                let key: Vec<(&str, &str)> =
                    all.into_iter().filter(|(_, v)| !v.is_empty()).collect();
                if let Some(first) = seen.get(&key) {
                    found.push(
                        self.finding(
                            ids::DUPLICATE_SERIES,
                            sample.line,
                            format!(
                                "{} has the same labels as on line {first}; node-exporter drops \
                                 one of them (a missing label counts as an empty one)",
                                family.name
                            ),
                        )
                        .about(family.name.clone()),
                    );
                } else {
                    seen.insert(key, sample.line);
                }
            }
        }
        self.findings.extend(found);
    }
}

/// HELP text with its escapes resolved, or the byte after a bad backslash.
fn help_text(bytes: &[u8]) -> Result<String, u8> {
    let mut text = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter();
    while let Some(&b) = iter.next() {
        if b != b'\\' {
            text.push(b);
            continue;
        }
        match iter.next() {
            Some(b'\\') => text.push(b'\\'),
            Some(b'n') => text.push(b'\n'),
            // A backslash at the end of the line escapes the newline itself.
            other => return Err(other.copied().unwrap_or(b'\n')),
        }
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// `le` on a histogram and `quantile` on a summary: not labels of the series but its bounds.
fn is_bucket_label(kind: MetricType, name: &str) -> bool {
    (kind == MetricType::Histogram && name == "le")
        || (kind == MetricType::Summary && name == "quantile")
}

fn strip_suffix<'a>(name: &'a str, suffixes: &[&str]) -> Option<&'a str> {
    suffixes
        .iter()
        .find(|s| name.len() > s.len() && name.ends_with(*s))
        .map(|s| &name[..name.len() - s.len()])
}

/// A float as Go's `strconv.ParseFloat(s, 64)` reads it after expfmt refused `p`, `P` and
/// `_`: an optional sign and `inf`/`infinity` (any case), `nan` (any case, no sign), or a
/// decimal with an optional exponent. Hexadecimal needs a `p` exponent, so it never
/// passes. A decimal beyond float64's range is an error in Go (not infinity).
pub(crate) fn go_float(token: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(token).ok()?;
    if text.is_empty() || text.contains(['p', 'P', '_']) {
        return None;
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = unsigned.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if text.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if text.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    if !is_decimal(unsigned.as_bytes()) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    value.is_finite().then_some(value)
}

/// `digits [. digits] | . digits`, then an optional `e`/`E`, sign and at least one digit.
fn is_decimal(bytes: &[u8]) -> bool {
    let mut i = 0;
    let mut digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == bytes.len()
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_label_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_label_name_continuation(b: u8) -> bool {
    is_label_name_start(b) || b.is_ascii_digit()
}

fn is_metric_name_start(b: u8) -> bool {
    is_label_name_start(b) || b == b':'
}

fn is_metric_name_continuation(b: u8) -> bool {
    is_label_name_continuation(b) || b == b':'
}

#[cfg(test)]
mod tests {
    use super::regression_cases::{ACCEPTED, REFUSED};
    use super::*;

    fn ids_of(text: &[u8]) -> Vec<&'static str> {
        check(text, "t.prom")
            .iter()
            .map(|f| f.id.as_str())
            .collect()
    }

    #[test]
    fn every_refused_input_gets_its_finding() {
        for (text, id) in REFUSED {
            let found = ids_of(text);
            let shown = String::from_utf8_lossy(text);
            assert!(
                found.contains(id),
                "{shown:?}: expected {id}, found {found:?}"
            );
        }
    }

    #[test]
    fn accepted_inputs_have_no_finding() {
        for text in ACCEPTED {
            let found = ids_of(text);
            let shown = String::from_utf8_lossy(text);
            // A CR before the newline is accepted by node-exporter in a comment or help
            // text only; CRLF line ends are refused here on purpose (stricter).
            if text.contains(&b'\r') {
                assert_eq!(found, ["exposition/carriage-return"], "{shown:?}");
                continue;
            }
            assert!(found.is_empty(), "{shown:?}: {found:?}");
        }
    }

    #[test]
    fn families_have_their_type_and_all_label_names() {
        let text = "# HELP homelab_a A thing\n# TYPE homelab_a gauge\n\
            homelab_a{vmid=\"100\",storage=\"p\\\"b,s}\"} 1\n\
            homelab_a{vmid=\"101\"} 0\nhomelab_c 3\n";
        let families = read(text.as_bytes(), "x.prom").unwrap().published();
        let (kind, labels) = &families["homelab_a"];
        assert_eq!(kind, "gauge");
        assert_eq!(labels.iter().collect::<Vec<_>>(), ["storage", "vmid"]);
        assert_eq!(families["homelab_c"].0, "untyped");
        assert!(families["homelab_c"].1.is_empty());
    }

    #[test]
    fn a_histogram_is_one_family_and_its_series_names() {
        let text = "# TYPE h histogram\nh_bucket{job=\"a\",le=\"1\"} 1\nh_sum{job=\"a\"} 3\n";
        let published = read(text.as_bytes(), "x.prom").unwrap().published();
        let names: Vec<_> = published.keys().collect();
        assert_eq!(names, ["h", "h_bucket", "h_sum"]);
        assert_eq!(published["h"].1.iter().collect::<Vec<_>>(), ["job"]);
        assert_eq!(
            published["h_bucket"].1.iter().collect::<Vec<_>>(),
            ["job", "le"]
        );
        assert!(published.values().all(|(kind, _)| kind == "histogram"));
    }

    #[test]
    fn a_finding_names_file_line_and_metric() {
        let findings = check(b"ok 1\nbroken{vmid=\"1} 2\n", "homelab_backup.prom");
        assert_eq!(findings.len(), 1, "{findings:?}");
        let finding = &findings[0];
        assert_eq!(finding.id, ids::LABEL_VALUE);
        assert_eq!(finding.file, "homelab_backup.prom");
        assert_eq!(finding.line, Some(2));
        assert_eq!(finding.subject(), "broken");
    }

    #[test]
    fn each_bad_line_is_reported_not_only_the_first() {
        let findings = check(b"0a 1\nb 1\nc{a-b=\"1\"} 1\nd 1e999\n", "t.prom");
        let lines: Vec<_> = findings.iter().map(|f| f.line).collect();
        assert_eq!(lines, [Some(1), Some(3), Some(4)]);
    }

    #[test]
    fn the_duplicate_series_is_the_later_line() {
        let findings = check(b"x{a=\"1\"} 1\ny 2\nx{a=\"1\"} 3\n", "t.prom");
        assert_eq!(findings.len(), 1);
        assert!(findings[0].is("exposition/duplicate-series", Some("x")));
        assert_eq!(findings[0].line, Some(3));
    }

    #[test]
    fn go_floats() {
        for ok in [
            "1",
            "-1",
            "+1",
            "1.5e3",
            "1E-3",
            ".5",
            "5.",
            "Inf",
            "+inf",
            "-Infinity",
            "NaN",
            "nAn",
            "1e-400",
            "0e99999",
            "1.7976931348623157e308",
        ] {
            assert!(go_float(ok.as_bytes()).is_some(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "e5",
            "1e",
            "1e+",
            "-nan",
            "+NaN",
            "infin",
            "0x1p3",
            "0x10",
            "1_0",
            "1e309",
            "1.7976931348623159e308",
            "--1",
            "1.2.3",
            " 1",
            "1 ",
        ] {
            assert!(go_float(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_long_file_reads_in_linear_time() {
        let mut text = String::new();
        for i in 0..100_000 {
            text.push_str(&format!("m{{i=\"{i}\"}} {i}\n"));
        }
        let started = std::time::Instant::now();
        let findings = check(text.as_bytes(), "big.prom");
        assert!(findings.is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    proptest::proptest! {
        /// Any bytes at all: findings or none, never a panic.
        #[test]
        fn any_bytes_are_read_without_panicking(bytes in proptest::collection::vec(
            proptest::sample::select(b"{}=\",\\ \t\r\n#_:-.0aeE+x\xffHELPTYPE".to_vec()), 0..200)) {
            let _ = check(&bytes, "any.prom");
        }
    }
}

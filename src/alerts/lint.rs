//! Runs the static and catalog checks over one rules file: parses the YAML and every
//! expression once, then hands the parsed pieces to each check.
//!
//! No input takes the run down: expressions are measured before they are parsed (see
//! [`promql_dialect`]: beyond its limits they get a `promql/too-complex` finding), and the
//! checks run on a thread of their own with a stack large enough for the deepest expression
//! within those limits, whatever the caller's thread (cucumber steps run on small ones).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use promql_parser::parser::ast::Expr;

use super::attribution::Attribution;
use super::catalog::{CatalogSet, KnownSeries};
use super::catalog_checks;
use super::finding::{CheckId, Finding, rule_finding};
use super::go_regex;
use super::label_flow::{self, LabelSet, NoCatalog};
use super::promql_dialect::{self, Refusal};
use super::published_metrics::PublishedMetrics;
use super::rule_file::{self, Rule, RuleFile, RuleKind};
use super::static_checks;

/// Stack of the checking thread: promql-parser, its tree's drop and the label flow recurse
/// once per level, and an expression within [`promql_dialect::MAX_TOKENS`] has at most
/// that many levels (a few KB each in a debug build).
const STACK_BYTES: usize = 256 << 20;

/// How deep to check.
#[derive(Debug, Clone, Copy)]
pub enum Depth<'c> {
    /// The file alone.
    Static,
    /// The file and the exporter catalogs.
    Catalog(&'c CatalogSet),
    /// The file, the catalogs, and the textfile metrics the repository's scripts publish
    /// (an undeclared one is then `textfile/undeclared`, not `promql/series`).
    CatalogAndScripts(&'c CatalogSet, &'c PublishedMetrics),
    /// The catalogs the homelab's deployment selects ([`Attribution`]) and its scripts'
    /// textfile metrics: a metric none lists is attributed before it is judged (an older
    /// release had it, a deployed exporter without catalog may expose it, or nothing does).
    Deployed(&'c Attribution, &'c PublishedMetrics),
}

/// What the checks found, with the file's shape for scenarios that count rules.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    pub file: String,
    pub findings: Vec<Finding>,
    /// Group names with their alerting-rule counts, in file order.
    pub groups: Vec<(String, usize)>,
    pub alerting_rules: usize,
    pub(crate) recording_rules: usize,
    /// Alert name to (group, `for`, severity), for scenarios about one rule.
    pub alerts: Vec<AlertSummary>,
    /// The CPU time the checks took, summed over the threads that ran them: what a speed
    /// criterion measures, since unlike wall time it does not grow on a busy machine.
    pub cpu_time: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSummary {
    pub name: String,
    pub group: String,
    pub line: usize,
    pub for_duration: Option<String>,
    pub severity: Option<String>,
}

impl AlertSummary {
    /// Its group, its `for` and its severity, `(none)` for what it lacks.
    pub fn placement(&self) -> (&str, &str, &str) {
        fn or_none(value: &Option<String>) -> &str {
            value.as_deref().unwrap_or("(none)")
        }
        let (group, wait) = (self.group.as_str(), or_none(&self.for_duration));
        (group, wait, or_none(&self.severity))
    }
}

/// The rules file could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the rules file {}: {source}", path.display())]
pub struct ReadError {
    pub path: std::path::PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl LintReport {
    pub fn alert(&self, name: &str) -> Option<&AlertSummary> {
        self.alerts.iter().find(|a| a.name == name)
    }
}

/// Checks a rules file on disk; `name` is how findings name it. A file that is not UTF-8
/// is a `yaml/encoding` finding at the line of its first bad byte.
pub fn lint_file(path: &Path, name: &str, depth: Depth) -> Result<LintReport, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError {
        path: path.to_path_buf(),
        source,
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(lint_text(name, &text, depth)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count();
            Ok(LintReport {
                file: name.to_string(),
                findings: vec![rule_finding(
                    CheckId::YamlEncoding,
                    name,
                    line,
                    None,
                    format!(
                        "byte {valid} (0x{:02x}) is not UTF-8; Prometheus reads rules files as UTF-8",
                        bytes[valid]
                    ),
                )],
                ..LintReport::default()
            })
        }
    }
}

/// Checks a rules file's text.
pub fn lint_text(name: &str, text: &str, depth: Depth) -> LintReport {
    lint_text_among(name, text, depth, &[])
}

/// Checks a rules file's text, deployed beside other rules files whose recording rules
/// produce `recorded_elsewhere` (series a rule here may select, with any labels).
pub(crate) fn lint_text_among(
    name: &str,
    text: &str,
    depth: Depth,
    recorded_elsewhere: &[String],
) -> LintReport {
    on_checking_thread(&|| {
        let (file, read_findings) = rule_file::parse(name, text);
        lint_read(&file, read_findings, depth, recorded_elsewhere)
    })
}

/// Checks a rules file read already: `read_findings` are what reading it found (YAML
/// syntax, shapes, unknown keys), `read_time` the CPU time reading took. For files read once
/// and looked up by several checks (`super::deployed_rules`).
pub(crate) fn lint_read_among(
    file: &RuleFile,
    read_findings: &[Finding],
    read_time: Duration,
    depth: Depth,
    recorded_elsewhere: &[String],
) -> LintReport {
    let mut report =
        on_checking_thread(&|| lint_read(file, read_findings.to_vec(), depth, recorded_elsewhere));
    report.cpu_time += read_time;
    report
}

/// Runs `lint` on a thread with [`STACK_BYTES`] of stack, adding that thread's CPU time to
/// the report's.
fn on_checking_thread(lint: &(dyn Fn() -> LintReport + Sync)) -> LintReport {
    let timed = || {
        let (mut report, took) = crate::timing::cpu_time_of(lint);
        report.cpu_time += took;
        report
    };
    std::thread::scope(|scope| {
        let checks = std::thread::Builder::new()
            .name("alerts-lint".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, timed);
        match checks {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: the limits still hold, on the caller's stack.
            Err(_) => timed(),
        }
    })
}

/// One expression, parsed if Prometheus 2.42 would accept it and it is within the limits.
fn parse_expr(file: &RuleFile, rule: &Rule, findings: &mut Vec<Finding>) -> Option<Expr> {
    let expr = rule.expr.as_deref().filter(|e| !e.trim().is_empty())?;
    let refusal = match promql_dialect::scan(expr) {
        Ok(text) => match promql_parser::parser::parse(&text) {
            Ok(tree) => match go_regex::refused_regex(&tree) {
                None => return Some(tree),
                Some(why) => Refusal::Syntax(format!(
                    "a label matcher's regular expression does not compile in Go: {why}"
                )),
            },
            Err(e) => Refusal::Syntax(e.trim().to_string()),
        },
        Err(refusal) => refusal,
    };
    let (check, message) = match refusal {
        Refusal::Syntax(why) => (
            CheckId::PromqlSyntax,
            format!("the expression does not parse (as Prometheus 2.42 reads PromQL): {why}"),
        ),
        Refusal::TooComplex(why) => (CheckId::PromqlTooComplex, why),
    };
    findings.push(file.finding(check, rule, "expr", message));
    None
}

/// Rules per thread below which the per-rule checks stay on one thread.
const RULES_PER_THREAD: usize = 500;

/// A rule's parsed expression and the findings that need only the rule itself.
fn rule_checks(file: &RuleFile, rule: &Rule) -> (Option<Expr>, Vec<Finding>) {
    let mut findings = Vec::new();
    let tree = parse_expr(file, rule, &mut findings);
    static_checks::check_expr(file, rule, &mut findings);
    static_checks::check_recording_fields(file, rule, &mut findings);
    static_checks::check_for(file, rule, &mut findings);
    static_checks::check_severity(file, rule, &mut findings);
    static_checks::check_annotations(file, rule, &mut findings);
    static_checks::check_names(file, rule, &mut findings);
    static_checks::check_template_syntax(file, rule, &mut findings);
    (tree, findings)
}

/// One rule's parsed expression (when it parses) and findings.
type RuleChecked = (Option<Expr>, Vec<Finding>);

/// [`rule_checks`] for every rule, in file order, with the CPU time of the extra threads; a large file's rules are split over the
/// machine's cores (parsing PromQL and templates is most of the time).
fn all_rule_checks(file: &RuleFile) -> (Vec<RuleChecked>, Duration) {
    let rules: Vec<&Rule> = file.rules().collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(rules.len() / RULES_PER_THREAD)
        .max(1);
    let check = |part: &[&Rule]| -> Vec<_> { part.iter().map(|r| rule_checks(file, r)).collect() };
    if threads == 1 {
        return (check(&rules), Duration::ZERO);
    }
    std::thread::scope(|scope| {
        let runs: Vec<_> = rules
            .chunks(rules.len().div_ceil(threads))
            .map(|part| {
                let run = std::thread::Builder::new()
                    .name("alerts-lint-rules".into())
                    .stack_size(STACK_BYTES)
                    .spawn_scoped(scope, move || crate::timing::cpu_time_of(|| check(part)));
                (part, run)
            })
            .collect();
        let mut extra = Duration::ZERO;
        let mut all = Vec::new();
        for (part, run) in runs {
            match run {
                Ok(handle) => {
                    let (checked, took) = handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    extra += took;
                    all.extend(checked);
                }
                Err(_) => all.extend(check(part)),
            }
        }
        (all, extra)
    })
}

/// The checks over a file read already, on the caller's thread.
fn lint_read(
    file: &RuleFile,
    mut findings: Vec<Finding>,
    depth: Depth,
    recorded_elsewhere: &[String],
) -> LintReport {
    // Every expression is parsed once; the checks share the trees.
    let mut parsed: Vec<Option<Expr>> = Vec::new();
    let (checked, rule_threads_cpu) = all_rule_checks(file);
    for (tree, rule_findings) in checked {
        parsed.push(tree);
        findings.extend(rule_findings);
    }

    let catalog_depth = match depth {
        Depth::Static => None,
        Depth::Catalog(catalogs) => Some((catalogs, None, None)),
        Depth::CatalogAndScripts(catalogs, published) => Some((catalogs, Some(published), None)),
        Depth::Deployed(attribution, published) => {
            Some((&*attribution.set, Some(published), Some(attribution)))
        }
    };
    let known = match catalog_depth {
        None => None,
        Some((catalogs, published, attribution)) => {
            // Recording rules add series the other rules may select.
            let recorded: HashMap<String, LabelSet> = file
                .rules()
                .zip(&parsed)
                .filter(|(rule, _)| rule.kind == RuleKind::Recording)
                .map(|(rule, tree)| {
                    let labels = match tree {
                        Some(t) => label_flow::analyse(t, &NoCatalog).0,
                        None => LabelSet::open(),
                    };
                    let labels = rule
                        .labels
                        .iter()
                        .fold(labels, |set, (k, _)| set.union(LabelSet::of([k.as_str()])));
                    (rule.name.clone(), labels)
                })
                .chain(
                    recorded_elsewhere
                        .iter()
                        .map(|name| (name.clone(), LabelSet::open())),
                )
                .collect();
            Some(KnownSeries {
                catalogs,
                recorded,
                published,
                attribution,
            })
        }
    };

    static_checks::check_duplicates(file, &mut findings);
    for (rule, tree) in file.rules().zip(&parsed) {
        let Some(tree) = tree else { continue };
        let (labels, missing) = match &known {
            Some(known) => label_flow::analyse(tree, known),
            None => label_flow::analyse(tree, &NoCatalog),
        };
        static_checks::check_templates(file, rule, &labels, &mut findings);
        catalog_checks::check_clauses(file, rule, &missing, &mut findings);
        if let Some(known) = &known {
            catalog_checks::check_selectors(file, rule, tree, known, &mut findings);
        }
    }
    findings.sort_by_key(|f| (f.line_or_zero(), f.id));

    LintReport {
        file: file.name.clone(),
        groups: file
            .groups
            .iter()
            .map(|g| {
                let alerts = g
                    .rules
                    .iter()
                    .filter(|r| r.kind == RuleKind::Alerting)
                    .count();
                (g.name.clone(), alerts)
            })
            .collect(),
        alerting_rules: file.alerting_rules().count(),
        recording_rules: file
            .rules()
            .filter(|r| r.kind == RuleKind::Recording)
            .count(),
        alerts: file
            .alerting_rules()
            .map(|r| AlertSummary {
                name: r.name.clone(),
                group: r.group.clone(),
                line: r.line,
                for_duration: r.for_duration.clone(),
                severity: r.label("severity").map(str::to_string),
            })
            .collect(),
        findings,
        cpu_time: rule_threads_cpu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::catalog::Catalog;

    const CATALOG: &str = "\
exporter: node-exporter
version: \"1.5.0\"
produced_by: \"test fixture\"
regenerate: \"by hand\"
metrics:
  node_load15: {type: gauge, labels: [], source: scrape}
  node_cpu_seconds_total: {type: counter, labels: [cpu, mode], source: scrape}
  node_systemd_unit_state: {type: gauge, labels: [name, state, type], source: documentation}
  node_uname_info: {type: gauge, labels: [nodename, release], source: scrape}
  up: {type: gauge, labels: [], source: scrape}
";

    fn catalogs() -> CatalogSet {
        CatalogSet::new(vec![
            Catalog::parse(Path::new("node.yml"), CATALOG).unwrap(),
        ])
    }

    /// A one-rule file around `expr` and `summary`.
    fn rule(expr: &str, summary: &str) -> String {
        format!(
            "groups:\n  - name: node-alerts\n    rules:\n      - alert: TestAlert\n        expr: '{expr}'\n        for: 5m\n        labels:\n          severity: warning\n        annotations:\n          summary: \"{summary}\"\n          description: \"value {{{{ $value }}}}\"\n"
        )
    }

    fn ids(text: &str) -> Vec<(CheckId, usize)> {
        let set = catalogs();
        lint_text("t.yml", text, Depth::Catalog(&set))
            .findings
            .iter()
            .map(|f| (f.check().unwrap(), f.line_or_zero()))
            .collect()
    }

    #[test]
    fn a_clean_rule_has_no_findings() {
        assert_eq!(
            ids(&rule(
                "node_systemd_unit_state{state=\"failed\"} == 1",
                "{{ $labels.name }} on {{ $labels.instance }}"
            )),
            []
        );
    }

    #[test]
    fn yaml_syntax() {
        assert_eq!(
            ids("groups:\n  - name: a\n    rules: [\n")[0].0,
            CheckId::YamlSyntax
        );
    }

    #[test]
    fn unknown_top_level_key() {
        let text = format!("{}alerting: true\n", rule("up == 0", "x"));
        assert_eq!(ids(&text), [(CheckId::YamlUnknownKey, 12)]);
    }

    #[test]
    fn expr_missing() {
        let text = rule("up == 0", "x").replace("        expr: 'up == 0'\n", "");
        assert_eq!(ids(&text), [(CheckId::RuleExprMissing, 4)]);
    }

    #[test]
    fn promql_syntax_points_at_the_expr_line() {
        assert_eq!(ids(&rule("up == ", "x")), [(CheckId::PromqlSyntax, 5)]);
    }

    #[test]
    fn duplicate_alert_names() {
        let one = rule("up == 0", "x");
        let second = one.split_once("    rules:\n").unwrap().1;
        let text = format!("{one}{second}");
        assert_eq!(ids(&text), [(CheckId::RuleDuplicate, 12)]);
    }

    #[test]
    fn missing_and_invalid_for() {
        let text = rule("up == 0", "x");
        assert_eq!(
            ids(&text.replace("        for: 5m\n", "")),
            [(CheckId::AlertsFor, 4)]
        );
        assert_eq!(
            ids(&text.replace("for: 5m", "for: 5 minutes")),
            [(CheckId::AlertsFor, 6)]
        );
    }

    #[test]
    fn severity_outside_the_three_values() {
        let text = rule("up == 0", "x").replace("severity: warning", "severity: urgent");
        let set = catalogs();
        let report = lint_text("default.yml", &text, Depth::Catalog(&set));
        assert_eq!(
            report.findings[0].to_string(),
            "default.yml:8 TestAlert [alerts/severity] severity \"urgent\" is not one of info, warning, critical"
        );
        let text =
            rule("up == 0", "x").replace("        labels:\n          severity: warning\n", "");
        assert_eq!(ids(&text), [(CheckId::AlertsSeverity, 4)]);
    }

    #[test]
    fn missing_annotations() {
        let text =
            rule("up == 0", "x").replace("          description: \"value {{ $value }}\"\n", "");
        assert_eq!(ids(&text), [(CheckId::AlertsAnnotations, 9)]);
        let text = rule("up == 0", "");
        assert_eq!(ids(&text), [(CheckId::AlertsAnnotations, 10)]);
    }

    #[test]
    fn template_label_dropped_by_aggregation() {
        let text = rule("sum by (instance) (node_load15) > 1", "{{ $labels.job }}");
        let set = catalogs();
        let report = lint_text("t.yml", &text, Depth::Catalog(&set));
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        assert_eq!(report.findings[0].check().unwrap(), CheckId::AlertsTemplate);
        assert_eq!(report.findings[0].line_or_zero(), 10);
        assert!(report.findings[0].message.contains("$labels.job"));
        // Statically too: the aggregation alone says job is gone.
        let report = lint_text("t.yml", &text, Depth::Static);
        assert_eq!(report.findings.len(), 1);
    }

    #[test]
    fn template_label_not_on_the_metric_needs_the_catalog() {
        let text = rule("node_load15 > 4", "{{ $labels.mountpoint }}");
        assert_eq!(ids(&text), [(CheckId::AlertsTemplate, 10)]);
        assert!(lint_text("t.yml", &text, Depth::Static).findings.is_empty());
    }

    #[test]
    fn template_label_from_label_replace_is_not_raised() {
        let text = rule(
            "label_replace(node_load15, \"host\", \"$1\", \"instance\", \"(.*):.*\") > 4",
            "{{ $labels.host }}",
        );
        assert_eq!(ids(&text), []);
    }

    #[test]
    fn unknown_metric() {
        let text = rule("node_load_15 > 4", "x");
        let set = catalogs();
        let report = lint_text("t.yml", &text, Depth::Catalog(&set));
        assert_eq!(report.findings.len(), 1);
        let f = &report.findings[0];
        assert_eq!(
            (f.check().unwrap(), f.line_or_zero()),
            (CheckId::PromqlSeries, 5)
        );
        assert!(
            f.message.contains("did you mean node_load15?"),
            "{}",
            f.message
        );
        // The static depth does not know exporters.
        assert!(lint_text("t.yml", &text, Depth::Static).findings.is_empty());
    }

    #[test]
    fn unknown_label_in_a_matcher() {
        let text = rule("node_systemd_unit_state{status=\"failed\"} == 1", "x");
        assert_eq!(ids(&text), [(CheckId::PromqlLabel, 5)]);
    }

    #[test]
    fn unknown_label_in_by_on_and_group_left() {
        assert_eq!(
            ids(&rule("sum by (mode2) (node_cpu_seconds_total) > 1", "x")),
            [(CheckId::PromqlLabel, 5)]
        );
        assert_eq!(
            ids(&rule(
                "node_load15 * on (instance) group_left (kernel) node_uname_info > 1",
                "x"
            )),
            [(CheckId::PromqlLabel, 5)]
        );
        assert_eq!(
            ids(&rule("node_load15 > on (nodename) node_uname_info", "x")),
            [(CheckId::PromqlLabel, 5)]
        );
    }

    #[test]
    fn label_from_label_replace_matched_later_is_not_raised() {
        let text = rule(
            "node_load15 * on (nodename) group_left label_replace(node_uname_info, \"instance\", \"$1\", \"nodename\", \"(.*)\") > 1",
            "{{ $labels.instance }}",
        );
        // nodename is not on node_load15: that side is reported, the label_replace side is not.
        let found = ids(&text);
        assert_eq!(found, [(CheckId::PromqlLabel, 5)]);
        let text = rule(
            "sum by (host) (label_replace(node_load15, \"host\", \"$1\", \"instance\", \"(.*)\")) > 1",
            "{{ $labels.host }}",
        );
        assert_eq!(ids(&text), []);
    }

    #[test]
    fn or_vector_zero_is_not_raised_for_a_known_metric() {
        let text = rule("(sum by (instance) (node_load15) or vector(0)) > 4", "x");
        assert_eq!(ids(&text), []);
        let text = rule("(node_load15 or on () vector(0)) > 4", "x");
        assert_eq!(ids(&text), []);
    }

    #[test]
    fn or_vector_zero_does_not_excuse_an_unknown_metric() {
        let text = rule("(sum(node_load_15) or vector(0)) > 4", "x");
        assert_eq!(ids(&text), [(CheckId::PromqlSeries, 5)]);
    }

    #[test]
    fn absent_of_a_known_metric_is_not_raised() {
        let text = rule("absent(up{job=\"node\"})", "no {{ $labels.job }} target");
        assert_eq!(ids(&text), []);
    }

    #[test]
    fn absent_of_an_unknown_metric_is_raised_since_it_would_always_fire() {
        let text = rule("absent(upp{job=\"node\"})", "x");
        assert_eq!(ids(&text), [(CheckId::PromqlSeries, 5)]);
    }

    #[test]
    fn recorded_series_count_as_known() {
        let text = format!(
            "{}      - record: instance:load:ratio\n        expr: node_load15\n",
            rule("instance:load:ratio > 2", "{{ $labels.instance }}")
        );
        assert_eq!(ids(&text), []);
    }

    #[test]
    fn the_real_rules_file_is_clean_and_fast() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(crate::alerts::RULES_FILE);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let set = CatalogSet::bundled().unwrap();
        let report = lint_text("default.yml", &text, Depth::Catalog(set));
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| !f.check().unwrap().is_catalog())
            .collect();
        assert!(findings.is_empty(), "{findings:#?}");
        // The plan's number is a floor: the homelab may grow.
        assert!(
            report.alerting_rules >= 26,
            "{} alerting rules",
            report.alerting_rules
        );
    }

    // --- Issue 13: what Prometheus 2.42 refuses, and inputs that used to abort the run.

    /// A one-alert file around `expr` (a block scalar, any quotes) and one annotation.
    fn alert(expr: &str, summary: &str) -> String {
        let summary = serde_json::to_string(summary).unwrap();
        format!(
            "groups:\n  - name: g\n    rules:\n      - alert: TestAlert\n        expr: |\n          {expr}\n        for: 5m\n        labels:\n          severity: warning\n        annotations:\n          summary: {summary}\n          description: x\n"
        )
    }

    fn static_ids(text: &str) -> Vec<(CheckId, usize)> {
        lint_text("t.yml", text, Depth::Static)
            .findings
            .iter()
            .map(|f| (f.check().unwrap(), f.line_or_zero()))
            .collect()
    }

    #[test]
    fn nesting_that_aborted_the_run_lints_to_completion() {
        let nest = |open: &str, n: usize| format!("{}up{}", open.repeat(n), ")".repeat(n));
        let chain = |op: &str, n: usize| vec!["up"; n].join(op);
        let cases = [
            nest("abs(", 900),
            chain(" + ", 2_000),
            chain(" or ", 2_000),
            nest("sum(", 2_700),
            nest("(", 13_000),
            format!("{}up", "-".repeat(13_000)),
            chain(" + ", 20_000),
        ];
        for expr in &cases {
            let started = std::time::Instant::now();
            let found = static_ids(&alert(expr, "x"));
            assert_eq!(found, [(CheckId::PromqlTooComplex, 5)], "{}", &expr[..40]);
            assert!(started.elapsed().as_secs() < 5, "{}", &expr[..40]);
        }
        // Within the limits, deep expressions are parsed and followed, on a small caller stack.
        let within = [
            nest("abs(", promql_dialect::MAX_NESTING - 1),
            chain(" + ", promql_dialect::MAX_TOKENS / 2),
            format!("{}up", "-".repeat(promql_dialect::MAX_TOKENS - 1)),
        ];
        for expr in &within {
            let report = std::thread::Builder::new()
                .stack_size(64 << 10)
                .spawn({
                    let text = alert(expr, "{{ $labels.instance }}");
                    move || static_ids(&text)
                })
                .unwrap()
                .join()
                .unwrap();
            assert_eq!(report, [], "{}", &expr[..40]);
        }
    }

    #[test]
    fn templates_prometheus_cannot_parse() {
        for bad in [
            "{{ $labe.instance }}",
            "{{ $labels.instance ",
            "{{ $value | humanizeDurat }}",
            "{{ huma $value }}",
            "{{ $labels.instance ~ }}",
            "{{ if $value }}open",
        ] {
            assert_eq!(
                static_ids(&alert("up == 0", bad)),
                [(CheckId::AlertsTemplateSyntax, 11)],
                "{bad}"
            );
        }
        // Labels are templates too.
        let text = alert("up == 0", "x").replace("severity: warning", "severity: \"{{ end }}\"");
        assert!(static_ids(&text).contains(&(CheckId::AlertsTemplateSyntax, 9)));
        assert_eq!(
            static_ids(&alert(
                "up == 0",
                "{{ $value | humanizeDuration }} {{ $externalURL }}"
            )),
            []
        );
    }

    #[test]
    fn durations_past_prometheus_range() {
        let text = alert("up == 0", "x");
        for bad in ["1000y", "99999999999d"] {
            assert_eq!(
                static_ids(&text.replace("for: 5m", &format!("for: {bad}"))),
                [(CheckId::AlertsFor, 7)],
                "{bad}"
            );
            assert_eq!(
                static_ids(&text.replace(
                    "for: 5m\n",
                    &format!("for: 5m\n        keep_firing_for: {bad}\n")
                )),
                [(CheckId::AlertsFor, 8)],
                "{bad}"
            );
        }
        assert_eq!(static_ids(&text.replace("for: 5m", "for: 292y")), []);
    }

    #[test]
    fn group_interval_and_limit() {
        let text = alert("up == 0", "x");
        for (field, line) in [
            ("interval: banana", 3),
            ("limit: abc", 3),
            ("interval: 1000y", 3),
        ] {
            let bad = text.replace("    rules:\n", &format!("    {field}\n    rules:\n"));
            assert_eq!(static_ids(&bad), [(CheckId::GroupField, line)], "{field}");
        }
        let good = text.replace(
            "    rules:\n",
            "    interval: 30s\n    limit: 10\n    rules:\n",
        );
        assert_eq!(static_ids(&good), []);
    }

    #[test]
    fn label_annotation_and_rule_names() {
        let text = alert("up == 0", "x");
        for label in ["my-label", "\"a b\"", "__name__"] {
            let bad = text.replace(
                "severity: warning\n",
                &format!("severity: warning\n          {label}: v\n"),
            );
            assert_eq!(static_ids(&bad), [(CheckId::RuleLabelName, 10)], "{label}");
        }
        let bad = text.replace("description: x\n", "description: x\n          my-note: y\n");
        assert_eq!(static_ids(&bad), [(CheckId::RuleLabelName, 13)]);
        let bad = text.replace("alert: TestAlert", "alert: \"\"");
        assert_eq!(static_ids(&bad), [(CheckId::RuleName, 4)]);
        let record = "groups:\n  - name: g\n    rules:\n      - record: \"not a metric name!\"\n        expr: up\n";
        assert_eq!(static_ids(record), [(CheckId::RuleName, 4)]);
        // promtool refuses two recording rules with one name and the same labels.
        let twice = "groups:\n  - name: g\n    rules:\n      - record: a:b\n        expr: up\n      - record: a:b\n        expr: up\n";
        assert_eq!(static_ids(twice), [(CheckId::RuleDuplicate, 6)]);
        let labelled = twice.replacen("expr: up\n", "expr: up\n        labels: {x: y}\n", 1);
        assert_eq!(static_ids(&labelled), []);
    }

    #[test]
    fn promql_that_2_42_refuses() {
        for expr in [
            "{\"métrique.été\"}",
            "up > 1e99999",
            "sort_by_label(up, \"job\")",
            "rate(up[1000y]) > 0",
            "up > 5m",
        ] {
            assert_eq!(
                static_ids(&alert(expr, "x")),
                [(CheckId::PromqlSyntax, 5)],
                "{expr}"
            );
        }
    }

    #[test]
    fn thousands_of_unknown_keys_lint_in_linear_time() {
        let text = alert("up == 0", "x");
        let top: String = (0..4_000).map(|i| format!("unknown_{i}: x\n")).collect();
        let rule: String = (0..4_000)
            .map(|i| format!("        unknown_{i}: x\n"))
            .collect();
        let text = format!(
            "{top}{}",
            text.replace("        for: 5m\n", &format!("        for: 5m\n{rule}"))
        );
        let started = std::time::Instant::now();
        let found = static_ids(&text);
        assert_eq!(found.len(), 8_000);
        assert_eq!(found[4_000], (CheckId::YamlUnknownKey, 4_008));
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
    }

    #[test]
    fn a_large_file_is_checked_over_several_threads_in_file_order() {
        let one = alert("up == 0", "{{ $labels.instance }}");
        let (head, rule) = one.split_at(one.find("      - alert").unwrap());
        let rules: String = (0..1_200)
            .map(|i| {
                let rule = rule.replace("TestAlert", &format!("Alert{i}"));
                if i == 1_100 {
                    rule.replace("$labels.instance", "$labe.instance")
                } else {
                    rule
                }
            })
            .collect();
        let report = lint_text("t.yml", &format!("{head}{rules}"), Depth::Static);
        let found: Vec<_> = report
            .findings
            .iter()
            .map(|f| (f.check().unwrap(), f.line_or_zero(), f.subject()))
            .collect();
        assert_eq!(
            found,
            [(
                CheckId::AlertsTemplateSyntax,
                3 + 1_100 * 9 + 8,
                "Alert1100"
            )]
        );
        assert_eq!(report.alerting_rules, 1_200);
    }

    #[test]
    fn a_file_that_is_not_utf8_names_the_line_of_the_first_bad_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.yml");
        let mut bytes = alert("up == 0", "x").into_bytes();
        let at = bytes.windows(5).position(|w| w == b"for: ").unwrap();
        bytes.insert(at, 0xff);
        std::fs::write(&path, bytes).unwrap();
        let report = lint_file(&path, "bad.yml", Depth::Static).unwrap();
        let found: Vec<_> = report
            .findings
            .iter()
            .map(|f| (f.check().unwrap(), f.line_or_zero()))
            .collect();
        assert_eq!(found, [(CheckId::YamlEncoding, 7)]);
    }
}

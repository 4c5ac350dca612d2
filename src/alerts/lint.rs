//! Runs the static and catalog checks over one rules file: parses the YAML and every
//! expression once, then hands the parsed pieces to each check.

use std::collections::HashMap;
use std::path::Path;

use promql_parser::parser::ast::Expr;

use super::catalog::{CatalogSet, KnownSeries};
use super::catalog_checks;
use super::finding::{CheckId, Finding};
use super::label_flow::{self, LabelSet, NoCatalog};
use super::published_metrics::PublishedMetrics;
use super::rule_file::{self, RuleKind};
use super::static_checks;

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
}

/// What the checks found, with the file's shape for scenarios that count rules.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    pub file: String,
    pub findings: Vec<Finding>,
    /// Group names with their alerting-rule counts, in file order.
    pub groups: Vec<(String, usize)>,
    pub alerting_rules: usize,
    pub recording_rules: usize,
    /// Alert name to (group, `for`, severity), for scenarios about one rule.
    pub alerts: Vec<AlertSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSummary {
    pub name: String,
    pub group: String,
    pub line: usize,
    pub for_duration: Option<String>,
    pub severity: Option<String>,
}

impl LintReport {
    pub fn with_id(&self, check: CheckId) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.id == check).collect()
    }

    pub fn alert(&self, name: &str) -> Option<&AlertSummary> {
        self.alerts.iter().find(|a| a.name == name)
    }
}

/// Checks a rules file on disk; `name` is how findings name it.
pub fn lint_file(path: &Path, name: &str, depth: Depth) -> Result<LintReport, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the rules file {}: {e}", path.display()))?;
    Ok(lint_text(name, &text, depth))
}

/// Checks a rules file's text.
pub fn lint_text(name: &str, text: &str, depth: Depth) -> LintReport {
    lint_text_among(name, text, depth, &[])
}

/// Checks a rules file's text, deployed beside other rules files whose recording rules
/// produce `recorded_elsewhere` (series a rule here may select, with any labels).
pub fn lint_text_among(
    name: &str,
    text: &str,
    depth: Depth,
    recorded_elsewhere: &[String],
) -> LintReport {
    let (file, mut findings) = rule_file::parse(name, text);

    // Every expression is parsed once; the checks share the trees.
    let parsed: Vec<Option<Expr>> = file
        .rules()
        .map(|rule| {
            let expr = rule.expr.as_deref().filter(|e| !e.trim().is_empty())?;
            match promql_parser::parser::parse(expr) {
                Ok(tree) => Some(tree),
                Err(e) => {
                    findings.push(file.finding(
                        CheckId::PromqlSyntax,
                        rule,
                        "expr",
                        format!("the expression does not parse: {}", e.trim()),
                    ));
                    None
                }
            }
        })
        .collect();

    let catalog_depth = match depth {
        Depth::Static => None,
        Depth::Catalog(catalogs) => Some((catalogs, None)),
        Depth::CatalogAndScripts(catalogs, published) => Some((catalogs, Some(published))),
    };
    let known = match catalog_depth {
        None => None,
        Some((catalogs, published)) => {
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
            })
        }
    };

    static_checks::check_duplicates(&file, &mut findings);
    for (rule, tree) in file.rules().zip(&parsed) {
        static_checks::check_fields(&file, rule, &mut findings);
        let Some(tree) = tree else { continue };
        let (labels, missing) = match &known {
            Some(known) => label_flow::analyse(tree, known),
            None => label_flow::analyse(tree, &NoCatalog),
        };
        static_checks::check_templates(&file, rule, &labels, &mut findings);
        catalog_checks::check_clauses(&file, rule, &missing, &mut findings);
        if let Some(known) = &known {
            catalog_checks::check_selectors(&file, rule, tree, known, &mut findings);
        }
    }
    findings.sort_by_key(|f| (f.line_or_zero(), f.id));

    LintReport {
        file: name.to_string(),
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
}

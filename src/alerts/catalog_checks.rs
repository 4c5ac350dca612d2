//! The second depth: every metric a rule selects is exposed by a deployed exporter, and
//! every label it matches or groups on exists on that metric (`promql/series`,
//! `promql/label`).
//!
//! Semantics of the guards that alert rules use on purpose:
//! - `absent(x)` fires when `x` is missing; over a metric no exporter has it fires forever,
//!   so its metric is checked like any other. A known metric inside `absent()` is fine, and
//!   the labels `absent()` returns (its equality matchers) are not checked again.
//! - `x or vector(0)`: `vector(0)` selects nothing and needs no catalog entry. A known `x` is
//!   fine; an unknown `x` is still reported, since the expression is then constant 0 and the
//!   rule can never fire.
//! - A label introduced by `label_replace`/`label_join` may be matched or grouped on later.

use promql_parser::label::Matcher;
use promql_parser::parser::ast::Expr;

use super::catalog::{KnownSeries, always_allowed};
use super::finding::{CheckId, Finding};
use super::label_flow::{self, MissingLabel};
use super::rule_file::{Rule, RuleFile};

/// Where the homelab declares its textfile metrics (turned into the homelab-textfile catalog).
pub const TEXTFILE_CONTRACT: &str = "tools/catalogs/homelab-textfile.prom";

/// Selector checks for one rule's parsed expression.
pub fn check_selectors(
    file: &RuleFile,
    rule: &Rule,
    expr: &Expr,
    known: &KnownSeries,
    out: &mut Vec<Finding>,
) {
    let mut reported: Vec<String> = Vec::new();
    for vs in label_flow::selectors(expr) {
        // A regex on the name selects a family; nothing exact to look up.
        let Some(metric) = label_flow::metric_name(vs) else {
            continue;
        };
        if !known.is_known(metric) {
            if reported.iter().any(|m| m == metric) {
                continue;
            }
            reported.push(metric.to_string());
            out.push(unknown_metric(file, rule, metric, known));
            continue;
        }
        // Recorded series carry what their expression carries; only catalog metrics have
        // a fixed label list.
        let Some(labels) = known
            .catalogs
            .labels(metric)
            .filter(|_| !known.recorded.contains_key(metric))
        else {
            continue;
        };
        for matcher in label_flow::matchers(vs) {
            if unknown_label(matcher, labels) {
                let key = format!("{metric}/{}", matcher.name);
                if reported.contains(&key) {
                    continue;
                }
                reported.push(key);
                let exporters: Vec<String> = known
                    .catalogs
                    .exporters_of(metric)
                    .iter()
                    .map(|c| c.title())
                    .collect();
                out.push(file.finding(
                    CheckId::PromqlLabel,
                    rule,
                    "expr",
                    format!(
                        "label {} is not on metric {metric} ({}); expected one of: {}",
                        matcher.name,
                        exporters.join(", "),
                        allowed_list(labels)
                    ),
                ));
            }
        }
    }
}

/// The finding for a metric no catalog lists for the stack: a textfile metric a script
/// writes but the contract lacks, a metric that needs configuration the stack does not
/// use, or one that nothing publishes (the rule can never fire).
fn unknown_metric(file: &RuleFile, rule: &Rule, metric: &str, known: &KnownSeries) -> Finding {
    if let Some(script) = known.published.and_then(|p| p.script_of(metric)) {
        return file
            .finding(
                CheckId::TextfileUndeclared,
                rule,
                "expr",
                format!(
                    "metric {metric} is written by {script} but the textfile contract does not declare it; declare it in {TEXTFILE_CONTRACT} and regenerate the homelab-textfile catalog"
                ),
            )
            .expected(format!("{metric} declared in {TEXTFILE_CONTRACT}"))
            .found(script.to_string());
    }
    if let Some(conditional) = known.catalogs.conditional(metric) {
        let requires = conditional.requires;
        return file
            .finding(
                CheckId::PromqlNeedsConfig,
                rule,
                "expr",
                format!(
                    "metric {metric} exists only with {requires} ({}); the monitoring stack configures none, so the rule can never fire",
                    conditional.catalog.title()
                ),
            )
            .expected(requires.to_string())
            .found("none configured".to_string());
    }
    let hint = known
        .catalogs
        .closest(metric)
        .map(|c| format!(" (did you mean {c}?)"))
        .unwrap_or_default();
    file.finding(
        CheckId::PromqlSeries,
        rule,
        "expr",
        format!(
            "metric {metric} is not exposed by any deployed exporter (catalogs: {}){hint}; the rule can never fire",
            known.catalogs.titles()
        ),
    )
}

fn unknown_label(matcher: &Matcher, labels: &std::collections::BTreeSet<String>) -> bool {
    !always_allowed(&matcher.name) && !labels.contains(&matcher.name)
}

fn allowed_list(labels: &std::collections::BTreeSet<String>) -> String {
    labels
        .iter()
        .map(String::as_str)
        .chain(["job", "instance"])
        .collect::<Vec<_>>()
        .join(", ")
}

/// `promql/label` for clauses (`by`, `on`, `group_left`, `label_replace` sources) that rely on
/// a label their input cannot carry.
pub fn check_clauses(
    file: &RuleFile,
    rule: &Rule,
    missing: &[MissingLabel],
    out: &mut Vec<Finding>,
) {
    for m in missing {
        out.push(file.finding(
            CheckId::PromqlLabel,
            rule,
            "expr",
            format!(
                "{} uses label {}, which its input never has (it has {})",
                m.clause, m.label, m.available
            ),
        ));
    }
}

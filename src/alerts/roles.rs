//! Which rule, metric, label or script a "a mistake is reported" scenario changes, found by
//! the role it plays in the homelab under test (the first alert that waits before firing,
//! the first alert whose result drops a label it selects on, the first script that writes a
//! sample through the textfile library...), never by a name this repository happens to use.
//! When nothing plays the role, the answer is [`NotApplicable`] with the reason.

use std::collections::BTreeSet;

use promql_parser::parser::ast::Expr;

use super::catalog::{CatalogSet, always_allowed};
use super::label_flow::{self, LabelSet, NoCatalog};
use super::rule_file::{self, Rule};
use crate::not_applicable::NotApplicable;

/// What an alert must have to play a role in a change to the rules file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertRole {
    /// Any alerting rule.
    Any,
    /// An alert with a `for`.
    Waiting,
    /// An alert with a `severity` label.
    WithSeverity,
    /// An alert with a `description` annotation.
    WithDescription,
}

impl AlertRole {
    fn plays(self, rule: &Rule) -> bool {
        match self {
            AlertRole::Any => true,
            AlertRole::Waiting => rule.for_duration.is_some(),
            AlertRole::WithSeverity => rule.label("severity").is_some(),
            AlertRole::WithDescription => rule.annotation("description").is_some(),
        }
    }

    /// The alert, as the reason of a scenario that does not apply says it.
    fn lacking(self) -> &'static str {
        match self {
            AlertRole::Any => "the rules file has no alerting rule",
            AlertRole::Waiting => "no alert waits before firing (none has a \"for\")",
            AlertRole::WithSeverity => "no alert has a severity label",
            AlertRole::WithDescription => "no alert has a description",
        }
    }
}

fn alerts(text: &str) -> Vec<Rule> {
    let (file, _) = rule_file::parse("rules", text);
    file.alerting_rules().cloned().collect()
}

/// The expression of an alert, when it parses.
fn expression(rule: &Rule) -> Option<Expr> {
    promql_parser::parser::parse(rule.expr.as_deref()?).ok()
}

/// The first alert of the rules file `text` that plays `role`.
pub fn alert(text: &str, role: AlertRole) -> Result<String, NotApplicable> {
    alerts(text)
        .into_iter()
        .find(|r| role.plays(r))
        .map(|r| r.name)
        .ok_or_else(|| NotApplicable::new(role.lacking()))
}

/// Two alerts with different names: the first, and the next one after it.
pub fn two_alerts(text: &str) -> Result<(String, String), NotApplicable> {
    let all = alerts(text);
    let first = all
        .first()
        .ok_or_else(|| NotApplicable::new(AlertRole::Any.lacking()))?;
    let second = all
        .iter()
        .find(|r| r.name != first.name)
        .ok_or_else(|| NotApplicable::new("the rules file has fewer than two alerts"))?;
    Ok((first.name.clone(), second.name.clone()))
}

/// The labels an expression matches on in its selectors (the name and empty ones aside).
fn matched_labels(expr: &Expr) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for vs in label_flow::selectors(expr) {
        for m in label_flow::matchers(vs) {
            if m.name != "__name__" && !out.contains(&m.name) {
                out.push(m.name.clone());
            }
        }
    }
    out
}

/// An alert with a summary whose result surely drops a label one of its selectors matches
/// on (an aggregation by other labels), and that label: naming it in the summary is the
/// mistake the static template check catches.
pub fn alert_dropping_a_selected_label(text: &str) -> Result<(String, String), NotApplicable> {
    alerts(text)
        .iter()
        .filter(|r| r.annotation("summary").is_some())
        .find_map(|rule| {
            let expr = expression(rule)?;
            let (labels, _) = label_flow::analyse(&expr, &NoCatalog);
            let dropped = matched_labels(&expr)
                .into_iter()
                .find(|l| !labels.may_have(l))?;
            Some((rule.name.clone(), dropped))
        })
        .ok_or_else(|| {
            NotApplicable::new("no alert with a summary aggregates away a label it selects on")
        })
}

/// The labels some catalogued metric carries, sorted.
fn every_catalog_label(catalogs: &CatalogSet) -> BTreeSet<&str> {
    catalogs
        .catalogs
        .iter()
        .flat_map(|c| c.metrics.values())
        .flat_map(|m| m.labels.iter().map(String::as_str))
        .collect()
}

/// An alert with a summary whose result, by the catalogs, can only carry a known set of
/// labels, and a label some other catalogued metric carries that this result cannot: naming
/// it in the summary is the mistake the catalog template check catches.
pub fn alert_whose_metric_lacks_a_label(
    text: &str,
    catalogs: &CatalogSet,
) -> Result<(String, String), NotApplicable> {
    let known = super::catalog::KnownSeries {
        catalogs,
        recorded: Default::default(),
        published: None,
        attribution: None,
    };
    let candidates = every_catalog_label(catalogs);
    alerts(text)
        .iter()
        .filter(|r| r.annotation("summary").is_some())
        .find_map(|rule| {
            let expr = expression(rule)?;
            let (labels, _) = label_flow::analyse(&expr, &known);
            if !matches!(labels, LabelSet::Closed(_)) {
                return None;
            }
            let label = candidates.iter().find(|l| !labels.may_have(l))?;
            Some((rule.name.clone(), label.to_string()))
        })
        .ok_or_else(|| {
            NotApplicable::new(
                "no alert with a summary has a result whose labels the catalogs know",
            )
        })
}

/// A metric selected by an alert that an exporter catalog lists, and a misspelling of it
/// that no catalog lists.
pub fn alert_on_a_catalogued_metric(
    text: &str,
    catalogs: &CatalogSet,
) -> Result<(String, String, String), NotApplicable> {
    alerts(text)
        .iter()
        .find_map(|rule| {
            let expr = expression(rule)?;
            let metric = label_flow::selectors(&expr)
                .into_iter()
                .filter_map(label_flow::metric_name)
                .find(|m| catalogs.labels(m).is_some())?
                .to_string();
            let misspelt = format!("{metric}_misspelt");
            if catalogs.labels(&misspelt).is_some() {
                return None;
            }
            Some((rule.name.clone(), metric, misspelt))
        })
        .ok_or_else(|| NotApplicable::new("no alert selects a metric an exporter catalog lists"))
}

/// An alert that matches on a label of a catalogued metric (of `exporter`'s catalog when
/// given), that label, and a label another metric of the same catalog carries but this one
/// does not: matching on it is the mistake the catalog label check catches, metric by
/// metric rather than exporter by exporter.
pub fn alert_matching_a_metric_label(
    text: &str,
    catalogs: &CatalogSet,
    exporter: Option<&str>,
) -> Result<(String, String, String), NotApplicable> {
    let found = alerts(text).iter().find_map(|rule| {
        let expr = expression(rule)?;
        label_flow::selectors(&expr).into_iter().find_map(|vs| {
            let metric = label_flow::metric_name(vs)?;
            let own = catalogs.labels(metric)?;
            let catalog = catalogs
                .exporters_of(metric)
                .into_iter()
                .find(|c| exporter.is_none_or(|e| c.exporter == e))?;
            let matched = label_flow::matchers(vs)
                .map(|m| m.name.as_str())
                .find(|l| !always_allowed(l) && own.contains(*l))?;
            let other = catalog
                .metrics
                .values()
                .flat_map(|m| m.labels.iter())
                .filter(|l| !own.contains(*l) && !always_allowed(l))
                .min()?;
            Some((rule.name.clone(), matched.to_string(), other.clone()))
        })
    });
    found.ok_or_else(|| {
        NotApplicable::new(match exporter {
            Some(e) => format!("no alert matches on a label of a {e} metric"),
            None => "no alert matches on a label of a catalogued metric".to_string(),
        })
    })
}

/// One `textfile_sample METRIC VALUE label="value"...` call of a publishing script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The script, relative to the repository.
    pub script: String,
    pub metric: String,
    pub labels: Vec<String>,
}

/// The samples the scripts (`(path, text)`) write through the textfile library, in order.
pub fn samples<'a>(scripts: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Sample> {
    let mut out = Vec::new();
    for (script, text) in scripts {
        for line in text.lines() {
            let mut words = line.split_whitespace();
            if words.next() != Some("textfile_sample") {
                continue;
            }
            let Some(metric) = words.next().filter(|m| is_metric_name(m)) else {
                continue;
            };
            let labels = words
                .skip(1)
                .filter_map(|w| w.split_once('=').map(|(name, _)| name.to_string()))
                .collect();
            out.push(Sample {
                script: script.to_string(),
                metric: metric.to_string(),
                labels,
            });
        }
    }
    out
}

fn is_metric_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

const NO_SAMPLE: &str = "no publishing script writes a sample through the textfile library";

/// A sample of a metric only one script writes: renaming it there leaves the metric
/// unpublished.
pub fn sample_of_one_script(samples: &[Sample]) -> Result<&Sample, NotApplicable> {
    if samples.is_empty() {
        return Err(NotApplicable::new(NO_SAMPLE));
    }
    samples
        .iter()
        .find(|s| {
            samples
                .iter()
                .all(|o| o.metric != s.metric || o.script == s.script)
        })
        .ok_or_else(|| {
            NotApplicable::new("every metric the publishing scripts write is written by two")
        })
}

/// A sample with a label, and the label to drop. A sample with two labels or more comes
/// first, and loses its last one: the labels before it usually still tell its series apart,
/// whereas a loop's only label is what makes each of its samples a series of its own.
pub fn labelled_sample(samples: &[Sample]) -> Result<(&Sample, String), NotApplicable> {
    samples
        .iter()
        .find(|s| s.labels.len() >= 2)
        .or_else(|| samples.iter().find(|s| !s.labels.is_empty()))
        .and_then(|s| s.labels.last().map(|l| (s, l.clone())))
        .ok_or_else(|| {
            NotApplicable::new(if samples.is_empty() {
                NO_SAMPLE
            } else {
                "no publishing script writes a sample with a label"
            })
        })
}

/// A sample, and a label name none of its metric's samples carry.
pub fn sample_and_new_label(samples: &[Sample]) -> Result<(&Sample, String), NotApplicable> {
    let sample = samples
        .first()
        .ok_or_else(|| NotApplicable::new(NO_SAMPLE))?;
    let used: BTreeSet<&str> = samples
        .iter()
        .filter(|s| s.metric == sample.metric)
        .flat_map(|s| s.labels.iter().map(String::as_str))
        .collect();
    let label = ["node", "host", "extra_label"]
        .into_iter()
        .find(|l| !used.contains(l))
        .unwrap_or("homelab_spec_extra_label");
    Ok((sample, label.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"groups:
  - name: g
    rules:
      - alert: Quick
        expr: up == 0
        labels:
          team: x
      - alert: CpuBusy
        expr: 100 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100 > 90
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: CPU of {{ $labels.instance }} is busy
          description: more
"#;

    #[test]
    fn the_first_alert_playing_the_role_is_chosen() {
        assert_eq!(alert(FILE, AlertRole::Any).unwrap(), "Quick");
        assert_eq!(alert(FILE, AlertRole::Waiting).unwrap(), "CpuBusy");
        assert_eq!(alert(FILE, AlertRole::WithSeverity).unwrap(), "CpuBusy");
        assert_eq!(
            two_alerts(FILE).unwrap(),
            ("Quick".to_string(), "CpuBusy".to_string())
        );
    }

    #[test]
    fn nothing_to_play_the_role_is_not_applicable_with_the_reason() {
        let only_quick =
            "groups:\n  - name: g\n    rules:\n      - alert: Quick\n        expr: up == 0\n";
        let why = alert(only_quick, AlertRole::Waiting).unwrap_err();
        assert!(why.reason.contains("\"for\""), "{why}");
        assert!(two_alerts(only_quick).is_err());
        assert!(alert_dropping_a_selected_label(only_quick).is_err());
    }

    #[test]
    fn an_aggregation_that_drops_a_selected_label_is_found() {
        assert_eq!(
            alert_dropping_a_selected_label(FILE).unwrap(),
            ("CpuBusy".to_string(), "mode".to_string())
        );
    }

    #[test]
    fn samples_of_the_textfile_library_are_read_with_their_labels() {
        let a = "textfile_sample homelab_a 1 vmid=\"$id\" storage=\"$s\"\ntextfile_sample homelab_shared 1\n";
        let b = "textfile_sample homelab_shared 2\n# textfile_sample not_a_call 1\n";
        let all = samples([("scripts/a.sh", a), ("scripts/b.sh", b)]);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].labels, ["vmid", "storage"]);
        assert_eq!(sample_of_one_script(&all).unwrap().metric, "homelab_a");
        let (s, label) = labelled_sample(&all).unwrap();
        assert_eq!(
            (s.metric.as_str(), label.as_str()),
            ("homelab_a", "storage")
        );
        assert_eq!(sample_and_new_label(&all).unwrap().1, "node");
        assert!(labelled_sample(&[]).is_err());
    }
}

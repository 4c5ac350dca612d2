//! The first depth: checks that need only the rules file itself. Required fields, severity
//! values, `for` durations, unique names, and annotation templates that use only labels the
//! expression's result carries.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::duration::parse_duration;
use super::finding::{CheckId, Finding, rule_finding};
use super::label_flow::LabelSet;
use super::rule_file::{Rule, RuleFile, RuleKind};
use super::template;

/// The severities the homelab routes on.
pub(crate) const SEVERITIES: [&str; 3] = ["info", "warning", "critical"];

/// Annotations every alert must have.
pub(crate) const REQUIRED_ANNOTATIONS: [&str; 2] = ["summary", "description"];

/// Label names a template reads: `$labels.x`, `.Labels.x`, `index $labels "x"`.
pub(crate) fn template_labels(template: &str) -> Vec<String> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    if !template.contains("{{") {
        return Vec::new();
    }
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r#"\$labels\.([A-Za-z_][A-Za-z0-9_]*)|\.Labels\.([A-Za-z_][A-Za-z0-9_]*)|index\s+\$labels\s+"([^"]+)""#,
        )
        .expect("template label pattern")
    });
    re.captures_iter(template)
        .filter_map(|c| c.get(1).or(c.get(2)).or(c.get(3)))
        .map(|m| m.as_str().to_string())
        .collect()
}

/// `rule/expr-missing`: a rule without an expression.
pub(crate) fn check_expr(file: &RuleFile, rule: &Rule, out: &mut Vec<Finding>) {
    if rule.expr.as_deref().is_none_or(|e| e.trim().is_empty()) {
        out.push(file.finding(
            CheckId::RuleExprMissing,
            rule,
            "expr",
            "the rule has no expr; expected a PromQL expression".into(),
        ));
    }
}

/// `yaml/shape` for a recording rule's fields: `for`, `keep_firing_for` and `annotations`
/// belong to alerts, and Prometheus refuses them on a recording rule.
pub(crate) fn check_recording_fields(file: &RuleFile, rule: &Rule, out: &mut Vec<Finding>) {
    if rule.kind == RuleKind::Recording {
        for key in ["for", "keep_firing_for", "annotations"] {
            let present = match key {
                "for" => rule.for_duration.is_some(),
                "keep_firing_for" => rule.keep_firing_for.is_some(),
                _ => !rule.annotations.is_empty(),
            };
            if present {
                out.push(file.finding(
                    CheckId::YamlShape,
                    rule,
                    key,
                    format!("a recording rule cannot have \"{key}\"; Prometheus refuses it"),
                ));
            }
        }
    }
}

/// `alerts/for`: an alert's `for` missing or not a duration, or a bad `keep_firing_for`.
pub(crate) fn check_for(file: &RuleFile, rule: &Rule, out: &mut Vec<Finding>) {
    if rule.kind == RuleKind::Recording {
        return;
    }
    match rule.for_duration.as_deref() {
        None => out.push(file.finding(
            CheckId::AlertsFor,
            rule,
            "alert",
            "the alert has no `for`; expected a duration such as 5m, so that a blip does not page".into(),
        )),
        Some(text) if parse_duration(text).is_none() => out.push(file.finding(
            CheckId::AlertsFor,
            rule,
            "for",
            format!("for \"{text}\" is not a Prometheus duration; expected e.g. 30s, 5m, 1h30m (at most about 292 years)"),
        )),
        Some(_) => {}
    }
    if let Some(text) = rule.keep_firing_for.as_deref()
        && parse_duration(text).is_none()
    {
        out.push(file.finding(
            CheckId::AlertsFor,
            rule,
            "keep_firing_for",
            format!("keep_firing_for \"{text}\" is not a Prometheus duration; expected e.g. 30s, 5m, 1h30m (at most about 292 years)"),
        ));
    }
}

/// `alerts/severity`: an alert's `severity` label missing or not a known one.
pub(crate) fn check_severity(file: &RuleFile, rule: &Rule, out: &mut Vec<Finding>) {
    if rule.kind == RuleKind::Recording {
        return;
    }
    match rule.label("severity") {
        None => out.push(file.finding(
            CheckId::AlertsSeverity,
            rule,
            "labels",
            format!(
                "the alert has no severity label; expected one of {}",
                SEVERITIES.join(", ")
            ),
        )),
        Some(severity) if !SEVERITIES.contains(&severity) => out.push(file.finding(
            CheckId::AlertsSeverity,
            rule,
            "severity",
            format!(
                "severity \"{severity}\" is not one of {}",
                SEVERITIES.join(", ")
            ),
        )),
        Some(_) => {}
    }
}

/// `alerts/annotations`: an alert's `summary` or `description` missing or empty.
pub(crate) fn check_annotations(file: &RuleFile, rule: &Rule, out: &mut Vec<Finding>) {
    if rule.kind == RuleKind::Recording {
        return;
    }
    for name in REQUIRED_ANNOTATIONS {
        match rule.annotation(name) {
            Some(text) if !text.trim().is_empty() => {}
            Some(_) => out.push(file.finding(
                CheckId::AlertsAnnotations,
                rule,
                name,
                format!("the {name} annotation is empty; expected a sentence for the person paged"),
            )),
            None => out.push(file.finding(
                CheckId::AlertsAnnotations,
                rule,
                "annotations",
                format!("the alert has no {name} annotation; expected summary and description"),
            )),
        }
    }
}

/// A label (or annotation) name as Prometheus validates it (`model.LabelName.IsValid`):
/// ASCII letters, digits and `_`, not starting with a digit.
pub(crate) fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// A metric name as Prometheus validates it (`model.IsValidMetricName`): a label name that
/// may also contain `:`.
pub(crate) fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b == b':' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b == b':' || b.is_ascii_alphanumeric())
}

/// `rule/name` and `rule/label-name`: names Prometheus 2.42 refuses when it loads the file.
pub(crate) fn check_names(file: &RuleFile, rule: &Rule, out: &mut Vec<Finding>) {
    match rule.kind {
        RuleKind::Alerting if rule.name.is_empty() => out.push(file.finding(
            CheckId::RuleName,
            rule,
            "alert",
            "the alert name is empty; Prometheus reads the rule as neither alert nor record".into(),
        )),
        RuleKind::Recording if !is_metric_name(&rule.name) => out.push(file.finding(
            CheckId::RuleName,
            rule,
            "record",
            format!(
                "\"{}\" is not a metric name; expected letters, digits, _ and : (not starting with a digit)",
                rule.name
            ),
        )),
        _ => {}
    }
    for (key, _) in &rule.labels {
        if !is_label_name(key) || key == "__name__" {
            out.push(file.finding(
                CheckId::RuleLabelName,
                rule,
                key,
                format!(
                    "label name \"{key}\" is not valid; expected letters, digits and _ (not starting with a digit), and not __name__"
                ),
            ));
        }
    }
    for (key, _) in &rule.annotations {
        if !is_label_name(key) {
            out.push(file.finding(
                CheckId::RuleLabelName,
                rule,
                key,
                format!(
                    "annotation name \"{key}\" is not valid; expected letters, digits and _ (not starting with a digit)"
                ),
            ));
        }
    }
}

/// `alerts/template-syntax`: every label and annotation of an alert parses as a template,
/// as Prometheus 2.42 parses them when it loads the file ([`template::check`]).
pub(crate) fn check_template_syntax(file: &RuleFile, rule: &Rule, out: &mut Vec<Finding>) {
    if rule.kind != RuleKind::Alerting {
        return;
    }
    for (kind, pairs) in [("label", &rule.labels), ("annotation", &rule.annotations)] {
        for (key, text) in pairs {
            if let Err(e) = template::check(&rule.name, text) {
                out.push(file.finding(
                    CheckId::AlertsTemplateSyntax,
                    rule,
                    key,
                    format!("the {kind} {key} is not a template Prometheus can parse: {e}"),
                ));
            }
        }
    }
}

/// `alerts/template`: every label a template reads must be one the expression's result can
/// carry (`labels` are what [`super::label_flow::analyse`] found).
pub(crate) fn check_templates(
    file: &RuleFile,
    rule: &Rule,
    labels: &LabelSet,
    out: &mut Vec<Finding>,
) {
    if rule.kind != RuleKind::Alerting {
        return;
    }
    for (key, text) in rule.annotations.iter().chain(rule.labels.iter()) {
        let mut reported = Vec::new();
        for label in template_labels(text) {
            if !labels.may_have(&label) && !reported.contains(&label) {
                out.push(file.finding(
                    CheckId::AlertsTemplate,
                    rule,
                    key,
                    format!(
                        "{key} uses $labels.{label}, but the expression's result has {}",
                        labels.describe()
                    ),
                ));
                reported.push(label);
            }
        }
    }
}

/// `rule/duplicate`: alert names and group names must be unique in the file, and so must
/// recording rules' name and labels together (`promtool check rules` refuses those).
pub(crate) fn check_duplicates(file: &RuleFile, out: &mut Vec<Finding>) {
    let mut groups: HashMap<&str, usize> = HashMap::new();
    for group in &file.groups {
        if let Some(first) = groups.insert(&group.name, group.line) {
            groups.insert(&group.name, first);
            out.push(rule_finding(
                CheckId::RuleDuplicate,
                &file.name,
                group.line,
                Some(group.name.clone()),
                format!(
                    "group name \"{}\" is already used on line {first}; Prometheus refuses the file",
                    group.name
                ),
            ));
        }
    }
    // A recording rule is its name and its sorted labels.
    type Recorded<'r> = (&'r str, Vec<(&'r str, &'r str)>);
    let mut recorded: HashMap<Recorded, usize> = HashMap::new();
    for rule in file.rules().filter(|r| r.kind == RuleKind::Recording) {
        let mut labels: Vec<(&str, &str)> = rule
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        labels.sort_unstable();
        if let Some(&first) = recorded.get(&(rule.name.as_str(), labels.clone())) {
            out.push(file.finding(
                CheckId::RuleDuplicate,
                rule,
                "record",
                format!(
                    "recording rule {} with these labels is already on line {first}; promtool refuses duplicates",
                    rule.name
                ),
            ));
        } else {
            recorded.insert((rule.name.as_str(), labels), rule.line);
        }
    }
    let mut alerts: HashMap<&str, usize> = HashMap::new();
    for rule in file.alerting_rules() {
        if let Some(&first) = alerts.get(rule.name.as_str()) {
            out.push(file.finding(
                CheckId::RuleDuplicate,
                rule,
                "alert",
                format!(
                    "alert name {} is already used on line {first}; expected unique names",
                    rule.name
                ),
            ));
        } else {
            alerts.insert(&rule.name, rule.line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prometheus() {
        for good in ["severity", "_x", "a1", "A_b"] {
            assert!(is_label_name(good), "{good}");
        }
        for bad in ["", "my-label", "a b", "1a", "é", "a:b"] {
            assert!(!is_label_name(bad), "{bad}");
        }
        assert!(is_metric_name("instance:load:ratio"));
        assert!(is_metric_name(":a"));
        for bad in ["", "not a metric name!", "1a", "a-b"] {
            assert!(!is_metric_name(bad), "{bad}");
        }
    }

    #[test]
    fn template_labels_are_found_in_every_spelling() {
        assert_eq!(
            template_labels(
                "{{ $labels.instance }} {{ .Labels.job }} {{ index $labels \"device\" }}"
            ),
            ["instance", "job", "device"]
        );
        assert!(template_labels("no template $labels.x").is_empty());
        assert!(template_labels("{{ $value }}").is_empty());
    }
}

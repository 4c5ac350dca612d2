//! The first depth: checks that need only the rules file itself. Required fields, severity
//! values, `for` durations, unique names, and annotation templates that use only labels the
//! expression's result carries.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::finding::{CheckId, Finding, rule_finding};
use super::label_flow::LabelSet;
use super::rule_file::{Rule, RuleFile, RuleKind};

/// The severities the homelab routes on.
pub const SEVERITIES: [&str; 3] = ["info", "warning", "critical"];

/// Annotations every alert must have.
pub const REQUIRED_ANNOTATIONS: [&str; 2] = ["summary", "description"];

/// A Prometheus duration (`5m`, `1h30m`, `90s`, `0`): units y w d h m s ms, each at most once,
/// largest first, as Prometheus's own parser accepts them.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    if text == "0" {
        return Some(std::time::Duration::ZERO);
    }
    if text.is_empty() {
        return None;
    }
    let mut rest = text;
    let mut next_unit = 0;
    let mut millis: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // "ms" must win over "m" followed by "s".
        let (index, (unit, factor)) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (u, _))| rest.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len())?;
        rest = &rest[unit.len()..];
        millis = millis.checked_add(number.checked_mul(*factor)?)?;
        next_unit = index + 1;
    }
    Some(std::time::Duration::from_millis(millis))
}

/// Label names a template reads: `$labels.x`, `.Labels.x`, `index $labels "x"`.
pub fn template_labels(template: &str) -> Vec<String> {
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

/// Per-rule field checks (`rule/expr-missing`, `alerts/for`, `alerts/severity`,
/// `alerts/annotations`) and a recording rule's fields.
pub fn check_fields(file: &RuleFile, rule: &Rule, out: &mut Vec<Finding>) {
    if rule.expr.as_deref().is_none_or(|e| e.trim().is_empty()) {
        out.push(file.finding(
            CheckId::RuleExprMissing,
            rule,
            "expr",
            "the rule has no expr; expected a PromQL expression".into(),
        ));
    }
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
            format!("for \"{text}\" is not a duration; expected e.g. 30s, 5m, 1h30m"),
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
            format!("keep_firing_for \"{text}\" is not a duration; expected e.g. 30s, 5m, 1h30m"),
        ));
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

/// `alerts/template`: every label a template reads must be one the expression's result can
/// carry (`labels` are what [`super::label_flow::analyse`] found).
pub fn check_templates(file: &RuleFile, rule: &Rule, labels: &LabelSet, out: &mut Vec<Finding>) {
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

/// `rule/duplicate`: alert names and group names must be unique in the file.
pub fn check_duplicates(file: &RuleFile, out: &mut Vec<Finding>) {
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
    use std::time::Duration;

    #[test]
    fn durations_follow_prometheus() {
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(
            parse_duration("1m500ms"),
            Some(Duration::from_millis(60_500))
        );
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        for bad in ["", "5", "5 minutes", "m", "5m1h", "1.5h", "-5m", "5mm"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
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

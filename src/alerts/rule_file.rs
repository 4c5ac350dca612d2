//! The Prometheus rules file as a model: groups and rules, each with the line it starts on,
//! plus the problems found while reading it (YAML syntax, unknown keys, wrong shapes).
//!
//! The YAML is read once with serde_yaml into a generic value (so that unknown keys and
//! wrong types become findings instead of one opaque error), and line numbers come from
//! [`super::outline`].

use std::ops::Range;

use serde_yaml::{Mapping, Value};

use super::duration::parse_duration;
use super::finding::{CheckId, Finding, rule_finding};
use super::outline::{Lines, Outline};

/// Keys Prometheus 2.42 accepts, per level. Anything else makes `promtool check rules` fail.
const FILE_KEYS: &[&str] = &["groups"];
const GROUP_KEYS: &[&str] = &["name", "interval", "limit", "rules"];
const RULE_KEYS: &[&str] = &[
    "alert",
    "record",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Alerting,
    Recording,
}

/// One rule as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub kind: RuleKind,
    /// The `alert` or `record` name.
    pub name: String,
    pub group: String,
    /// 1-based line where the rule starts.
    pub line: usize,
    /// 0-based line range of the rule in the text, to find the line of one of its keys.
    pub lines: Range<usize>,
    pub expr: Option<String>,
    /// `for` as written (a number is kept as its text: Prometheus reads it as a string too).
    pub for_duration: Option<String>,
    pub keep_firing_for: Option<String>,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
}

impl Rule {
    pub fn label(&self, name: &str) -> Option<&str> {
        lookup(&self.labels, name)
    }

    pub fn annotation(&self, name: &str) -> Option<&str> {
        lookup(&self.annotations, name)
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    /// 1-based line where the group starts.
    pub line: usize,
    pub rules: Vec<Rule>,
}

/// A rules file: its name (as the user gave it), its text's lines, and its groups.
#[derive(Debug, Clone)]
pub struct RuleFile {
    pub name: String,
    pub lines: Lines,
    pub groups: Vec<Group>,
    /// The YAML as read, to derive a cut-down copy from (the report's timelines) without
    /// reading the text again; `None` when the text is not YAML.
    pub(crate) yaml: Option<Value>,
}

impl RuleFile {
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.groups.iter().flat_map(|g| g.rules.iter())
    }

    pub fn alerting_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules().filter(|r| r.kind == RuleKind::Alerting)
    }

    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules().find(|r| r.name == name)
    }

    /// 1-based line of `key` inside `rule`, or the rule's own line.
    pub(crate) fn line_of(&self, rule: &Rule, key: &str) -> usize {
        self.lines
            .key_line(rule.lines.clone(), key)
            .map_or(rule.line, |i| i + 1)
    }

    /// A finding about `rule`.
    pub fn finding(&self, check: CheckId, rule: &Rule, key: &str, message: String) -> Finding {
        rule_finding(
            check,
            &self.name,
            self.line_of(rule, key),
            Some(rule.name.clone()),
            message,
        )
    }
}

/// Reads a rules file. Never fails: what cannot be read becomes a finding.
pub fn parse(name: &str, text: &str) -> (RuleFile, Vec<Finding>) {
    read_as_yaml(name, text, None)
}

/// [`parse`] for a text whose YAML value was read already (`yaml`; discovery reads every
/// deployed file's): the text is not parsed again. Without it (`None`), the text is parsed
/// here, and a text that is not YAML gets its syntax finding.
pub(crate) fn read_as_yaml(
    name: &str,
    text: &str,
    yaml: Option<Value>,
) -> (RuleFile, Vec<Finding>) {
    #[cfg(test)]
    parses::count();
    let lines = Lines::new(text);
    let mut reader = Reader {
        name,
        lines: &lines,
        outline: lines.outline(),
        findings: Vec::new(),
    };
    let yaml = yaml.map_or_else(
        || {
            #[cfg(test)]
            parses::count_yaml();
            serde_yaml::from_str::<Value>(text)
        },
        Ok,
    );
    let groups = match &yaml {
        Ok(doc) => reader.file(doc),
        Err(e) => {
            let line = e.location().map_or(1, |l| l.line());
            reader.push(
                CheckId::YamlSyntax,
                line,
                None,
                format!("the file is not valid YAML: {e}"),
            );
            Vec::new()
        }
    };
    let findings = reader.findings;
    (
        RuleFile {
            name: name.to_string(),
            lines,
            groups,
            yaml: yaml.ok(),
        },
        findings,
    )
}

/// How many times this thread has read a text as rules, and parsed a text as YAML to do it,
/// for the tests that hold each deployed file to one reading.
#[cfg(test)]
pub(crate) mod parses {
    use std::cell::Cell;

    thread_local! {
        static READS: Cell<usize> = const { Cell::new(0) };
        static YAML: Cell<usize> = const { Cell::new(0) };
    }

    pub(super) fn count() {
        READS.with(|n| n.set(n.get() + 1));
    }

    pub(super) fn count_yaml() {
        YAML.with(|n| n.set(n.get() + 1));
    }

    /// The readings as rules so far on this thread.
    pub(crate) fn so_far() -> usize {
        READS.with(Cell::get)
    }

    /// The YAML parses of a rules text so far on this thread.
    pub(crate) fn yaml_so_far() -> usize {
        YAML.with(Cell::get)
    }
}

struct Reader<'r> {
    name: &'r str,
    lines: &'r Lines,
    outline: Outline,
    findings: Vec<Finding>,
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a map",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A scalar as Prometheus would read it into a string field.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Reader<'_> {
    fn push(&mut self, check: CheckId, line: usize, rule: Option<String>, message: String) {
        self.findings
            .push(rule_finding(check, self.name, line, rule, message));
    }

    fn group_range(&self, index: usize) -> Option<Range<usize>> {
        self.outline.groups.get(index).map(|g| g.lines.clone())
    }

    fn rule_range(&self, group: usize, index: usize) -> Option<Range<usize>> {
        self.outline
            .groups
            .get(group)
            .and_then(|g| g.rules.get(index))
            .cloned()
    }

    /// 1-based line of `key` in `range`, else the range's first line, else line 1.
    fn line_in(&self, range: Option<Range<usize>>, key: &str) -> usize {
        match range {
            Some(r) => self.lines.key_line(r.clone(), key).unwrap_or(r.start) + 1,
            None => 1,
        }
    }

    fn unknown_keys(
        &mut self,
        map: &Mapping,
        allowed: &[&str],
        range: Option<Range<usize>>,
        owner: Option<String>,
        level: &str,
    ) {
        for key in map.keys() {
            let text = scalar_text(key).unwrap_or_else(|| format!("{key:?}"));
            if !allowed.contains(&text.as_str()) {
                let line = match &range {
                    None => self.lines.top_level_key_line(&text).map_or(1, |i| i + 1),
                    Some(_) => self.line_in(range.clone(), &text),
                };
                self.push(
                    CheckId::YamlUnknownKey,
                    line,
                    owner.clone(),
                    format!(
                        "unknown {level} key \"{text}\"; expected one of {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    fn file(&mut self, doc: &Value) -> Vec<Group> {
        let Value::Mapping(map) = doc else {
            self.push(
                CheckId::YamlShape,
                1,
                None,
                format!(
                    "expected a map with a \"groups\" list at the top, found {}",
                    describe(doc)
                ),
            );
            return Vec::new();
        };
        self.unknown_keys(map, FILE_KEYS, None, None, "top-level");
        match map.get("groups") {
            Some(Value::Sequence(groups)) => groups
                .iter()
                .enumerate()
                .filter_map(|(i, g)| self.group(i, g))
                .collect(),
            Some(other) => {
                let line = self.lines.top_level_key_line("groups").map_or(1, |i| i + 1);
                self.push(
                    CheckId::YamlShape,
                    line,
                    None,
                    format!("\"groups\" must be a list, found {}", describe(other)),
                );
                Vec::new()
            }
            None => {
                self.push(
                    CheckId::YamlShape,
                    1,
                    None,
                    "the file has no \"groups\" list".into(),
                );
                Vec::new()
            }
        }
    }

    fn group(&mut self, index: usize, value: &Value) -> Option<Group> {
        let range = self.group_range(index);
        let line = self.line_in(range.clone(), "name");
        let Value::Mapping(map) = value else {
            self.push(
                CheckId::YamlShape,
                line,
                None,
                format!(
                    "group {} must be a map, found {}",
                    index + 1,
                    describe(value)
                ),
            );
            return None;
        };
        let name = match map.get("name").and_then(scalar_text) {
            Some(name) if !name.trim().is_empty() => name,
            _ => {
                self.push(
                    CheckId::YamlShape,
                    line,
                    None,
                    format!("group {} has no name", index + 1),
                );
                format!("group {}", index + 1)
            }
        };
        self.unknown_keys(map, GROUP_KEYS, range.clone(), Some(name.clone()), "group");
        self.group_fields(map, range.clone(), &name);
        let rules = match map.get("rules") {
            Some(Value::Sequence(rules)) => rules
                .iter()
                .enumerate()
                .filter_map(|(i, r)| self.rule(index, &name, i, r))
                .collect(),
            Some(Value::Null) | None => Vec::new(),
            Some(other) => {
                let line = self.line_in(range, "rules");
                self.push(
                    CheckId::YamlShape,
                    line,
                    Some(name.clone()),
                    format!("\"rules\" must be a list, found {}", describe(other)),
                );
                Vec::new()
            }
        };
        Some(Group {
            name,
            line: self.group_range(index).map_or(1, |r| r.start + 1),
            rules,
        })
    }

    /// `interval` must be a Prometheus duration and `limit` an integer (Go's `int`), or
    /// Prometheus refuses the file.
    fn group_fields(&mut self, map: &Mapping, range: Option<Range<usize>>, group: &str) {
        match map.get("interval") {
            None | Some(Value::Null) => {}
            Some(value) => {
                let text = scalar_text(value);
                if text.as_deref().and_then(parse_duration).is_none() {
                    let line = self.line_in(range.clone(), "interval");
                    let found =
                        text.map_or_else(|| describe(value).to_string(), |t| format!("\"{t}\""));
                    self.push(
                        CheckId::GroupField,
                        line,
                        Some(group.to_string()),
                        format!(
                            "interval {found} is not a Prometheus duration; expected e.g. 30s, 1m (at most about 292 years)"
                        ),
                    );
                }
            }
        }
        match map.get("limit") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.is_i64() => {}
            Some(value) => {
                let line = self.line_in(range, "limit");
                let found = scalar_text(value)
                    .map_or_else(|| describe(value).to_string(), |t| format!("\"{t}\""));
                self.push(
                    CheckId::GroupField,
                    line,
                    Some(group.to_string()),
                    format!("limit {found} is not an integer; expected the most alerts or series the group may produce, e.g. 100"),
                );
            }
        }
    }

    fn rule(
        &mut self,
        group_index: usize,
        group: &str,
        index: usize,
        value: &Value,
    ) -> Option<Rule> {
        let range = self.rule_range(group_index, index);
        let start = range.as_ref().map_or_else(
            || self.group_range(group_index).map_or(1, |r| r.start + 1),
            |r| r.start + 1,
        );
        let Value::Mapping(map) = value else {
            self.push(
                CheckId::YamlShape,
                start,
                Some(group.to_string()),
                format!(
                    "rule {} of group {group} must be a map, found {}",
                    index + 1,
                    describe(value)
                ),
            );
            return None;
        };
        let alert = map.get("alert").and_then(scalar_text);
        let record = map.get("record").and_then(scalar_text);
        let (kind, name) = match (alert, record) {
            (Some(a), None) => (RuleKind::Alerting, a),
            (None, Some(r)) => (RuleKind::Recording, r),
            (a, r) => {
                let which = if a.is_some() { "both" } else { "neither" };
                self.push(
                    CheckId::YamlShape,
                    start,
                    a.or(r).or_else(|| Some(group.to_string())),
                    format!(
                        "rule {} of group {group} has {which} \"alert\" and \"record\"; expected exactly one",
                        index + 1
                    ),
                );
                return None;
            }
        };
        self.unknown_keys(map, RULE_KEYS, range.clone(), Some(name.clone()), "rule");
        let lines = range.unwrap_or(start - 1..start);
        let text_field = |reader: &mut Self, key: &str| match map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => match scalar_text(v) {
                Some(s) => Some(s),
                None => {
                    let line = reader.line_in(Some(lines.clone()), key);
                    reader.push(
                        CheckId::YamlShape,
                        line,
                        Some(name.clone()),
                        format!("\"{key}\" must be a string, found {}", describe(v)),
                    );
                    None
                }
            },
        };
        let expr = text_field(self, "expr");
        let for_duration = text_field(self, "for");
        let keep_firing_for = text_field(self, "keep_firing_for");
        let labels = self.string_map(map, "labels", &lines, &name);
        let annotations = self.string_map(map, "annotations", &lines, &name);
        Some(Rule {
            kind,
            name,
            group: group.to_string(),
            line: start,
            lines,
            expr,
            for_duration,
            keep_firing_for,
            labels,
            annotations,
        })
    }

    fn string_map(
        &mut self,
        map: &Mapping,
        key: &str,
        lines: &Range<usize>,
        rule: &str,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        match map.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Mapping(entries)) => {
                for (k, v) in entries {
                    match (scalar_text(k), scalar_text(v)) {
                        (Some(k), Some(v)) => out.push((k, v)),
                        (k, _) => {
                            let entry = k.unwrap_or_default();
                            let line = self.line_in(Some(lines.clone()), &entry);
                            self.push(
                                CheckId::YamlShape,
                                line,
                                Some(rule.to_string()),
                                format!(
                                    "{key} \"{entry}\" must be a string, found {}",
                                    describe(v)
                                ),
                            );
                        }
                    }
                }
            }
            Some(other) => {
                let line = self.line_in(Some(lines.clone()), key);
                self.push(
                    CheckId::YamlShape,
                    line,
                    Some(rule.to_string()),
                    format!("\"{key}\" must be a map, found {}", describe(other)),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
groups:
  - name: node-alerts
    rules:
      - alert: HostDown
        expr: up == 0
        for: 5m
        labels:
          severity: critical
        annotations:
          summary: \"Host {{ $labels.instance }} is down\"
          description: \"It has not answered for 5 minutes.\"
      - record: job:up:sum
        expr: sum by (job) (up)
";

    #[test]
    fn a_good_file_reads_into_groups_and_rules_with_lines() {
        let (file, findings) = parse("default.yml", GOOD);
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(file.groups.len(), 1);
        let host_down = file.rule("HostDown").unwrap();
        assert_eq!(host_down.kind, RuleKind::Alerting);
        assert_eq!(host_down.line, 4);
        assert_eq!(host_down.for_duration.as_deref(), Some("5m"));
        assert_eq!(host_down.label("severity"), Some("critical"));
        assert_eq!(file.line_of(host_down, "severity"), 8);
        assert_eq!(file.rule("job:up:sum").unwrap().kind, RuleKind::Recording);
    }

    #[test]
    fn malformed_yaml_is_a_syntax_finding_with_its_line() {
        let (_, findings) = parse("bad.yml", "groups:\n  - name: a\n   rules: [\n");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].check().unwrap(), CheckId::YamlSyntax);
        assert!(findings[0].line_or_zero() >= 2, "{findings:?}");
        assert!(findings[0].to_string().starts_with("bad.yml:"));
    }

    #[test]
    fn unknown_keys_are_named_at_every_level() {
        let text = format!(
            "alerting: {{}}\n{}",
            GOOD.replace(
                "        for: 5m\n",
                "        for: 5m\n        severity: critical\n"
            )
        );
        let (_, findings) = parse("default.yml", &text);
        let unknown: Vec<_> = findings
            .iter()
            .filter(|f| f.check().unwrap() == CheckId::YamlUnknownKey)
            .collect();
        assert_eq!(unknown.len(), 2, "{findings:?}");
        assert_eq!(unknown[0].line_or_zero(), 1);
        assert!(unknown[0].message.contains("\"alerting\""));
        assert_eq!(unknown[1].subject.as_deref(), Some("HostDown"));
        assert_eq!(unknown[1].line_or_zero(), 8);
    }

    #[test]
    fn a_rule_that_is_neither_alert_nor_record_is_a_shape_finding() {
        let text = "groups:\n  - name: a\n    rules:\n      - expr: up\n";
        let (file, findings) = parse("f.yml", text);
        assert_eq!(file.rules().count(), 0);
        assert_eq!(findings[0].check().unwrap(), CheckId::YamlShape);
        assert_eq!(findings[0].line_or_zero(), 4);
    }

    #[test]
    fn wrong_types_are_shape_findings() {
        let text = "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n        labels: [x]\n";
        let (_, findings) = parse("f.yml", text);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].check().unwrap(), CheckId::YamlShape);
        assert_eq!(findings[0].line_or_zero(), 6);
        let (_, findings) = parse("f.yml", "- 1\n");
        assert_eq!(findings[0].check().unwrap(), CheckId::YamlShape);
    }
}

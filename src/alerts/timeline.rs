//! An alert's state at every minute of a behaviour scenario, as the real rule engine
//! evaluated it: one `promtool test rules` file loads the rules file and the scenario's
//! input series and queries `ALERTS{alertname="X"}` at each minute, for the living
//! documentation's timeline picture.
//!
//! Each query expects no sample, so promtool prints what it got for every minute at which
//! the alert was pending or firing; `minute` and `timeline_of` labels added by
//! `label_replace` say which minute of which alert a line is about, so nothing depends on
//! how promtool formats times. One more query always answers (`vector(1)` labelled
//! `timeline_of`): without its line the file was not evaluated at all.
//!
//! [`prepare`] writes the files and [`PreparedTimeline::read`] reads promtool's output, so
//! the test file can also ride along in another `promtool test rules` run (promtool takes
//! several files): the lines this file's queries print are recognised by their labels.
//! [`alert_timeline`] runs it alone.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use promql_parser::parser::Expr;

use super::promtool::{InputSeries, PromqlExprTest, TestFile, TestGroup};
use super::rule_file::RuleFile;
use crate::outcome::{AlertState, AlertTimeline};
use crate::tools::{self, RunError, Tool, Tools};

/// More evaluations than this would make a page nobody reads and a slow promtool run.
const MAX_MINUTES: u64 = 24 * 60;

/// Why a timeline could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error("{path} has no alerting rule named {alert}")]
    NoSuchAlert { path: PathBuf, alert: String },
    #[error("\"{0}\" is not an alert name (letters, digits and _ only)")]
    BadAlertName(String),
    #[error("a timeline of {minutes} minutes is longer than the {MAX_MINUTES} minutes drawn")]
    TooLong { minutes: u64 },
    #[error("cannot prepare the promtool test file: {0}")]
    Scratch(#[from] std::io::Error),
    #[error("cannot write the promtool test file: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("promtool did not evaluate the timeline of {alert}:\n{output}")]
    Engine { alert: String, output: String },
}

/// The alert and scenario a timeline is for.
#[derive(Debug, Clone)]
pub struct TimelineRequest<'a> {
    /// The rules file that defines the alert, as read once for its workspace.
    pub rules: &'a RuleFile,
    pub alert: &'a str,
    pub series: &'a [InputSeries],
    /// Scrape and evaluation interval of the input series.
    pub interval: Duration,
    /// The scenario's "when"; the timeline covers minute 0 to this one.
    pub at: Duration,
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

fn valid_alert_name(name: &str) -> Result<&str, TimelineError> {
    if super::promtool::is_alert_name(name) {
        Ok(name)
    } else {
        Err(TimelineError::BadAlertName(name.to_string()))
    }
}

/// The promtool test file that asks for the alert's state at each minute.
fn test_file_text(
    req: &TimelineRequest<'_>,
    rules_file: &Path,
    minutes: u64,
) -> Result<String, TimelineError> {
    let alert = valid_alert_name(req.alert)?;
    let mut queries: Vec<PromqlExprTest> = (0..=minutes)
        .map(|m| PromqlExprTest {
            expr: format!(
                "label_replace(label_replace(count by (alertstate) (ALERTS{{alertname=\"{alert}\"}}), \"minute\", \"{m}\", \"\", \"\"), \"timeline_of\", \"{alert}\", \"\", \"\")"
            ),
            eval_time: format!("{m}m"),
            exp_samples: Vec::new(),
        })
        .collect();
    queries.push(PromqlExprTest {
        expr: format!("label_replace(vector(1), \"timeline_of\", \"{alert}\", \"\", \"\")"),
        eval_time: "0m".into(),
        exp_samples: Vec::new(),
    });
    let file = TestFile {
        rule_files: vec![rules_file.display().to_string()],
        evaluation_interval: seconds(req.interval),
        tests: vec![TestGroup {
            interval: seconds(req.interval),
            input_series: req.series,
            alert_rule_test: Vec::new(),
            promql_expr_test: queries,
        }],
    };
    Ok(serde_yaml::to_string(&file)?)
}

/// Reads promtool's `got:` lines for `alert`: `{alertstate="firing", minute="7",
/// timeline_of="X"} 1E+00, ...`; lines of other tests are left alone. An alert with
/// instances in both states counts as firing. `None` when the always-answering query's line
/// is missing (the file was not evaluated) or a line of this timeline cannot be read.
fn parse_states(output: &str, alert: &str, minutes: u64) -> Option<Vec<AlertState>> {
    static SET: OnceLock<regex::Regex> = OnceLock::new();
    static LABEL: OnceLock<regex::Regex> = OnceLock::new();
    let set = SET.get_or_init(|| regex::Regex::new(r"\{([^}]*)\}").unwrap());
    let label = LABEL.get_or_init(|| regex::Regex::new(r#"(\w+)="([^"]*)""#).unwrap());
    let mut states = vec![AlertState::Inactive; minutes as usize + 1];
    let mut evaluated = false;
    for line in output
        .lines()
        .filter(|l| l.trim_start().starts_with("got:"))
    {
        for labels in set.captures_iter(line) {
            let pairs: Vec<(&str, &str)> = label
                .captures_iter(&labels[1])
                .map(|c| (c.get(1).unwrap().as_str(), c.get(2).unwrap().as_str()))
                .collect();
            let get = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
            if get("timeline_of") != Some(alert) {
                continue;
            }
            let Some(minute) = get("minute") else {
                evaluated = true;
                continue;
            };
            let m: usize = minute.parse().ok()?;
            let s = match get("alertstate")? {
                "firing" => AlertState::Firing,
                "pending" => AlertState::Pending,
                _ => return None,
            };
            let slot = states.get_mut(m)?;
            if *slot != AlertState::Firing {
                *slot = s;
            }
        }
    }
    evaluated.then_some(states)
}

/// The rules file with every group's rules cut down to the recording rules and the alert
/// named, groups left empty removed; the rules themselves (and group settings such as
/// `interval`) are kept as written.
fn only_alert(yaml: &serde_yaml::Value, alert: &str) -> Result<String, TimelineError> {
    use serde_yaml::Value;
    let mut doc = yaml.clone();
    if let Some(groups) = doc.get_mut("groups").and_then(Value::as_sequence_mut) {
        for group in groups.iter_mut() {
            if let Some(rules) = group.get_mut("rules").and_then(Value::as_sequence_mut) {
                rules.retain(|rule| {
                    rule.get("record").is_some()
                        || rule.get("alert").and_then(Value::as_str) == Some(alert)
                });
            }
        }
        groups.retain(|g| {
            g.get("rules")
                .and_then(Value::as_sequence)
                .is_some_and(|r| !r.is_empty())
        });
    }
    Ok(serde_yaml::to_string(&doc)?)
}

/// The constant the top-level comparison of `expr` compares against (`> 90`, `== 0`,
/// `> 26 * 3600`), when there is one.
pub(crate) fn threshold(expr: &str) -> Option<f64> {
    let parsed = promql_parser::parser::parse(expr).ok()?;
    let mut top = &parsed;
    while let Expr::Paren(p) = top {
        top = &p.expr;
    }
    match top {
        Expr::Binary(b) if b.op.is_comparison_operator() => {
            constant(&b.rhs).or_else(|| constant(&b.lhs))
        }
        _ => None,
    }
}

/// A number, or arithmetic on numbers only.
fn constant(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::NumberLiteral(n) => Some(n.val),
        Expr::Paren(p) => constant(&p.expr),
        Expr::Unary(u) => constant(&u.expr).map(|v| -v),
        Expr::Binary(b) => {
            let (l, r) = (constant(&b.lhs)?, constant(&b.rhs)?);
            match b.op.to_string().as_str() {
                "+" => Some(l + r),
                "-" => Some(l - r),
                "*" => Some(l * r),
                "/" => Some(l / r),
                "%" => Some(l % r),
                "^" => Some(l.powf(r)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A timeline's `promtool test rules` file, written and waiting for promtool's output.
#[derive(Debug, Clone)]
pub(crate) struct PreparedTimeline {
    test_file: PathBuf,
    minutes: u64,
    /// Everything but the states, known before promtool runs.
    timeline: AlertTimeline,
}

impl PreparedTimeline {
    /// The test file to hand to `promtool test rules` (alone or with others).
    pub(crate) fn test_file(&self) -> &Path {
        &self.test_file
    }

    /// The timeline from the output (stdout and stderr) of a promtool run that included
    /// this test file.
    pub(crate) fn read(&self, output: &str) -> Result<AlertTimeline, TimelineError> {
        let states = parse_states(output, &self.timeline.alert, self.minutes).ok_or_else(|| {
            TimelineError::Engine {
                alert: self.timeline.alert.clone(),
                output: output.trim().to_string(),
            }
        })?;
        Ok(AlertTimeline {
            states: states
                .into_iter()
                .enumerate()
                .map(|(m, s)| (Duration::from_secs(m as u64 * 60), s))
                .collect(),
            ..self.timeline.clone()
        })
    }
}

/// Writes the timeline's test file (and a copy of the rules file cut down to the alert) into
/// `dir`, which must outlive the promtool run.
pub(crate) fn prepare(
    req: &TimelineRequest<'_>,
    dir: &Path,
) -> Result<PreparedTimeline, TimelineError> {
    let no_such_alert = || TimelineError::NoSuchAlert {
        path: PathBuf::from(&req.rules.name),
        alert: req.alert.to_string(),
    };
    let rule = req
        .rules
        .alerting_rules()
        .find(|r| r.name == req.alert)
        .ok_or_else(no_such_alert)?;
    // A file with an alerting rule was read as YAML.
    let yaml = req.rules.yaml.as_ref().ok_or_else(no_such_alert)?;
    let minutes = req.at.as_secs() / 60;
    if minutes > MAX_MINUTES {
        return Err(TimelineError::TooLong { minutes });
    }
    let alert = valid_alert_name(req.alert)?;

    // Only this alert (and the recording rules it may read) is evaluated: the engine's work
    // for the other alerts would cost time and change nothing in this alert's states.
    let rules_file = dir.join(format!("timeline_rules_{alert}.yml"));
    std::fs::write(&rules_file, only_alert(yaml, alert)?)?;
    let test_file = dir.join(format!("timeline_test_{alert}.yml"));
    std::fs::write(&test_file, test_file_text(req, &rules_file, minutes)?)?;
    Ok(PreparedTimeline {
        test_file,
        minutes,
        timeline: AlertTimeline {
            alert: alert.to_string(),
            series: req
                .series
                .iter()
                .map(|s| (s.series.clone(), s.values.clone()))
                .collect(),
            threshold: rule.expr.as_deref().and_then(threshold),
            for_duration: rule
                .for_duration
                .as_deref()
                .and_then(super::duration::parse_duration),
            at: req.at,
            states: Vec::new(),
        },
    })
}

/// The alert's state at every minute from 0 to `req.at`, by its own `promtool test rules` run.
pub fn alert_timeline(
    tools: &Tools,
    req: &TimelineRequest<'_>,
) -> Result<AlertTimeline, TimelineError> {
    let scratch = tempfile::tempdir()?;
    let prepared = prepare(req, scratch.path())?;
    let cmd = tools
        .command(
            Tool::Promtool,
            [
                "test".into(),
                "rules".into(),
                prepared.test_file().as_os_str().to_owned(),
            ],
        )
        .map_err(RunError::from)?
        .dir(scratch.path())
        .timeout(Duration::from_secs(60));
    let out = tools::run(&cmd)?;
    prepared.read(&format!("{}\n{}", out.stdout, out.stderr))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "groups:\n  - name: g\n    rules:\n      - alert: HighLoad\n        expr: (node_load15 > 2 * (1 + 1) / 2)\n        for: 3m\n        labels:\n          severity: warning\n";

    fn parsed_rules() -> RuleFile {
        super::super::rule_file::parse("rules.yml", RULES).0
    }

    fn timeline_of(values: &str, at_minutes: u64) -> AlertTimeline {
        let rules = parsed_rules();
        let series = [InputSeries::new("node_load15{instance=\"a\"}", values).unwrap()];
        alert_timeline(
            &Tools::new(),
            &TimelineRequest {
                rules: &rules,
                alert: "HighLoad",
                series: &series,
                interval: Duration::from_secs(60),
                at: Duration::from_secs(at_minutes * 60),
            },
        )
        .unwrap()
    }

    #[test]
    fn the_real_engine_says_inactive_pending_then_firing_minute_by_minute() {
        use AlertState::*;
        // Load 1 for two minutes, then 5: pending from minute 2, firing once 3m have passed.
        let t = timeline_of("1 1 5x10", 7);
        let states: Vec<AlertState> = t.states.iter().map(|(_, s)| *s).collect();
        assert_eq!(
            states,
            [
                Inactive, Inactive, Pending, Pending, Pending, Firing, Firing, Firing
            ]
        );
        assert_eq!(t.states[5].0, Duration::from_secs(300));
        assert_eq!(t.threshold, Some(2.0));
        assert_eq!(t.for_duration, Some(Duration::from_secs(180)));
        assert_eq!(t.series[0].1, "1 1 5x10");
    }

    #[test]
    fn an_alert_that_never_holds_is_inactive_throughout() {
        let t = timeline_of("1x10", 5);
        assert!(t.states.iter().all(|(_, s)| *s == AlertState::Inactive));
        assert_eq!(t.states.len(), 6);
    }

    #[test]
    fn an_unknown_alert_is_named() {
        let rules = parsed_rules();
        let err = alert_timeline(
            &Tools::new(),
            &TimelineRequest {
                rules: &rules,
                alert: "LowLoad",
                series: &[],
                interval: Duration::from_secs(60),
                at: Duration::from_secs(60),
            },
        )
        .unwrap_err();
        assert!(matches!(err, TimelineError::NoSuchAlert { alert, .. } if alert == "LowLoad"));
    }

    #[test]
    fn only_the_alert_and_recording_rules_are_evaluated() {
        let text = "groups:\n  - name: a\n    interval: 30s\n    rules:\n      - record: r\n        expr: up\n      - alert: X\n        expr: r == 0\n      - alert: Y\n        expr: up == 0\n  - name: b\n    rules:\n      - alert: Z\n        expr: up == 0\n";
        let yaml = serde_yaml::from_str(text).unwrap();
        let cut: serde_yaml::Value =
            serde_yaml::from_str(&only_alert(&yaml, "X").unwrap()).unwrap();
        let groups = cut["groups"].as_sequence().unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0]["interval"].as_str(), Some("30s"));
        let names: Vec<_> = groups[0]["rules"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|r| {
                r.get("alert")
                    .or(r.get("record"))
                    .unwrap()
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(names, ["r", "X"]);
    }

    #[test]
    fn the_threshold_is_the_constant_of_the_top_comparison() {
        assert_eq!(threshold("up{job=\"node\"} == 0"), Some(0.0));
        assert_eq!(threshold("time() - x > 26 * 3600"), Some(93600.0));
        assert_eq!(threshold("x - time() < 14 * 86400"), Some(1209600.0));
        assert_eq!(threshold("100 < x"), Some(100.0));
        assert_eq!(threshold("absent(x)"), None);
        assert_eq!(threshold("a > b"), None);
        assert_eq!(threshold("x + 1"), None);
    }

    #[test]
    fn got_lines_are_read_by_their_labels_and_others_left_alone() {
        let out = "  FAILED:\n    expr: \"...\", time: 1m,\n        exp: nil\n        got: {alertstate=\"firing\", minute=\"1\", timeline_of=\"A\"} 1E+00, {alertstate=\"pending\", minute=\"1\", timeline_of=\"A\"} 1E+00\n        got: {alertstate=\"pending\", minute=\"2\", timeline_of=\"A\"} 2E+00\n        got: {alertstate=\"firing\", minute=\"0\", timeline_of=\"B\"} 1E+00\n        got: {alertname=\"A\", severity=\"warning\"} 1E+00\n";
        let sentinel = "        got: {timeline_of=\"A\"} 1E+00\n";
        assert_eq!(
            parse_states(&format!("{out}{sentinel}"), "A", 2),
            Some(vec![
                AlertState::Inactive,
                AlertState::Firing,
                AlertState::Pending
            ])
        );
        // Without the always-answering line the file was not evaluated.
        assert_eq!(parse_states(out, "A", 2), None);
        assert_eq!(parse_states("error loading rules", "A", 2), None);
    }

    #[test]
    fn a_timeline_rides_along_in_another_promtool_run() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules.yml");
        std::fs::write(&rules, RULES).unwrap();
        let series = [InputSeries::new("node_load15{instance=\"a\"}", "5x10").unwrap()];
        let parsed = parsed_rules();
        let prepared = prepare(
            &TimelineRequest {
                rules: &parsed,
                alert: "HighLoad",
                series: &series,
                interval: Duration::from_secs(60),
                at: Duration::from_secs(4 * 60),
            },
            dir.path(),
        )
        .unwrap();
        // Another test file in the same run, one that passes.
        let other = dir.path().join("other_test.yml");
        std::fs::write(
            &other,
            format!(
                "rule_files: [{}]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'node_load15'\n        values: '1x5'\n    alert_rule_test:\n      - eval_time: 4m\n        alertname: HighLoad\n        exp_alerts: []\n",
                rules.display()
            ),
        )
        .unwrap();
        let cmd = Tools::new()
            .command(
                Tool::Promtool,
                [
                    "test".into(),
                    "rules".into(),
                    other.into_os_string(),
                    prepared.test_file().as_os_str().to_owned(),
                ],
            )
            .unwrap();
        let out = tools::run(&cmd).unwrap();
        let t = prepared
            .read(&format!("{}\n{}", out.stdout, out.stderr))
            .unwrap();
        use AlertState::*;
        let states: Vec<AlertState> = t.states.iter().map(|(_, s)| *s).collect();
        assert_eq!(states, [Pending, Pending, Pending, Firing, Firing]);
    }
}

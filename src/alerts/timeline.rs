//! An alert's state at every minute of a behaviour scenario, as the real rule engine
//! evaluated it: one `promtool test rules` file loads the rules file and the scenario's
//! input series and queries `ALERTS{alertname="X"}` at each minute, for the living
//! documentation's timeline picture.
//!
//! Each query expects no sample, so promtool prints what it got for every minute at which
//! the alert was pending or firing; a `minute` label added by `label_replace` says which
//! minute a line is about, so nothing depends on how promtool formats times.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use promql_parser::parser::Expr;
use serde::Serialize;

use super::promtool::InputSeries;
use crate::outcome::{AlertState, AlertTimeline};
use crate::tools::{self, Command, RunError, Tool};

/// More evaluations than this would make a page nobody reads and a slow promtool run.
const MAX_MINUTES: u64 = 24 * 60;

/// Why a timeline could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error("cannot read the rules file {path}: {source}")]
    ReadRules {
        path: PathBuf,
        source: std::io::Error,
    },
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
    pub rules_file: &'a Path,
    pub alert: &'a str,
    pub series: &'a [InputSeries],
    /// Scrape and evaluation interval of the input series.
    pub interval: Duration,
    /// The scenario's "when"; the timeline covers minute 0 to this one.
    pub at: Duration,
}

#[derive(Serialize)]
struct TestFile<'a> {
    rule_files: Vec<String>,
    evaluation_interval: String,
    tests: Vec<TestGroup<'a>>,
}

#[derive(Serialize)]
struct TestGroup<'a> {
    interval: String,
    input_series: &'a [InputSeries],
    promql_expr_test: Vec<Query>,
}

#[derive(Serialize)]
struct Query {
    expr: String,
    eval_time: String,
    /// Deliberately empty: promtool then prints every sample it got.
    exp_samples: Vec<()>,
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

fn valid_alert_name(name: &str) -> Result<&str, TimelineError> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*$").unwrap());
    if re.is_match(name) {
        Ok(name)
    } else {
        Err(TimelineError::BadAlertName(name.to_string()))
    }
}

/// The promtool test file that asks for the alert's state at each minute.
fn test_file(req: &TimelineRequest<'_>, minutes: u64) -> Result<String, TimelineError> {
    let alert = valid_alert_name(req.alert)?;
    let queries = (0..=minutes)
        .map(|m| Query {
            expr: format!(
                "label_replace(count by (alertstate) (ALERTS{{alertname=\"{alert}\"}}), \"minute\", \"{m}\", \"\", \"\")"
            ),
            eval_time: format!("{m}m"),
            exp_samples: Vec::new(),
        })
        .collect();
    let file = TestFile {
        rule_files: vec![req.rules_file.display().to_string()],
        evaluation_interval: seconds(req.interval),
        tests: vec![TestGroup {
            interval: seconds(req.interval),
            input_series: req.series,
            promql_expr_test: queries,
        }],
    };
    Ok(serde_yaml::to_string(&file)?)
}

/// Reads promtool's `got:` lines: `{alertstate="firing", minute="7"} 1E+00, ...`. An alert
/// with instances in both states counts as firing.
fn parse_states(output: &str, minutes: u64) -> Option<Vec<AlertState>> {
    static SET: OnceLock<regex::Regex> = OnceLock::new();
    static STATE: OnceLock<regex::Regex> = OnceLock::new();
    static MINUTE: OnceLock<regex::Regex> = OnceLock::new();
    let set = SET.get_or_init(|| regex::Regex::new(r"\{([^}]*)\}").unwrap());
    let state = STATE.get_or_init(|| regex::Regex::new(r#"alertstate="(\w+)""#).unwrap());
    let minute = MINUTE.get_or_init(|| regex::Regex::new(r#"minute="(\d+)""#).unwrap());
    let mut states = vec![AlertState::Inactive; minutes as usize + 1];
    let mut seen = false;
    for line in output
        .lines()
        .filter(|l| l.trim_start().starts_with("got:"))
    {
        for labels in set.captures_iter(line) {
            let labels = &labels[1];
            let m: usize = minute.captures(labels)?[1].parse().ok()?;
            let s = match &state.captures(labels)?[1] {
                "firing" => AlertState::Firing,
                "pending" => AlertState::Pending,
                _ => return None,
            };
            let slot = states.get_mut(m)?;
            if *slot != AlertState::Firing {
                *slot = s;
            }
            seen = true;
        }
    }
    seen.then_some(states)
}

/// The rules file with every group's rules cut down to the recording rules and the alert
/// named, groups left empty removed; the rules themselves (and group settings such as
/// `interval`) are kept as written.
fn only_alert(text: &str, alert: &str) -> Result<String, TimelineError> {
    use serde_yaml::Value;
    let mut doc: Value = serde_yaml::from_str(text)?;
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
pub fn threshold(expr: &str) -> Option<f64> {
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

/// The alert's state at every minute from 0 to `req.at`, by `promtool test rules`.
pub fn alert_timeline(req: &TimelineRequest<'_>) -> Result<AlertTimeline, TimelineError> {
    let text =
        std::fs::read_to_string(req.rules_file).map_err(|source| TimelineError::ReadRules {
            path: req.rules_file.to_path_buf(),
            source,
        })?;
    let (file, _) = super::rule_file::parse(&req.rules_file.display().to_string(), &text);
    let rule = file
        .alerting_rules()
        .find(|r| r.name == req.alert)
        .ok_or_else(|| TimelineError::NoSuchAlert {
            path: req.rules_file.to_path_buf(),
            alert: req.alert.to_string(),
        })?;
    let minutes = req.at.as_secs() / 60;
    if minutes > MAX_MINUTES {
        return Err(TimelineError::TooLong { minutes });
    }

    let scratch = tempfile::tempdir()?;
    // Only this alert (and the recording rules it may read) is evaluated: the engine's work
    // for the other alerts would cost time and change nothing in this alert's states.
    let rules_file = scratch.path().join("rules.yml");
    std::fs::write(&rules_file, only_alert(&text, req.alert)?)?;
    let path = scratch.path().join("timeline_test.yml");
    let one_alert = TimelineRequest {
        rules_file: &rules_file,
        ..req.clone()
    };
    std::fs::write(&path, test_file(&one_alert, minutes)?)?;
    let cmd = Command::tool(
        Tool::Promtool,
        ["test".into(), "rules".into(), path.into_os_string()],
    )
    .map_err(RunError::from)?
    .dir(scratch.path())
    .timeout(Duration::from_secs(60));
    let out = tools::run(&cmd)?;
    let output = format!("{}\n{}", out.stdout, out.stderr);
    let states = if out.success() {
        // No query got a sample: the alert was inactive throughout.
        vec![AlertState::Inactive; minutes as usize + 1]
    } else {
        parse_states(&output, minutes).ok_or_else(|| TimelineError::Engine {
            alert: req.alert.to_string(),
            output: output.trim().to_string(),
        })?
    };

    Ok(AlertTimeline {
        alert: req.alert.to_string(),
        series: req
            .series
            .iter()
            .map(|s| (s.series.clone(), s.values.clone()))
            .collect(),
        threshold: rule.expr.as_deref().and_then(threshold),
        for_duration: rule
            .for_duration
            .as_deref()
            .and_then(super::static_checks::parse_duration),
        at: req.at,
        states: states
            .into_iter()
            .enumerate()
            .map(|(m, s)| (Duration::from_secs(m as u64 * 60), s))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "groups:\n  - name: g\n    rules:\n      - alert: HighLoad\n        expr: (node_load15 > 2 * (1 + 1) / 2)\n        for: 3m\n        labels:\n          severity: warning\n";

    fn timeline_of(values: &str, at_minutes: u64) -> AlertTimeline {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules.yml");
        std::fs::write(&rules, RULES).unwrap();
        let series = [InputSeries::new("node_load15{instance=\"a\"}", values).unwrap()];
        alert_timeline(&TimelineRequest {
            rules_file: &rules,
            alert: "HighLoad",
            series: &series,
            interval: Duration::from_secs(60),
            at: Duration::from_secs(at_minutes * 60),
        })
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
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules.yml");
        std::fs::write(&rules, RULES).unwrap();
        let err = alert_timeline(&TimelineRequest {
            rules_file: &rules,
            alert: "LowLoad",
            series: &[],
            interval: Duration::from_secs(60),
            at: Duration::from_secs(60),
        })
        .unwrap_err();
        assert!(matches!(err, TimelineError::NoSuchAlert { alert, .. } if alert == "LowLoad"));
    }

    #[test]
    fn only_the_alert_and_recording_rules_are_evaluated() {
        let text = "groups:\n  - name: a\n    interval: 30s\n    rules:\n      - record: r\n        expr: up\n      - alert: X\n        expr: r == 0\n      - alert: Y\n        expr: up == 0\n  - name: b\n    rules:\n      - alert: Z\n        expr: up == 0\n";
        let cut: serde_yaml::Value = serde_yaml::from_str(&only_alert(text, "X").unwrap()).unwrap();
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
    fn got_lines_are_read_by_their_minute_label() {
        let out = "  FAILED:\n    expr: \"...\", time: 1m,\n        exp: nil\n        got: {alertstate=\"firing\", minute=\"1\"} 1E+00, {alertstate=\"pending\", minute=\"1\"} 1E+00\n        got: {alertstate=\"pending\", minute=\"2\"} 2E+00\n";
        assert_eq!(
            parse_states(out, 2),
            Some(vec![
                AlertState::Inactive,
                AlertState::Firing,
                AlertState::Pending
            ])
        );
        assert_eq!(parse_states("error loading rules", 2), None);
    }
}

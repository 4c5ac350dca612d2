//! The third depth, by the real rule engine: `promtool test rules` files built from input
//! series and expectations ("fires with severity warning", "does not fire"), run against
//! the real rules file; and `promtool check rules`.
//!
//! Expectations on firing read Prometheus's own `ALERTS` series (which the rule engine
//! writes while promtool evaluates), so a scenario can ask "does it fire, and with which
//! severity" without spelling out every label of every alert. "Does not fire" uses
//! promtool's `alert_rule_test` with no expected alerts.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde::Serialize;

use super::rule_file::RuleFile;
use crate::finding::{Finding, FindingId};
use crate::outcome::{CaseStatus, ToolCase, ToolRun};
use crate::tools::{self, RunError, Tool, ToolError, Tools};

/// A promtool behaviour test that did not pass.
pub(crate) const BEHAVIOUR_FAILED: FindingId = FindingId::new("promtool/test-failed");

/// Why promtool could not be asked at all (as opposed to a test it ran and failed).
#[derive(Debug, thiserror::Error)]
pub enum PromtoolError {
    #[error("input series `{series}` {problem}")]
    Series { series: String, problem: String },
    #[error("\"{0}\" is not an alert name (letters, digits and _ only)")]
    AlertName(String),
    #[error("{file} has no alert named {alert}, so \"{expectation}\" cannot be tested")]
    NoSuchAlert {
        file: String,
        alert: String,
        expectation: String,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the promtool test file: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("{file} is not a promtool unit-test file promtool can read: {problem}")]
    UnitTestFile { file: String, problem: String },
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error(transparent)]
    Run(#[from] RunError),
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> PromtoolError {
    move |source| PromtoolError::Io { context, source }
}

/// One input series: a series selector and promtool's expanding notation (`3+0x20`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputSeries {
    pub series: String,
    pub values: String,
}

impl InputSeries {
    /// Checks the selector before promtool sees it, so that a typo in a scenario table is
    /// named as such.
    pub fn new(series: &str, values: &str) -> Result<Self, PromtoolError> {
        let series = series.trim();
        match promql_parser::parser::parse(series) {
            Ok(promql_parser::parser::Expr::VectorSelector(_)) => {}
            Ok(_) => {
                return Err(PromtoolError::Series {
                    series: series.to_string(),
                    problem: "must be one series, like name{label=\"value\"}".into(),
                });
            }
            Err(e) => {
                return Err(PromtoolError::Series {
                    series: series.to_string(),
                    problem: format!("is not a series: {}", e.trim()),
                });
            }
        }
        if values.trim().is_empty() {
            return Err(PromtoolError::Series {
                series: series.to_string(),
                problem: "has no values".into(),
            });
        }
        Ok(Self {
            series: series.to_string(),
            values: values.trim().to_string(),
        })
    }
}

/// What should be true of one alert at the evaluation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// At least one instance of the alert is firing, and all firing ones have this severity.
    Fires { alert: String, severity: String },
    /// The condition holds, but `for` has not elapsed: the alert is pending.
    Pending { alert: String },
    /// No instance of the alert is firing.
    Silent { alert: String },
}

impl Expectation {
    pub fn alert(&self) -> &str {
        match self {
            Expectation::Fires { alert, .. }
            | Expectation::Pending { alert }
            | Expectation::Silent { alert } => alert,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Expectation::Fires { alert, severity } => {
                format!("{alert} fires with severity {severity}")
            }
            Expectation::Pending { alert } => format!("{alert} is pending"),
            Expectation::Silent { alert } => format!("{alert} does not fire"),
        }
    }
}

/// A behaviour test: series, a point in time, expectations, against one rules file.
#[derive(Debug, Clone)]
pub(crate) struct BehaviourTest {
    pub(crate) rules_file: PathBuf,
    /// Scrape interval of the input series.
    pub interval: Duration,
    pub series: Vec<InputSeries>,
    /// When the expectations are checked, from the first sample.
    pub at: Duration,
    pub expectations: Vec<Expectation>,
}

/// A `promtool test rules` file (the behaviour tests and the report's timelines write one).
#[derive(Serialize)]
pub(crate) struct TestFile<'a> {
    pub(crate) rule_files: Vec<String>,
    pub(crate) evaluation_interval: String,
    pub(crate) tests: Vec<TestGroup<'a>>,
}

#[derive(Serialize)]
pub(crate) struct TestGroup<'a> {
    pub(crate) interval: String,
    pub(crate) input_series: &'a [InputSeries],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) alert_rule_test: Vec<AlertRuleTest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) promql_expr_test: Vec<PromqlExprTest>,
}

#[derive(Serialize)]
pub(crate) struct AlertRuleTest {
    eval_time: String,
    alertname: String,
    exp_alerts: Vec<()>,
}

/// A query and the samples it must give; none, and promtool prints every sample it got.
#[derive(Serialize)]
pub(crate) struct PromqlExprTest {
    pub(crate) expr: String,
    pub(crate) eval_time: String,
    pub(crate) exp_samples: Vec<Sample>,
}

#[derive(Serialize)]
pub(crate) struct Sample {
    labels: String,
    value: f64,
}

/// A Go-style duration promtool reads (`90s`, `6m`).
fn duration_text(d: Duration) -> String {
    let secs = d.as_secs();
    if secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// Alert names go into PromQL strings: only names Prometheus itself allows.
pub(crate) fn is_alert_name(name: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*$").unwrap());
    re.is_match(name)
}

fn valid_alert_name(name: &str) -> Result<&str, PromtoolError> {
    if is_alert_name(name) {
        Ok(name)
    } else {
        Err(PromtoolError::AlertName(name.to_string()))
    }
}

impl BehaviourTest {
    /// The `promtool test rules` file for this test.
    pub(crate) fn to_yaml(&self) -> Result<String, PromtoolError> {
        let eval_time = duration_text(self.at);
        let mut alert_rule_test = Vec::new();
        let mut promql_expr_test = Vec::new();
        for expectation in &self.expectations {
            let alert = valid_alert_name(expectation.alert())?;
            match expectation {
                Expectation::Fires { severity, .. } => promql_expr_test.push(PromqlExprTest {
                    expr: format!(
                        "group by (alertname, severity) (ALERTS{{alertname=\"{alert}\", alertstate=\"firing\"}})"
                    ),
                    eval_time: eval_time.clone(),
                    exp_samples: vec![Sample {
                        labels: format!(
                            "{{alertname=\"{alert}\", severity=\"{}\"}}",
                            severity.replace('\\', "\\\\").replace('"', "\\\"")
                        ),
                        value: 1.0,
                    }],
                }),
                Expectation::Pending { .. } => promql_expr_test.push(PromqlExprTest {
                    expr: format!(
                        "group by (alertname) (ALERTS{{alertname=\"{alert}\", alertstate=\"pending\"}})"
                    ),
                    eval_time: eval_time.clone(),
                    exp_samples: vec![Sample {
                        labels: format!("{{alertname=\"{alert}\"}}"),
                        value: 1.0,
                    }],
                }),
                Expectation::Silent { .. } => alert_rule_test.push(AlertRuleTest {
                    eval_time: eval_time.clone(),
                    alertname: alert.to_string(),
                    exp_alerts: Vec::new(),
                }),
            }
        }
        let file = TestFile {
            rule_files: vec![self.rules_file.display().to_string()],
            evaluation_interval: duration_text(self.interval),
            tests: vec![TestGroup {
                interval: duration_text(self.interval),
                input_series: &self.series,
                alert_rule_test,
                promql_expr_test,
            }],
        };
        Ok(serde_yaml::to_string(&file)?)
    }

    pub(crate) fn describe(&self) -> String {
        let what: Vec<String> = self
            .expectations
            .iter()
            .map(Expectation::describe)
            .collect();
        format!("after {}: {}", duration_text(self.at), what.join(", "))
    }
}

/// Every alert a test talks about must be in the rules file (`rules`, the test's file as read
/// once for its workspace): promtool would report "no alert" for a name it does not know, and
/// "does not fire" would pass without testing anything.
fn require_alerts(test: &BehaviourTest, rules: &RuleFile) -> Result<(), PromtoolError> {
    for expectation in &test.expectations {
        let alert = expectation.alert();
        if !rules.alerting_rules().any(|r| r.name == alert) {
            return Err(PromtoolError::NoSuchAlert {
                file: test.rules_file.display().to_string(),
                alert: alert.to_string(),
                expectation: expectation.describe(),
            });
        }
    }
    Ok(())
}

/// What promtool said about one behaviour test.
#[derive(Debug, Clone)]
pub struct BehaviourOutcome {
    pub passed: bool,
    pub report: String,
    pub duration: Duration,
    /// The run as one case of the suite `promtool test rules: <rules file name>`.
    pub tool_run: ToolRun,
}

/// Runs one behaviour test with `promtool test rules` in a scratch directory; `rules` is its
/// rules file as read.
pub(crate) fn run_behaviour_test(
    tools: &Tools,
    test: &BehaviourTest,
    rules: &RuleFile,
) -> Result<BehaviourOutcome, PromtoolError> {
    require_alerts(test, rules)?;
    let scratch =
        tempfile::tempdir().map_err(io("cannot create a scratch directory".to_string()))?;
    let test_file = scratch.path().join("behaviour_test.yml");
    let yaml = test.to_yaml()?;
    std::fs::write(&test_file, &yaml)
        .map_err(io(format!("cannot write {}", test_file.display())))?;
    let cmd = tools
        .command(
            Tool::Promtool,
            [
                "test".into(),
                "rules".into(),
                test_file.clone().into_os_string(),
            ],
        )?
        .dir(scratch.path())
        .timeout(Duration::from_secs(60));
    let out = tools::run(&cmd)?;
    let passed = out.success();
    let report = format!(
        "{} — promtool test rules {}:\n{}\n--- test file ---\n{}",
        test.describe(),
        if passed { "passed" } else { "failed" },
        format!("{}\n{}", out.stdout.trim_end(), out.stderr.trim_end()).trim(),
        yaml
    );
    let file_name = test.rules_file.file_name().map_or_else(
        || test.rules_file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tool_run = ToolRun {
        suite: format!("promtool test rules: {file_name}"),
        cases: vec![ToolCase {
            name: test.describe(),
            classname: file_name.clone(),
            time: out.duration,
            status: if passed {
                CaseStatus::Passed
            } else {
                CaseStatus::Failed(
                    Finding::new(BEHAVIOUR_FAILED, file_name, report.clone())
                        .about(test.describe()),
                )
            },
        }],
        broken_copy: None,
    };
    Ok(BehaviourOutcome {
        passed,
        report,
        duration: out.duration,
        tool_run,
    })
}

/// What `promtool check rules` said.
#[derive(Debug, Clone)]
pub struct CheckRulesOutcome {
    pub passed: bool,
    /// The rule count promtool reported (`SUCCESS: N rules found`).
    pub rules: Option<usize>,
    pub output: String,
    pub duration: Duration,
}

/// `promtool check rules` refused a file.
pub(crate) const CHECK_FAILED: FindingId = FindingId::new("promtool/check-failed");

/// One of the homelab's own promtool unit-test files does not pass.
pub(crate) const UNIT_TEST_FAILED: FindingId = FindingId::new("promtool/unit-test-failed");

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "promtool",
        BEHAVIOUR_FAILED,
        crate::finding::Depth::Tool,
        "a promtool behaviour test (promtool test rules) did not pass",
    ),
    crate::finding::Check::new(
        "promtool",
        CHECK_FAILED,
        crate::finding::Depth::Tool,
        "promtool check rules refused a rules file",
    ),
    crate::finding::Check::new(
        "promtool",
        UNIT_TEST_FAILED,
        crate::finding::Depth::Tool,
        "one of the homelab's own promtool unit-test files does not pass",
    ),
];

impl CheckRulesOutcome {
    /// The check as one case of the suite `promtool check rules`; `file` is how the report
    /// names the checked file.
    pub fn tool_run(&self, file: &str) -> ToolRun {
        ToolRun {
            suite: "promtool check rules".into(),
            cases: vec![ToolCase {
                name: file.to_string(),
                classname: "promtool check rules".into(),
                time: self.duration,
                status: if self.passed {
                    CaseStatus::Passed
                } else {
                    CaseStatus::Failed(
                        Finding::new(CHECK_FAILED, file, "promtool check rules refused the file")
                            .about(file)
                            .found(&self.output),
                    )
                },
            }],
            broken_copy: None,
        }
    }
}

/// Runs `promtool check rules` on a file.
pub fn check_rules(tools: &Tools, path: &Path) -> Result<CheckRulesOutcome, PromtoolError> {
    static COUNT: OnceLock<regex::Regex> = OnceLock::new();
    let cmd = tools
        .command(
            Tool::Promtool,
            ["check".into(), "rules".into(), path.as_os_str().to_owned()],
        )?
        .timeout(Duration::from_secs(300));
    let out = tools::run(&cmd)?;
    let text = format!("{}\n{}", out.stdout, out.stderr);
    let re = COUNT.get_or_init(|| regex::Regex::new(r"SUCCESS: (\d+) rules found").unwrap());
    let rules = re.captures(&text).and_then(|c| c[1].parse().ok());
    Ok(CheckRulesOutcome {
        passed: out.success(),
        rules,
        output: text.trim().to_string(),
        duration: out.duration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_table_row_is_checked_before_promtool_runs() {
        assert!(InputSeries::new("node_load15{instance=\"pve1\"}", "3+0x20").is_ok());
        let err = InputSeries::new("node_load15{instance=", "1").unwrap_err();
        assert!(
            matches!(&err, PromtoolError::Series { series, .. } if series == "node_load15{instance="),
            "{err}"
        );
        let err = InputSeries::new("rate(x[5m])", "1").unwrap_err();
        assert!(matches!(err, PromtoolError::Series { .. }), "{err}");
    }

    #[test]
    fn the_test_file_asks_alerts_about_firing_and_pending() {
        let test = BehaviourTest {
            rules_file: "/x/default.yml".into(),
            interval: Duration::from_secs(60),
            series: vec![InputSeries::new("up{job=\"node\"}", "0x10").unwrap()],
            at: Duration::from_secs(360),
            expectations: vec![
                Expectation::Fires {
                    alert: "HostDown".into(),
                    severity: "critical".into(),
                },
                Expectation::Silent {
                    alert: "Other".into(),
                },
            ],
        };
        let yaml = test.to_yaml().unwrap();
        assert!(yaml.contains("- /x/default.yml"), "{yaml}");
        assert!(yaml.contains("eval_time: 6m"), "{yaml}");
        assert!(yaml.contains("firing") && yaml.contains("ALERTS"), "{yaml}");
        assert!(yaml.contains("exp_alerts: []"), "{yaml}");
        assert_eq!(
            test.describe(),
            "after 6m: HostDown fires with severity critical, Other does not fire"
        );
        let bad = BehaviourTest {
            expectations: vec![Expectation::Silent {
                alert: "x\"}".into(),
            }],
            ..test
        };
        assert!(bad.to_yaml().is_err());
    }

    #[test]
    fn an_alert_the_file_does_not_have_is_refused_before_promtool_runs() {
        let text =
            "groups:\n  - name: g\n    rules:\n      - alert: HostDown\n        expr: up == 0\n";
        let (rules, _) = super::super::rule_file::parse("rules.yml", text);
        let test = BehaviourTest {
            rules_file: "rules.yml".into(),
            interval: Duration::from_secs(60),
            series: vec![InputSeries::new("up", "0x10").unwrap()],
            at: Duration::from_secs(60),
            expectations: vec![Expectation::Silent {
                alert: "HostGone".into(),
            }],
        };
        let err = run_behaviour_test(&Tools::new(), &test, &rules).unwrap_err();
        assert!(
            matches!(&err, PromtoolError::NoSuchAlert { alert, .. } if alert == "HostGone"),
            "{err}"
        );
    }
}

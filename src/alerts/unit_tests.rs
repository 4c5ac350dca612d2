//! The homelab's own promtool unit-test files (`rule_files:` + `tests:`), run for real:
//! `promtool test rules <file>` from the file's directory in a copy of the repository, as
//! the homelab's CI would run it.
//!
//! Each `alert_rule_test` is a case about one alert at one `eval_time`: with expected
//! alerts it shows the alert firing, with `exp_alerts` empty it shows it quiet. promtool
//! says only whether a whole file passed, so when a file fails each of its alert cases is
//! run again alone (the file's group with that one case, `rule_files` made absolute) and
//! judged by promtool's exit status, not by its wording: only the cases promtool passes
//! cover their alert.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_yaml::{Mapping, Value};

use super::deployed_rules::DeployedRules;
use super::promtool::{PromtoolError, UNIT_TEST_FAILED};
use crate::finding::Finding;
use crate::homelab::Homelab;
use crate::homelab::copy::copy_repository;
use crate::outcome::{AlertCase, AlertShows, CaseStatus, ToolCase, ToolRun, UnitTestCase};
use crate::parallel::RunOnce;
use crate::tools::{self, Tool, Tools};

const TIMEOUT: Duration = Duration::from_secs(120);

/// One `alert_rule_test` of a unit-test file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRuleTest {
    /// Index of its test group in `tests:`, and of the case in the group's `alert_rule_test`.
    pub group: usize,
    pub index: usize,
    pub alert: String,
    pub(crate) eval_time: String,
    pub shows: AlertShows,
    /// The group's `name`, when it has one.
    pub(crate) group_name: Option<String>,
    pub line: Option<u32>,
}

impl AlertRuleTest {
    /// `HostDown at 10m`, after the group's name when it has one.
    pub fn name(&self) -> String {
        match &self.group_name {
            Some(group) => format!("{group}: {} at {}", self.alert, self.eval_time),
            None => format!("{} at {}", self.alert, self.eval_time),
        }
    }
}

/// A unit-test file as read.
#[derive(Debug, Clone)]
pub struct UnitTestFile {
    /// Relative to the repository root.
    pub path: String,
    pub(crate) yaml: Mapping,
    /// The `rule_files` entries as written.
    pub rule_files: Vec<String>,
    pub cases: Vec<AlertRuleTest>,
}

/// Reads `root/path`; a file that is not a unit-test file is an error naming it.
pub fn read(root: &Path, path: &str) -> Result<UnitTestFile, PromtoolError> {
    let context = || format!("cannot read the promtool unit-test file {path}");
    let text = std::fs::read_to_string(root.join(path)).map_err(|source| PromtoolError::Io {
        context: context(),
        source,
    })?;
    let invalid = |what: &str| PromtoolError::UnitTestFile {
        file: path.to_string(),
        problem: what.to_string(),
    };
    let yaml: Mapping = serde_yaml::from_str(&text).map_err(|e| invalid(&e.to_string()))?;
    let rule_files = yaml
        .get("rule_files")
        .and_then(Value::as_sequence)
        .ok_or_else(|| invalid("`rule_files` is not a list"))?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let groups = yaml
        .get("tests")
        .and_then(Value::as_sequence)
        .ok_or_else(|| invalid("`tests` is not a list"))?;
    // Lines: the n-th `alertname:` line of the file is the n-th case's, when the counts
    // agree (block style; `alertname` is not an expected label in practice).
    let alertname_lines: Vec<u32> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.starts_with("alertname:")
        })
        .filter_map(|(i, _)| u32::try_from(i + 1).ok())
        .collect();
    let mut cases = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let tests = group
            .get("alert_rule_test")
            .and_then(Value::as_sequence)
            .map_or(&[][..], Vec::as_slice);
        for (index, test) in tests.iter().enumerate() {
            let text_of = |key: &str| test.get(key).and_then(Value::as_str).map(str::to_string);
            let alert = text_of("alertname")
                .ok_or_else(|| invalid(&format!("test group {g}: a case has no alertname")))?;
            let expected = test
                .get("exp_alerts")
                .and_then(Value::as_sequence)
                .is_some_and(|list| !list.is_empty());
            cases.push(AlertRuleTest {
                group: g,
                index,
                alert,
                eval_time: text_of("eval_time").unwrap_or_default(),
                shows: if expected {
                    AlertShows::Firing
                } else {
                    AlertShows::Quiet
                },
                group_name: group
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                line: None,
            });
        }
    }
    if alertname_lines.len() == cases.len() {
        for (case, line) in cases.iter_mut().zip(alertname_lines) {
            case.line = Some(line);
        }
    }
    Ok(UnitTestFile {
        path: path.to_string(),
        yaml,
        rule_files,
        cases,
    })
}

/// One file's run: the file as one JUnit case, and each alert case with its verdict.
#[derive(Debug, Clone)]
pub struct UnitTestRun {
    pub file: String,
    pub passed: bool,
    pub tool_run: ToolRun,
    /// One per alert case whose alert a deployed rules file named in `rule_files` defines.
    pub cases: Vec<AlertCase>,
}

/// Runs the unit-test file `path` of the checkout at `root` (a copy: promtool runs there);
/// `deployed` is the homelab's deployed rules files as read, to name each case's file.
pub fn run(
    tools: &Tools,
    root: &Path,
    deployed: &DeployedRules,
    path: &str,
) -> Result<UnitTestRun, PromtoolError> {
    let file = read(root, path)?;
    let full = root.join(path);
    let dir = full.parent().unwrap_or(root);
    let name = full
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let out = tools::run(
        &tools
            .command(Tool::Promtool, ["test".into(), "rules".into(), name])?
            .dir(dir)
            .timeout(TIMEOUT),
    )?;
    let passed = out.success();
    let verdicts: Vec<bool> = if passed {
        vec![true; file.cases.len()]
    } else {
        file.cases
            .iter()
            .map(|case| case_passes(tools, &file, dir, case))
            .collect::<Result<_, _>>()?
    };
    let cases = file
        .cases
        .iter()
        .zip(verdicts)
        .filter_map(|(case, passed)| {
            let rules_file = deployed_rules_file(deployed, &file, &case.alert)?;
            Some(AlertCase {
                alert: case.alert.clone(),
                rules_file,
                shows: case.shows,
                unit_test: Some(UnitTestCase {
                    name: case.name(),
                    file: path.to_string(),
                    line: case.line,
                }),
                passed,
            })
        })
        .collect();
    let output = format!("{}\n{}", out.stdout.trim_end(), out.stderr.trim_end());
    let tool_run = ToolRun {
        suite: format!("promtool test rules: {path}"),
        cases: vec![ToolCase {
            name: path.to_string(),
            classname: "promtool unit tests".into(),
            time: out.duration,
            status: if passed {
                CaseStatus::Passed
            } else {
                CaseStatus::Failed(
                    Finding::new(
                        UNIT_TEST_FAILED,
                        path,
                        "the homelab's promtool unit-test file does not pass",
                    )
                    .expected("promtool test rules passes")
                    .found(output.trim()),
                )
            },
        }],
        broken_copy: None,
    };
    Ok(UnitTestRun {
        file: path.to_string(),
        passed,
        tool_run,
        cases,
    })
}

/// The deployed rules file among the test file's `rule_files` that defines `alert`.
fn deployed_rules_file(
    deployed: &DeployedRules,
    file: &UnitTestFile,
    alert: &str,
) -> Option<String> {
    deployed
        .files()
        .iter()
        .filter(|rules| {
            file.rule_files
                .iter()
                .any(|entry| crate::homelab::rule_file_names(&file.path, entry, &rules.file.path))
        })
        .find(|rules| rules.defines(alert))
        .map(|rules| rules.file.path.clone())
}

/// Runs one alert case alone: the file with only that case's group, holding only that
/// case, its `rule_files` made absolute (the file is written in a scratch directory).
fn case_passes(
    tools: &Tools,
    file: &UnitTestFile,
    dir: &Path,
    case: &AlertRuleTest,
) -> Result<bool, PromtoolError> {
    let mut yaml = file.yaml.clone();
    let absolute: Vec<Value> = file
        .rule_files
        .iter()
        .map(|entry| Value::String(dir.join(entry).display().to_string()))
        .collect();
    yaml.insert("rule_files".into(), Value::Sequence(absolute));
    let mut group = file
        .yaml
        .get("tests")
        .and_then(Value::as_sequence)
        .and_then(|groups| groups.get(case.group))
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    let test = group
        .get("alert_rule_test")
        .and_then(Value::as_sequence)
        .and_then(|tests| tests.get(case.index))
        .cloned()
        .unwrap_or(Value::Null);
    group.insert("alert_rule_test".into(), Value::Sequence(vec![test]));
    group.remove("promql_expr_test");
    yaml.insert("tests".into(), Value::Sequence(vec![Value::Mapping(group)]));
    let scratch = tempfile::tempdir().map_err(|source| PromtoolError::Io {
        context: "cannot create a scratch directory".into(),
        source,
    })?;
    let single = scratch.path().join("case.yml");
    std::fs::write(&single, serde_yaml::to_string(&yaml)?).map_err(|source| PromtoolError::Io {
        context: format!("cannot write {}", single.display()),
        source,
    })?;
    let out = tools::run(
        &tools
            .command(
                Tool::Promtool,
                ["test".into(), "rules".into(), single.into_os_string()],
            )?
            .dir(dir)
            .timeout(TIMEOUT),
    )?;
    Ok(out.success())
}

/// What the promtool unit-test runs of one suite run share: the run of each file of the
/// repository under test, and the suite run's tools (promtool is looked up there).
#[derive(Debug)]
pub struct UnitTestRuns {
    runs: RunOnce<Result<UnitTestRun, String>>,
    tools: Tools,
}

impl UnitTestRuns {
    pub fn new(tools: Tools) -> UnitTestRuns {
        UnitTestRuns {
            runs: RunOnce::new(),
            tools,
        }
    }
}

/// The runs of every unit-test file of the repository under test at `root`, computed once
/// per suite run in a copy of it (the scenario that runs them and the coverage floor share
/// them); results in the homelab's order.
pub fn shared_runs(
    shared: &UnitTestRuns,
    root: &Path,
    homelab: &Homelab,
    deployed: &DeployedRules,
) -> Vec<Arc<Result<UnitTestRun, String>>> {
    if homelab.promtool_test_files.is_empty() {
        return Vec::new();
    }
    // One copy for the files still to run, made only when one is.
    let copy = std::cell::OnceCell::new();
    homelab
        .promtool_test_files
        .iter()
        .map(|path| {
            shared.runs.get_or_run(root.join(path), || {
                let copy = copy
                    .get_or_init(|| {
                        copy_repository(root, None).map_err(|e| e.finding().to_string())
                    })
                    .as_ref()
                    .map_err(Clone::clone)?;
                run(&shared.tools, &copy.root, deployed, path).map_err(|e| e.to_string())
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::write;

    const RULES: &str = "groups:\n  - name: node\n    rules:\n      - alert: HostDown\n        expr: up == 0\n        for: 2m\n        labels:\n          severity: critical\n";

    /// A homelab that deploys `prometheus/rules/default.yml`, with a unit-test file.
    fn homelab(tests: &str) -> (tempfile::TempDir, Homelab) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "infrastructure/proxmox/modules/monitoring/main.tf",
            "resource \"local_file\" \"rules\" {\n  content  = file(\"${path.module}/../../../../prometheus/rules/default.yml\")\n  filename = \"/etc/prometheus/rules.yml\"\n}\n",
        );
        write(root, "prometheus/rules/default.yml", RULES);
        write(root, "prometheus/tests/alerts.test.yml", tests);
        let homelab = Homelab::discover(root).unwrap();
        assert_eq!(homelab.rules_files.len(), 1, "{}", homelab.summary());
        assert_eq!(
            homelab.promtool_test_files,
            ["prometheus/tests/alerts.test.yml"]
        );
        (dir, homelab)
    }

    fn tests(quiet_eval_time: &str) -> String {
        format!(
            "rule_files:\n  - ../rules/default.yml\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'up{{job=\"node\",instance=\"pve1\"}}'\n        values: '0x10'\n    alert_rule_test:\n      - eval_time: 5m\n        alertname: HostDown\n        exp_alerts:\n          - exp_labels:\n              severity: critical\n              job: node\n              instance: pve1\n      - eval_time: {quiet_eval_time}\n        alertname: HostDown\n        exp_alerts: []\n"
        )
    }

    #[test]
    fn cases_are_read_with_what_they_show_and_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "t.yml", &tests("1m"));
        let file = read(dir.path(), "t.yml").unwrap();
        assert_eq!(file.cases.len(), 2);
        assert_eq!(file.cases[0].shows, AlertShows::Firing);
        assert_eq!(file.cases[0].line, Some(11));
        assert_eq!(file.cases[1].shows, AlertShows::Quiet);
        assert_eq!(file.cases[1].name(), "HostDown at 1m");
        write(dir.path(), "bad.yml", "rule_files: x\ntests: []\n");
        let err = read(dir.path(), "bad.yml").unwrap_err();
        assert!(
            matches!(&err, PromtoolError::UnitTestFile { file, .. } if file == "bad.yml"),
            "{err}"
        );
    }

    /// The run of the homelab's unit-test file.
    fn run_alerts_test(root: &Path, homelab: &Homelab) -> UnitTestRun {
        let deployed = DeployedRules::read(homelab);
        let path = "prometheus/tests/alerts.test.yml";
        run(&Tools::new(), root, &deployed, path).unwrap()
    }

    #[test]
    fn a_passing_file_gives_a_firing_and_a_quiet_case() {
        let (dir, homelab) = homelab(&tests("1m"));
        let run = run_alerts_test(dir.path(), &homelab);
        assert!(run.passed, "{:?}", run.tool_run);
        assert_eq!(run.cases.len(), 2);
        assert!(run.cases.iter().all(|c| c.passed));
        assert_eq!(run.cases[0].rules_file, "prometheus/rules/default.yml");
        assert_eq!(run.tool_run.failures(), 0);
    }

    #[test]
    fn in_a_failing_file_only_the_failing_case_does_not_count() {
        // At 5m HostDown fires, so "quiet at 5m" fails; "firing at 5m" still passes.
        let (dir, homelab) = homelab(&tests("5m"));
        let run = run_alerts_test(dir.path(), &homelab);
        assert!(!run.passed);
        let verdicts: Vec<(AlertShows, bool)> =
            run.cases.iter().map(|c| (c.shows, c.passed)).collect();
        assert_eq!(
            verdicts,
            [(AlertShows::Firing, true), (AlertShows::Quiet, false)]
        );
        let CaseStatus::Failed(finding) = &run.tool_run.cases[0].status else {
            panic!("{:?}", run.tool_run);
        };
        assert_eq!(finding.id, UNIT_TEST_FAILED);
        assert_eq!(finding.file, "prometheus/tests/alerts.test.yml");
    }
}

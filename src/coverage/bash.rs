//! Bash coverage: the functions and lines the real BATS runs executed, and the textfile
//! metrics whose publishing code they ran. Built only from what the scenarios returned
//! ([`Outcome::BashExecution`], traced by bash during the runs: `crate::shell::bash_trace`),
//! never from the names of the tests.
//!
//! - A function is executed by a test when bash traced a line of it (`FUNCNAME` = the
//!   function, in the file that defines it) while the test ran, in the test's own process or
//!   in a script it started.
//! - A file's executable lines are the first lines of its simple commands and the headers of
//!   its `for`/`select`/`case` (as the shell syntax reader finds them), plus any line bash
//!   reported; a line bash reported inside a command that spans several lines (a multi-line
//!   string or command substitution is reported at its last line) counts for that command.
//! - A textfile metric an alert uses is published by the script that writes it; the tests
//!   that executed the line that first writes it ran the publishing code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::alerts::deployed_rules::DeployedRules;
use crate::coverage::model::{CaseKind, CaseRef, FileLines, FunctionCoverage, TextfileMetric};
use crate::finding::Finding;
use crate::homelab::Homelab;
use crate::homelab::bash_functions::BashFile;
use crate::outcome::ScenarioOutcomes;
use crate::outcome::{BashExecution, Outcome, TestExecution};
use crate::shell::bats::BatsRun;
use crate::shell::bats_results::BatsResults;

/// Finding ids of the Bash coverage floors.
pub mod ids {
    use crate::finding::FindingId;
    /// A function a floor names is executed by fewer BATS tests than the floor asks (or is
    /// not defined at all); the subject is the function.
    pub(crate) const FUNCTION_NOT_EXECUTED: FindingId =
        FindingId::new("coverage/function-not-executed");
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[crate::finding::Check::new(
    "coverage",
    ids::FUNCTION_NOT_EXECUTED,
    crate::finding::Depth::Tool,
    "a Bash function a coverage floor names is executed by too few BATS tests",
)];

/// The floor "`function` is executed by at least `minimum` BATS tests": the tests that
/// executed it, or `coverage/function-not-executed` about the function (at its definition,
/// or about the scripts directory when no Bash file of the homelab defines it).
pub fn floor(
    files: &[BashFile],
    tests: &[TracedTest],
    function: &str,
    minimum: usize,
) -> Result<Vec<CaseRef>, Finding> {
    let defined: Vec<(&str, u32)> = files
        .iter()
        .flat_map(|f| {
            f.functions
                .iter()
                .filter(|(name, _)| name == function)
                .map(move |(_, line)| (f.path.as_str(), *line))
        })
        .collect();
    let Some(&(file, line)) = defined.first() else {
        return Err(Finding::new(
            ids::FUNCTION_NOT_EXECUTED,
            crate::homelab::bash_functions::SCRIPTS_DIR,
            format!(
                "no Bash file under {}/ defines {function}, so no BATS test can execute it",
                crate::homelab::bash_functions::SCRIPTS_DIR
            ),
        )
        .about(function)
        .expected(format!(
            "{function} defined and executed by at least {minimum} BATS test(s)"
        ))
        .found("not defined"));
    };
    let mut cases: Vec<CaseRef> = defined
        .iter()
        .flat_map(|(file, _)| executed_by(tests, file, function))
        .collect();
    cases.sort();
    cases.dedup();
    if cases.len() >= minimum {
        return Ok(cases);
    }
    let names: Vec<String> = cases
        .iter()
        .map(|c| format!("{}: {}", c.file, c.name))
        .collect();
    Err(Finding::new(
        ids::FUNCTION_NOT_EXECUTED,
        file,
        format!(
            "{function} ({file}, line {line}) is executed by {} BATS test(s), traced during the \
             real runs of {} test(s); the floor is {minimum}{}",
            cases.len(),
            tests.len(),
            if names.is_empty() {
                String::new()
            } else {
                format!(": {}", names.join("; "))
            }
        ),
    )
    .at_line(line as usize)
    .about(function)
    .expected(format!("at least {minimum} BATS test(s)"))
    .found(format!("{} BATS test(s)", cases.len())))
}

/// Removes from the copy at `root` every test of `tests` whose execution `keep_out` says so:
/// its `@test` block, from the `@test` line to its closing `}`. Returns the removed cases.
pub(crate) fn remove_tests(
    root: &Path,
    tests: &[TracedTest],
    keep_out: impl Fn(&TracedTest) -> bool,
) -> std::io::Result<Vec<CaseRef>> {
    let mut by_file: BTreeMap<&str, Vec<&TracedTest>> = BTreeMap::new();
    for test in tests.iter().filter(|t| keep_out(t)) {
        by_file.entry(&test.case.file).or_default().push(test);
    }
    let mut removed = Vec::new();
    for (file, tests) in by_file {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path)?;
        let blocks = crate::shell::bash_trace::test_blocks(&text);
        let mut cut: BTreeSet<u32> = BTreeSet::new();
        for test in tests {
            let block = test
                .case
                .line
                .and_then(|line| blocks.iter().find(|(_, start, _)| *start == line));
            let Some((_, start, Some(end))) = block else {
                return Err(std::io::Error::other(format!(
                    "{file}: cannot find the block of the test \"{}\"",
                    test.case.name
                )));
            };
            cut.extend(*start..=*end);
            removed.push(test.case.clone());
        }
        let kept: Vec<&str> = text
            .lines()
            .enumerate()
            .filter(|(i, _)| !cut.contains(&((i + 1) as u32)))
            .map(|(_, l)| l)
            .collect();
        std::fs::write(&path, kept.join("\n") + "\n")?;
    }
    removed.sort();
    Ok(removed)
}

/// One BATS test and what it executed.
#[derive(Debug, Clone)]
pub struct TracedTest {
    pub case: CaseRef,
    pub execution: TestExecution,
}

/// Every BATS test the scenarios ran on the repository itself (not on a changed copy), each
/// once (a shared run is returned by several scenarios), sorted by file and number.
pub(crate) fn traced_tests(scenarios: &[ScenarioOutcomes]) -> Vec<TracedTest> {
    let executions = scenarios
        .iter()
        .flat_map(|s| &s.outcomes)
        .filter_map(|o| match o {
            Outcome::BashExecution(e) if e.broken_copy.is_none() => Some(e),
            _ => None,
        });
    tests_of(executions)
}

/// The tests of `executions`, each (file, number) once, sorted.
pub(crate) fn tests_of<'a>(
    executions: impl IntoIterator<Item = &'a BashExecution>,
) -> Vec<TracedTest> {
    let mut by_test: BTreeMap<(String, usize), TracedTest> = BTreeMap::new();
    for execution in executions {
        for test in &execution.tests {
            by_test
                .entry((execution.bats_file.clone(), test.number))
                .or_insert_with(|| TracedTest {
                    case: CaseRef {
                        kind: CaseKind::Bats,
                        name: test.name.clone(),
                        file: execution.bats_file.clone(),
                        line: test.line,
                    },
                    execution: test.clone(),
                });
        }
    }
    by_test.into_values().collect()
}

/// The tests that executed `function` of `file`, as cases, sorted.
pub(crate) fn executed_by(tests: &[TracedTest], file: &str, function: &str) -> Vec<CaseRef> {
    let mut cases: Vec<CaseRef> = tests
        .iter()
        .filter(|t| t.execution.ran_function(file, function))
        .map(|t| t.case.clone())
        .collect();
    cases.sort();
    cases
}

/// The passing tests of `run` that executed one of `functions` (bash traced a line of it,
/// in the file of `files` that defines it), by name, whatever their names say.
pub fn passing_tests_executing(
    run: &BatsRun,
    files: &[BashFile],
    functions: &[&str],
) -> Vec<String> {
    let defined: Vec<(&str, &str)> = files
        .iter()
        .flat_map(|f| {
            f.functions
                .iter()
                .map(move |(name, _)| (f.path.as_str(), name.as_str()))
        })
        .filter(|(_, name)| functions.contains(name))
        .collect();
    let passed = |name: &str| run.tests.iter().any(|t| t.passed && t.name == name);
    run.execution
        .iter()
        .filter(|t| passed(&t.name))
        .filter(|t| {
            defined
                .iter()
                .any(|(file, name)| t.ran_function(file, name))
        })
        .map(|t| t.name.clone())
        .collect()
}

/// The tests of `runs` (the BATS runs of one scenario) and what each executed.
pub fn tests_of_runs(runs: &BatsResults) -> Vec<TracedTest> {
    let executions: Vec<BashExecution> =
        runs.iter().flatten().map(|r| r.bash_execution()).collect();
    tests_of(&executions)
}

/// The Bash files of `files` (by their path relative to the root) that define `function`.
pub(crate) fn files_defining(files: &[BashFile], function: &str) -> Vec<String> {
    let defines = |f: &&BashFile| f.functions.iter().any(|(name, _)| name == function);
    files
        .iter()
        .filter(defines)
        .map(|f| f.path.clone())
        .collect()
}

/// Cases as a diagnostic lists them: `file:line name`, one a line.
pub fn case_lines<'a>(cases: impl IntoIterator<Item = &'a CaseRef>) -> String {
    let line = |c: &CaseRef| format!("{}:{} {}", c.file, c.line.unwrap_or(0), c.name);
    let lines: Vec<String> = cases.into_iter().map(line).collect();
    lines.join("\n  ")
}

/// One entry per function each file defines, with the tests that executed it.
pub(crate) fn functions_of(files: &[BashFile], tests: &[TracedTest]) -> Vec<FunctionCoverage> {
    let mut found: Vec<FunctionCoverage> = files
        .iter()
        .flat_map(|file| {
            file.functions.iter().map(|(name, line)| FunctionCoverage {
                function: name.clone(),
                file: file.path.clone(),
                line: *line,
                executed_by: executed_by(tests, &file.path, name),
            })
        })
        .collect();
    found.sort_by(|a, b| (&a.file, a.line, &a.function).cmp(&(&b.file, b.line, &b.function)));
    found
}

/// The line coverage of each file.
pub(crate) fn files_of(files: &[BashFile], tests: &[TracedTest]) -> Vec<FileLines> {
    files
        .iter()
        .map(|file| {
            let reported: BTreeSet<u32> = tests
                .iter()
                .flat_map(|t| &t.execution.executed)
                .filter(|e| e.file == file.path)
                .map(|e| e.line)
                .collect();
            line_coverage(file, &reported)
        })
        .collect()
}

/// Executable and executed lines of `file`, given the lines bash `reported`.
fn line_coverage(file: &BashFile, reported: &BTreeSet<u32>) -> FileLines {
    let mut executable: BTreeSet<u32> = file
        .command_lines
        .union(&file.header_lines)
        .copied()
        .collect();
    let mut executed = BTreeSet::new();
    for &line in reported {
        if executable.contains(&line) {
            executed.insert(line);
            continue;
        }
        // A line inside a command that started earlier: bash reports a multi-line string
        // or command substitution at its last line.
        match file.command_lines.range(..line).next_back() {
            Some(&start) if !file.header_lines.range(start..line).any(|_| true) => {
                executed.insert(start);
            }
            _ => {
                executable.insert(line);
                executed.insert(line);
            }
        }
    }
    FileLines {
        file: file.path.clone(),
        executable: executable.len() as u32,
        executed: executed.len() as u32,
        missed: executable.difference(&executed).copied().collect(),
    }
}

/// Every metric an alerting rule of a deployed rules file selects that is a textfile metric
/// (declared by the textfile contract or written by a publishing script), with its publisher
/// and the tests that executed the line that first writes it.
pub(crate) fn textfile_metrics_of(
    homelab: &Homelab,
    deployed: &DeployedRules,
    tests: &[TracedTest],
) -> Vec<TextfileMetric> {
    let contract = crate::alerts::textfile::bundled_contract().ok();
    let mut alerts_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in deployed.files() {
        for rule in file.rules.alerting_rules() {
            let Some(expr) = rule.expr.as_deref() else {
                continue;
            };
            let Ok(text) = crate::alerts::promql_dialect::scan(expr) else {
                continue;
            };
            let Ok(parsed) = promql_parser::parser::parse(&text) else {
                continue;
            };
            for selector in crate::alerts::label_flow::selectors(&parsed) {
                if let Some(metric) = crate::alerts::label_flow::metric_name(selector) {
                    alerts_of
                        .entry(metric.to_string())
                        .or_default()
                        .insert(rule.name.clone());
                }
            }
        }
    }
    let publisher = |metric: &str| {
        homelab.publishing_scripts.iter().find_map(|script| {
            script
                .library_metrics
                .iter()
                .chain(&script.samples)
                .find(|m| m.name == metric)
                .map(|m| (script.path.clone(), m.line as u32))
        })
    };
    alerts_of
        .into_iter()
        .filter_map(|(metric, alerts)| {
            let published = publisher(&metric);
            if published.is_none() && !contract.is_some_and(|c| c.metrics.contains_key(&metric)) {
                return None;
            }
            let executed_by = match &published {
                Some((script, line)) => {
                    let mut cases: Vec<CaseRef> = tests
                        .iter()
                        .filter(|t| {
                            t.execution
                                .executed
                                .iter()
                                .any(|e| &e.file == script && e.line == *line)
                        })
                        .map(|t| t.case.clone())
                        .collect();
                    cases.sort();
                    cases
                }
                None => Vec::new(),
            };
            Some(TextfileMetric {
                metric,
                alerts: alerts.into_iter().collect(),
                script: published.as_ref().map(|(s, _)| s.clone()),
                line: published.map(|(_, l)| l),
                executed_by,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::homelab::bash_functions::read;
    use crate::outcome::ExecutedLine;

    fn executed(file: &str, lines: &[(u32, Option<&str>)]) -> Vec<ExecutedLine> {
        lines
            .iter()
            .map(|(line, function)| ExecutedLine {
                file: file.to_string(),
                line: *line,
                function: function.map(str::to_string),
            })
            .collect()
    }

    fn test(number: usize, name: &str, lines: Vec<ExecutedLine>) -> TestExecution {
        TestExecution {
            number,
            name: name.to_string(),
            line: Some(number as u32 * 10),
            executed: lines,
        }
    }

    const LIB: &str =
        "retry() {\n    local n=\"$1\"\n    echo \"a\nb\"\n}\nunused() {\n    echo never\n}\n";

    fn execution() -> BashExecution {
        BashExecution {
            bats_file: "tests/t.bats".into(),
            tests: vec![
                test(
                    1,
                    "runs retry",
                    executed(
                        "scripts/lib/x.sh",
                        &[(2, Some("retry")), (4, Some("retry"))],
                    ),
                ),
                test(
                    2,
                    "runs a same-named stub",
                    executed("tests/stub.bash", &[(1, Some("unused"))]),
                ),
            ],
            broken_copy: None,
        }
    }

    #[test]
    fn a_function_is_executed_by_the_tests_that_ran_its_lines_in_its_file() {
        let files = [read("scripts/lib/x.sh", LIB)];
        let shared = execution();
        // The same run returned by two scenarios counts once.
        let tests = tests_of([&shared, &shared]);
        assert_eq!(tests.len(), 2);
        let found = functions_of(&files, &tests);
        let summary: Vec<(&str, u32, Vec<&str>)> = found
            .iter()
            .map(|f| {
                (
                    f.function.as_str(),
                    f.line,
                    f.executed_by.iter().map(|c| c.name.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [("retry", 1, vec!["runs retry"]), ("unused", 6, vec![])]
        );
        assert_eq!(found[0].executed_by[0].line, Some(10));
        assert_eq!(found[0].executed_by[0].kind, CaseKind::Bats);
    }

    #[test]
    fn line_coverage_counts_a_multi_line_command_once() {
        let files = [read("scripts/lib/x.sh", LIB)];
        let tests = tests_of([&execution()]);
        let lines = files_of(&files, &tests);
        assert_eq!(
            lines,
            [FileLines {
                file: "scripts/lib/x.sh".into(),
                executable: 3,
                executed: 2,
                missed: vec![7],
            }]
        );
    }

    #[test]
    fn the_floor_names_the_function_when_too_few_tests_executed_it() {
        let files = [read("scripts/lib/x.sh", LIB)];
        let tests = tests_of([&execution()]);
        let cases = floor(&files, &tests, "retry", 1).unwrap();
        assert_eq!(cases.len(), 1);
        let below = floor(&files, &tests, "unused", 1).unwrap_err();
        assert_eq!(
            (below.id, below.subject(), below.file.as_str(), below.line),
            (
                ids::FUNCTION_NOT_EXECUTED,
                "unused",
                "scripts/lib/x.sh",
                Some(6)
            )
        );
        let missing = floor(&files, &tests, "nowhere", 1).unwrap_err();
        assert_eq!(missing.subject(), "nowhere");
    }

    #[test]
    fn removing_tests_cuts_their_blocks_and_keeps_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let bats =
            "setup() {\n  true\n}\n\n@test \"one\" {\n  retry 1\n}\n\n@test \"two\" {\n  true\n}\n";
        crate::test_support::write(dir.path(), "tests/t.bats", bats);
        let mut run = execution();
        run.tests[0].line = Some(5);
        let tests = tests_of([&run]);
        let removed = remove_tests(dir.path(), &tests, |t| {
            t.execution.ran_function("scripts/lib/x.sh", "retry")
        })
        .unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("tests/t.bats")).unwrap(),
            "setup() {\n  true\n}\n\n\n@test \"two\" {\n  true\n}\n"
        );
    }

    #[test]
    fn each_textfile_metric_an_alert_uses_has_its_publisher_and_the_tests_that_ran_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let homelab = Homelab::discover(root).unwrap();
        let untraced = textfile_metrics_of(&homelab, &DeployedRules::read(&homelab), &[]);
        let drift = untraced
            .iter()
            .find(|m| m.metric == "homelab_terraform_drift_detected")
            .expect("an alert uses the drift metric");
        assert_eq!(drift.script.as_deref(), Some("scripts/drift-check.sh"));
        assert!(!drift.alerts.is_empty());
        assert!(drift.executed_by.is_empty());
        assert!(
            untraced.iter().all(|m| m.metric.starts_with("homelab_")),
            "node-exporter's own metrics are not textfile metrics: {untraced:?}"
        );
        let line = drift.line.unwrap();
        let ran = TestExecution {
            number: 1,
            name: "drift-check publishes".into(),
            line: Some(3),
            executed: executed("scripts/drift-check.sh", &[(line, None)]),
        };
        let traced = tests_of([&BashExecution {
            bats_file: "tests/t.bats".into(),
            tests: vec![ran],
            broken_copy: None,
        }]);
        let metrics = textfile_metrics_of(&homelab, &DeployedRules::read(&homelab), &traced);
        let drift = metrics
            .iter()
            .find(|m| m.metric == "homelab_terraform_drift_detected")
            .unwrap();
        assert_eq!(drift.executed_by.len(), 1);
    }

    #[test]
    fn runs_on_a_changed_copy_are_not_the_homelab_s_coverage() {
        let mut broken = execution();
        broken.broken_copy = Some(crate::outcome::BrokenCopy {
            change: "tests removed".into(),
            expected: None,
        });
        let scenario = ScenarioOutcomes {
            feature: "f".into(),
            scenario: "s".into(),
            line: 1,
            outcomes: vec![Outcome::BashExecution(broken)],
            not_applicable: None,
            copy_change: None,
        };
        assert!(traced_tests(&[scenario]).is_empty());
    }
}

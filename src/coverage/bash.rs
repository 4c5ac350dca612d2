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

use crate::coverage::model::{CaseKind, CaseRef, FileLines, FunctionCoverage, TextfileMetric};
use crate::homelab::Homelab;
use crate::homelab::bash_functions::{BashFile, bash_files};
use crate::outcome::{BashExecution, Outcome, TestExecution};
use crate::report::ScenarioOutcomes;

/// One BATS test and what it executed.
#[derive(Debug, Clone)]
pub struct TracedTest {
    pub case: CaseRef,
    pub execution: TestExecution,
}

/// Every BATS test the scenarios ran on the repository itself (not on a changed copy), each
/// once (a shared run is returned by several scenarios), sorted by file and number.
pub fn traced_tests(scenarios: &[ScenarioOutcomes]) -> Vec<TracedTest> {
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
pub fn tests_of<'a>(executions: impl IntoIterator<Item = &'a BashExecution>) -> Vec<TracedTest> {
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
pub fn executed_by(tests: &[TracedTest], file: &str, function: &str) -> Vec<CaseRef> {
    let mut cases: Vec<CaseRef> = tests
        .iter()
        .filter(|t| t.execution.ran_function(file, function))
        .map(|t| t.case.clone())
        .collect();
    cases.sort();
    cases
}

pub fn functions(root: &Path, scenarios: &[ScenarioOutcomes]) -> Vec<FunctionCoverage> {
    functions_of(&bash_files(root), &traced_tests(scenarios))
}

/// One entry per function each file defines, with the tests that executed it.
pub fn functions_of(files: &[BashFile], tests: &[TracedTest]) -> Vec<FunctionCoverage> {
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

pub fn files(root: &Path, scenarios: &[ScenarioOutcomes]) -> Vec<FileLines> {
    files_of(&bash_files(root), &traced_tests(scenarios))
}

/// The line coverage of each file.
pub fn files_of(files: &[BashFile], tests: &[TracedTest]) -> Vec<FileLines> {
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

pub fn textfile_metrics(root: &Path, scenarios: &[ScenarioOutcomes]) -> Vec<TextfileMetric> {
    let Ok(homelab) = Homelab::discover(root) else {
        return Vec::new();
    };
    textfile_metrics_of(&homelab, &traced_tests(scenarios))
}

/// Every metric an alerting rule of a deployed rules file selects that is a textfile metric
/// (declared by the textfile contract or written by a publishing script), with its publisher
/// and the tests that executed the line that first writes it.
pub fn textfile_metrics_of(homelab: &Homelab, tests: &[TracedTest]) -> Vec<TextfileMetric> {
    let mut alerts_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rules in &homelab.rules_files {
        let (file, _) = crate::alerts::rule_file::parse(&rules.path, &rules.text);
        for rule in file.alerting_rules() {
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
            if published.is_none() && !homelab.textfile_contract.metrics.contains(&metric) {
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

    const LIB: &str = "retry() {\n    local n=\"$1\"\n    echo \"a\nb\"\n}\nunused() {\n    echo never\n}\n";

    fn execution() -> BashExecution {
        BashExecution {
            bats_file: "tests/t.bats".into(),
            tests: vec![
                test(
                    1,
                    "runs retry",
                    executed("scripts/lib/x.sh", &[(2, Some("retry")), (4, Some("retry"))]),
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
        };
        assert!(traced_tests(&[scenario]).is_empty());
    }
}

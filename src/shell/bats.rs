//! Running a BATS file (`bats --tap --timing`) and reading its per-test results, so that
//! each BATS test becomes a `<testcase>` of the JUnit report.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use crate::finding::Finding;
use crate::outcome::{CaseStatus, ToolCase, ToolRun};
use crate::spec_root::SpecRoot;
use crate::tools::{self, Command, RunError, Tool, ToolError};

/// Finding ids of a BATS run.
pub mod ids {
    use crate::finding::FindingId;
    /// A test failed; the subject is the test's name.
    pub const TEST_FAILED: FindingId = FindingId::new("bats/test-failed");
    /// bats reported fewer or more tests than it planned (a syntax error, a crash).
    pub const PLAN: FindingId = FindingId::new("bats/plan");
    /// bats failed although every test passed (a failing `teardown_file`, ...).
    pub const STATUS: FindingId = FindingId::new("bats/status");
}

/// Why a BATS file could not be run at all.
#[derive(Debug, thiserror::Error)]
pub enum BatsError {
    #[error("the BATS file {0} does not exist")]
    NoFile(String),
    #[error("cannot create a temporary directory for {file}: {source}")]
    Scratch {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error("{file}: {source}")]
    Run {
        file: String,
        #[source]
        source: RunError,
    },
}

/// How long a BATS file may run. The library's file takes about a second; the margin is
/// for a loaded CI machine.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The result of one test, as bats reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatsTest {
    pub number: usize,
    pub name: String,
    pub passed: bool,
    /// `Some(reason)` when the test was skipped.
    pub skipped: Option<String>,
    pub time: Duration,
    /// The diagnostic lines bats printed under a failing test (assertion, output).
    pub diagnostics: Vec<String>,
}

/// A whole run of one BATS file.
#[derive(Debug, Clone)]
pub struct BatsRun {
    /// The file, relative to the repository under test.
    pub file: String,
    /// The number of tests bats announced (`1..N`).
    pub planned: usize,
    pub tests: Vec<BatsTest>,
    pub status: Option<i32>,
    pub duration: Duration,
    /// Diagnostics not under any test (a syntax error, a failing `setup_file`).
    pub stray: Vec<String>,
    pub stderr: String,
}

impl BatsRun {
    pub fn failed(&self) -> Vec<&BatsTest> {
        self.tests.iter().filter(|t| !t.passed).collect()
    }

    /// Everything wrong with the run; empty when it passed.
    pub fn findings(&self) -> Vec<Finding> {
        let mut findings: Vec<Finding> =
            self.failed().iter().map(|t| self.test_finding(t)).collect();
        if self.tests.len() != self.planned {
            findings.push(
                Finding::new(
                    ids::PLAN,
                    &self.file,
                    format!(
                        "bats planned {} tests but reported {}{}",
                        self.planned,
                        self.tests.len(),
                        stray_text(&self.stray, &self.stderr)
                    ),
                )
                .about(&self.file)
                .expected(format!("{} tests", self.planned))
                .found(format!("{} tests", self.tests.len())),
            );
        }
        if self.status != Some(0) && findings.is_empty() {
            findings.push(
                Finding::new(
                    ids::STATUS,
                    &self.file,
                    format!(
                        "bats ended with status {:?} although every test passed{}",
                        self.status,
                        stray_text(&self.stray, &self.stderr)
                    ),
                )
                .about(&self.file),
            );
        }
        findings
    }

    fn test_finding(&self, test: &BatsTest) -> Finding {
        Finding::new(
            ids::TEST_FAILED,
            &self.file,
            format!(
                "test {} \"{}\" failed:\n  {}",
                test.number,
                test.name,
                test.diagnostics.join("\n  ")
            ),
        )
        .about(&test.name)
    }

    /// The run as a JUnit suite: one case per test, plus one for a broken plan or exit.
    pub fn tool_run(&self) -> ToolRun {
        let mut cases: Vec<ToolCase> = self
            .tests
            .iter()
            .map(|t| ToolCase {
                name: t.name.clone(),
                classname: self.file.clone(),
                time: t.time,
                status: if !t.passed {
                    CaseStatus::Failed(self.test_finding(t))
                } else if t.skipped.is_some() {
                    CaseStatus::Skipped
                } else {
                    CaseStatus::Passed
                },
            })
            .collect();
        if let Some(whole) = self
            .findings()
            .into_iter()
            .find(|f| f.id == ids::PLAN || f.id == ids::STATUS)
        {
            cases.push(ToolCase {
                name: "the whole file ran".into(),
                classname: self.file.clone(),
                time: self.duration,
                status: CaseStatus::Failed(whole),
            });
        }
        ToolRun {
            suite: format!("bats: {}", self.file),
            cases,
            broken_copy: None,
        }
    }
}

fn stray_text(stray: &[String], stderr: &str) -> String {
    let mut text = String::new();
    if !stray.is_empty() {
        text.push_str(&format!("\n  {}", stray.join("\n  ")));
    }
    if !stderr.trim().is_empty() {
        text.push_str(&format!("\n  stderr: {}", stderr.trim()));
    }
    text
}

/// Runs `bats --tap --timing FILE` (FILE relative to the repository under test) from an
/// empty temporary directory, so that nothing it writes lands in the repository.
pub fn run_file(root: &SpecRoot, file: &str) -> Result<BatsRun, BatsError> {
    let path = root.join(file);
    if !path.is_file() {
        return Err(BatsError::NoFile(path.display().to_string()));
    }
    let scratch = tempfile::tempdir().map_err(|source| BatsError::Scratch {
        file: file.to_string(),
        source,
    })?;
    let command = Command::tool(
        Tool::Bats,
        [Path::new("--tap"), Path::new("--timing"), &path],
    )?
    .dir(scratch.path())
    .env("TMPDIR", scratch.path())
    .timeout(TIMEOUT);
    let out = tools::run(&command).map_err(|source| BatsError::Run {
        file: file.to_string(),
        source,
    })?;
    let mut run = parse_tap(file, &out.stdout);
    run.status = out.status;
    run.duration = out.duration;
    run.stderr = out.stderr;
    Ok(run)
}

/// Reads bats' TAP output (with `--timing`): `1..N`, `ok N name in Tms [# skip reason]`,
/// `not ok N name in Tms`, and `# ...` diagnostics under a failing test.
pub fn parse_tap(file: &str, tap: &str) -> BatsRun {
    static RESULT: OnceLock<regex::Regex> = OnceLock::new();
    let result = RESULT.get_or_init(|| {
        regex::Regex::new(r"^(ok|not ok) (\d+) (.*?)(?: in (\d+)ms)?(?: # skip(?: (.*))?)?$")
            .expect("the TAP line pattern is valid")
    });
    let mut run = BatsRun {
        file: file.to_string(),
        planned: 0,
        tests: Vec::new(),
        status: None,
        duration: Duration::ZERO,
        stray: Vec::new(),
        stderr: String::new(),
    };
    for line in tap.lines() {
        if let Some(count) = line.strip_prefix("1..") {
            run.planned = count.trim().parse().unwrap_or(0);
        } else if let Some(caps) = result.captures(line) {
            let skipped = line.contains(" # skip").then(|| {
                caps.get(5)
                    .map_or(String::new(), |m| m.as_str().to_string())
            });
            run.tests.push(BatsTest {
                number: caps[2].parse().unwrap_or(0),
                name: caps[3].to_string(),
                passed: &caps[1] == "ok",
                skipped,
                time: caps
                    .get(4)
                    .and_then(|m| m.as_str().parse().ok())
                    .map_or(Duration::ZERO, Duration::from_millis),
                diagnostics: Vec::new(),
            });
        } else if let Some(text) = line.strip_prefix('#') {
            let text = text.strip_prefix(' ').unwrap_or(text).to_string();
            match run.tests.last_mut() {
                Some(test) if !test.passed => test.diagnostics.push(text),
                _ => run.stray.push(text),
            }
        } else if !line.trim().is_empty() {
            run.stray.push(line.to_string());
        }
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAP: &str = "1..4\n\
        ok 1 passes in 20ms\n\
        not ok 2 fails badly in 21ms\n\
        # (in test file mix.bats, line 2)\n\
        #   `false' failed\n\
        ok 3 skipped one in 3ms # skip no reason\n\
        ok 4 name with # hash in 7ms\n";

    #[test]
    fn each_tap_line_becomes_a_test() {
        let run = parse_tap("mix.bats", TAP);
        assert_eq!(run.planned, 4);
        let names: Vec<&str> = run.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["passes", "fails badly", "skipped one", "name with # hash"]
        );
        assert_eq!(run.tests[1].time, Duration::from_millis(21));
        assert!(!run.tests[1].passed);
        assert_eq!(
            run.tests[1].diagnostics,
            ["(in test file mix.bats, line 2)", "  `false' failed"]
        );
        assert_eq!(run.tests[2].skipped.as_deref(), Some("no reason"));
        assert!(run.tests[3].skipped.is_none());
    }

    #[test]
    fn the_suite_has_one_case_per_test_and_names_the_failure() {
        let mut run = parse_tap("tests/restore/x.bats", TAP);
        run.status = Some(1);
        let suite = run.tool_run();
        assert_eq!(suite.suite, "bats: tests/restore/x.bats");
        assert_eq!(suite.cases.len(), 4);
        assert_eq!(suite.failures(), 1);
        assert_eq!(suite.cases[2].status, CaseStatus::Skipped);
        let findings = run.findings();
        pretty_assertions::assert_eq!(
            crate::finding::ids_and_subjects(&findings),
            vec![("bats/test-failed".to_string(), "fails badly".to_string())]
        );
        assert_eq!(findings[0].file, "tests/restore/x.bats");
    }

    #[test]
    fn a_file_that_stops_early_is_a_failure_even_if_no_test_failed() {
        let mut run = parse_tap(
            "x.bats",
            "1..3\nok 1 first in 1ms\n# bats warning: Executed 1 instead of expected 3 tests\n",
        );
        run.status = Some(1);
        let suite = run.tool_run();
        assert_eq!(suite.failures(), 1);
        let findings = run.findings();
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].id, ids::PLAN);
        assert_eq!(findings[0].expected.as_deref(), Some("3 tests"));
        assert_eq!(findings[0].found.as_deref(), Some("1 tests"));
    }
}

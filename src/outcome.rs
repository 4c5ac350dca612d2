//! What a scenario ran, returned to it instead of recorded behind its back.
//!
//! Each scenario's world collects the outcomes of the checks and tool runs it made; at the
//! end of the scenario the runner takes them, and one writer turns them into the reports:
//! every tool-level result into `reports/junit.xml`, and the typed data (an alert
//! scenario's series and the engine's verdict minute by minute, a retry's waits, a
//! module's runs with their release comments) into the HTML living documentation.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::finding::Finding;

/// What one scenario returned.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioOutcomes {
    /// The feature file, as cucumber names it.
    pub feature: String,
    pub scenario: String,
    /// The scenario's line in its feature file (an outline's example row has its own).
    pub line: usize,
    pub outcomes: Vec<Outcome>,
    /// `not applicable: <reason>` when the homelab had nothing to play the scenario's role.
    pub not_applicable: Option<String>,
    /// The change the scenario made to its copy of the repository (its sentence); `None`
    /// when it ran on the checkout itself.
    pub copy_change: Option<String>,
}

/// One thing a scenario ran or measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// An external tool's run, one JUnit `<testsuite>` (terraform test of a module, a BATS
    /// file, a promtool test).
    ToolRun(ToolRun),
    /// An alert behaviour scenario as the real rule engine evaluated it.
    AlertTimeline(AlertTimeline),
    /// The waits of one retry case, by one implementation.
    RetryWaits(RetryWaits),
    /// A Terraform directory's runs, with the release each regression run protects.
    TerraformRuns(TerraformRuns),
    /// What a static check found (possibly nothing), e.g. the catalog check of a rules file.
    Findings(CheckedFindings),
    /// A case that shows an alerting rule firing or staying quiet, for the coverage report.
    AlertCase(AlertCase),
    /// What each test of one BATS file executed, traced by bash during the real run.
    BashExecution(BashExecution),
}

/// What a case shows an alert doing at the time it asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AlertShows {
    Firing,
    /// Not firing (inactive, or pending but not yet firing).
    Quiet,
}

/// One case about one alerting rule of a deployed rules file: a behaviour scenario's
/// expectation, or one `alert_rule_test` of the homelab's own promtool unit tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCase {
    pub alert: String,
    /// The deployed rules file that defines the alert, relative to the repository root.
    pub(crate) rules_file: String,
    pub shows: AlertShows,
    /// Where the case is written when it is not the scenario itself: a promtool unit test
    /// of the homelab (`None` for a behaviour scenario, which is its own case).
    pub unit_test: Option<UnitTestCase>,
    /// Whether the real rule engine agreed with the case.
    pub passed: bool,
}

/// An `alert_rule_test` of a homelab's promtool unit-test file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UnitTestCase {
    /// `HostDown at 10m`, with the test group's name when it has one.
    pub name: String,
    /// The unit-test file, relative to the repository root.
    pub file: String,
    pub line: Option<u32>,
}

/// The lines of the repository each test of one BATS file executed (`crate::shell::bash_trace`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BashExecution {
    /// The BATS file, relative to the repository under test.
    pub bats_file: String,
    /// One entry per test bats reported, in its order.
    pub tests: Vec<TestExecution>,
    /// Set when the run was on a deliberately changed copy: not the homelab's coverage.
    pub broken_copy: Option<BrokenCopy>,
}

/// What one BATS test executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestExecution {
    /// Its number in bats' report.
    pub number: usize,
    pub name: String,
    /// The line of its `@test` in the BATS file.
    pub line: Option<u32>,
    /// Every line of a file of the repository it executed, sorted, each once.
    pub executed: Vec<ExecutedLine>,
}

/// One line of a repository file that bash executed, and the function it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ExecutedLine {
    /// Relative to the repository root, with `/`.
    pub file: String,
    pub line: u32,
    /// The innermost function running (`FUNCNAME`), `None` at a script's top level.
    pub function: Option<String>,
}

impl TestExecution {
    /// Whether it executed a line of `function` (defined in `file`).
    pub(crate) fn ran_function(&self, file: &str, function: &str) -> bool {
        self.executed
            .iter()
            .any(|e| e.file == file && e.function.as_deref() == Some(function))
    }
}

/// The findings of one static check over one subject.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckedFindings {
    /// What was checked, e.g. `catalog check: default.yml`.
    pub check: String,
    pub findings: Vec<Finding>,
    /// Set when the check ran on a deliberately broken copy: its failures are what the
    /// scenario expected, not findings about the homelab (`findings.sarif` leaves them out).
    pub broken_copy: Option<BrokenCopy>,
}

/// How a test case ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CaseStatus {
    Passed,
    /// The case failed; the finding says where and why.
    Failed(Finding),
    Skipped,
    /// The case was not judged, and the note says why (`not checked: ...`): a skipped case
    /// with a reason, never a failure.
    Note(Finding),
}

/// One test case a tool reported (a terraform `run`, a BATS test, a promtool case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCase {
    pub name: String,
    pub classname: String,
    pub time: Duration,
    pub status: CaseStatus,
}

/// A run on a deliberately broken copy of a file: a failure there is what the scenario
/// expects, so it is reported as passed, naming the change and the finding it expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenCopy {
    /// The named change, e.g. `the regression file removed`.
    pub change: String,
    /// The finding id the scenario expects, when it names one.
    pub expected: Option<String>,
}

impl CheckedFindings {
    /// The notes of this check as a tool run, one skipped case per note, so that
    /// `junit.xml` lists what was not checked next to what was (`None` without notes).
    pub(crate) fn notes_run(&self) -> Option<ToolRun> {
        let cases: Vec<ToolCase> = self
            .findings
            .iter()
            .filter(|f| f.is_note())
            .map(|f| ToolCase {
                name: match &f.subject {
                    Some(subject) => format!("{subject} [{}]", f.id),
                    None => format!("{} [{}]", f.file, f.id),
                },
                classname: self.check.clone(),
                time: Duration::ZERO,
                status: CaseStatus::Note(f.clone()),
            })
            .collect();
        (!cases.is_empty()).then(|| ToolRun {
            suite: format!("notes: {}", self.check),
            cases,
            broken_copy: None,
        })
    }
}

/// One tool run: what JUnit calls a test suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolRun {
    /// e.g. `terraform test: lxc`, `bats: tests/restore/test_common.bats`.
    pub suite: String,
    pub cases: Vec<ToolCase>,
    /// Set when the run was on a broken copy.
    pub broken_copy: Option<BrokenCopy>,
}

impl ToolRun {
    /// The findings of its failed cases.
    pub fn failed(&self) -> impl Iterator<Item = &Finding> {
        self.cases.iter().filter_map(|case| match &case.status {
            CaseStatus::Failed(finding) => Some(finding),
            _ => None,
        })
    }

    pub fn failures(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| matches!(c.status, CaseStatus::Failed(_)))
            .count()
    }
}

/// The state of an alert at one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
}

/// An alert behaviour scenario: its input, and the state the real engine computed for the
/// alert at every minute up to the scenario's "when".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertTimeline {
    pub alert: String,
    /// `(series, values)` in promtool's notation, as the scenario's table gave them.
    pub series: Vec<(String, String)>,
    /// The constant the expression compares against, when it has one.
    pub(crate) threshold: Option<f64>,
    pub for_duration: Option<Duration>,
    /// The scenario's "when": the evaluation time it asks about.
    pub at: Duration,
    /// One entry per evaluation minute, from minute 0 to `at`.
    pub states: Vec<(Duration, AlertState)>,
}

/// The waits one implementation made in one retry case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryWaits {
    /// `bash` or `rust`.
    pub implementation: String,
    /// The case, as the Bash call it stands for.
    pub case: String,
    pub attempts: usize,
    pub waits: Vec<Duration>,
    pub status: i32,
}

/// Whether a Terraform directory is a module or an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TerraformKind {
    Module,
    Environment,
}

/// One `run` block's result, with the release comment above it when it has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerraformRun {
    pub file: String,
    pub run: String,
    pub status: CaseStatus,
    pub release_comment: Option<String>,
}

/// The runs of one module or environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerraformRuns {
    /// Relative to the repository under test.
    pub dir: String,
    pub kind: TerraformKind,
    pub runs: Vec<TerraformRun>,
}

/// What one scenario collected, in the order it ran things.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcomes(pub Vec<Outcome>);

impl Outcomes {
    pub fn push(&mut self, outcome: Outcome) {
        self.0.push(outcome);
    }

    pub fn tool_runs(&self) -> impl Iterator<Item = &ToolRun> {
        self.0.iter().filter_map(|o| match o {
            Outcome::ToolRun(run) => Some(run),
            _ => None,
        })
    }

    /// Takes everything collected so far, leaving nothing behind.
    pub fn take(&mut self) -> Vec<Outcome> {
        std::mem::take(&mut self.0)
    }
}

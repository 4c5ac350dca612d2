//! The living documentation: `reports/index.html`, one page a product owner reads instead of
//! the feature files. For each user story it says whether each acceptance criterion (a
//! feature's `Rule`, or a scenario outside any rule) holds, and for one that does not, which
//! step failed and what was found.
//!
//! [`RunReport`] is the model of one run, built by the acceptance runner from cucumber's
//! events and the outcomes each scenario collected; [`write_html`] renders it (see
//! [`html`]) into one self-contained file: inline CSS and SVG, no script, nothing fetched.

mod coverage;
mod html;
mod series;
mod svg;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::coverage::Coverage;
use crate::outcome::Outcome;
use crate::report::history::{RunRecord, Verdict};

pub use html::{HtmlError, render, write_html};

/// How a scenario (or a criterion made of scenarios) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Passed,
    Failed,
    /// Not run to the end: a step was skipped or undefined, or a filter left it out.
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }

    /// The status of a group: failed if any failed, passed if all passed.
    pub(crate) fn of_all(statuses: impl IntoIterator<Item = Status>) -> Status {
        let mut all_passed = true;
        let mut any = false;
        for status in statuses {
            any = true;
            match status {
                Status::Failed => return Status::Failed,
                Status::Skipped => all_passed = false,
                Status::Passed => {}
            }
        }
        if any && all_passed {
            Status::Passed
        } else {
            Status::Skipped
        }
    }
}

/// The step that failed, as written in the feature file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedStep {
    /// `Given`, `When`, `Then`, `And`...
    pub keyword: String,
    pub text: String,
    pub line: usize,
}

/// One scenario as it ran (an outline's example is one scenario).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioReport {
    pub name: String,
    pub line: usize,
    pub tags: Vec<String>,
    pub status: Status,
    pub failed_step: Option<FailedStep>,
    /// The failed step's (or hook's) message.
    pub error: Option<String>,
    /// `not applicable: <reason>` when the homelab had nothing to play the scenario's role.
    pub not_applicable: Option<String>,
    /// What the scenario ran, as its world collected it.
    pub outcomes: Vec<Outcome>,
}

impl ScenarioReport {
    pub fn new(name: impl Into<String>, line: usize) -> Self {
        ScenarioReport {
            name: name.into(),
            line,
            tags: Vec::new(),
            status: Status::Skipped,
            failed_step: None,
            error: None,
            not_applicable: None,
            outcomes: Vec::new(),
        }
    }
}

/// A feature's `Rule`: one acceptance criterion, shown by its scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleReport {
    pub name: String,
    pub line: usize,
    pub description: String,
    pub tags: Vec<String>,
    pub scenarios: Vec<ScenarioReport>,
}

impl RuleReport {
    pub fn status(&self) -> Status {
        Status::of_all(self.scenarios.iter().map(|s| s.status))
    }
}

/// One acceptance criterion: a `Rule`, or a scenario written outside any rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Criterion {
    Rule(RuleReport),
    Scenario(ScenarioReport),
}

impl Criterion {
    pub fn status(&self) -> Status {
        match self {
            Criterion::Rule(rule) => rule.status(),
            Criterion::Scenario(scenario) => scenario.status,
        }
    }

    pub fn scenarios(&self) -> &[ScenarioReport] {
        match self {
            Criterion::Rule(rule) => &rule.scenarios,
            Criterion::Scenario(scenario) => std::slice::from_ref(scenario),
        }
    }
}

/// One feature file, its criteria in the file's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureReport {
    pub name: String,
    /// Relative to the suite's checkout, e.g. `features/us3_retry.feature`.
    pub path: String,
    /// The free text under `Feature:` (the story sentence and context).
    pub description: String,
    pub tags: Vec<String>,
    pub criteria: Vec<Criterion>,
}

impl FeatureReport {
    pub fn status(&self) -> Status {
        Status::of_all(self.criteria.iter().map(Criterion::status))
    }

    pub fn scenarios(&self) -> impl Iterator<Item = &ScenarioReport> {
        self.criteria.iter().flat_map(Criterion::scenarios)
    }

    /// The user story the feature belongs to: its first `@US<n>` tag.
    pub fn story(&self) -> Option<&str> {
        self.tags
            .iter()
            .map(|t| t.trim_start_matches('@'))
            .find(|t| STORIES.iter().any(|(id, _)| id == t))
    }
}

/// The user stories, in the order the page shows them, with the title of their section.
pub(crate) const STORIES: &[(&str, &str)] = &[
    ("US1", "Monitoring alerts"),
    ("US2", "Regression tests for every module"),
    ("US3", "Scripts survive network blips"),
];

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The repository under test.
    pub repository: PathBuf,
    /// Its checked-out commit, when it is a git repository.
    pub commit: Option<String>,
    /// Which rule engine checked the rules, next to the Prometheus the homelab deploys.
    pub engine: Option<String>,
    pub started: SystemTime,
    pub duration: Duration,
    pub features: Vec<FeatureReport>,
    /// Feature files that could not be read or parsed: the run failed before they ran.
    pub errors: Vec<String>,
    /// What the run's cases exercise, for the "What is tested" section.
    pub coverage: Option<Coverage>,
    /// The kept runs and this one, for the "Since the previous run" section.
    pub history: Option<HistoryReport>,
}

/// This run next to the history (`reports/history.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryReport {
    /// This run.
    pub current: RunRecord,
    /// The run before it.
    pub previous: Option<RunRecord>,
    /// Every kept run, oldest first (this one last when it was recorded).
    pub runs: Vec<RunRecord>,
    /// Why this run is not recorded (a filter, a shard, a history file that could not be read).
    pub note: Option<String>,
}

impl RunReport {
    /// An empty run against `repository`, started now.
    pub fn new(repository: impl Into<PathBuf>) -> Self {
        let repository = repository.into();
        RunReport {
            commit: git_commit(&repository),
            engine: None,
            repository,
            started: SystemTime::now(),
            duration: Duration::ZERO,
            features: Vec::new(),
            errors: Vec::new(),
            coverage: None,
            history: None,
        }
    }

    /// Each scenario's verdict, keyed by `<feature file>:<line>` (its anchor on the page).
    pub fn verdicts(&self) -> std::collections::BTreeMap<String, Verdict> {
        self.features
            .iter()
            .flat_map(|f| {
                f.scenarios().map(|s| {
                    let verdict = match s.status {
                        Status::Passed => Verdict::Passed,
                        Status::Failed => Verdict::Failed,
                        Status::Skipped if s.not_applicable.is_some() => Verdict::NotApplicable,
                        Status::Skipped => Verdict::Skipped,
                    };
                    (format!("{}:{}", f.path, s.line), verdict)
                })
            })
            .collect()
    }

    /// The overall verdict: passed only when something ran and nothing failed.
    pub fn verdict(&self) -> Status {
        if !self.errors.is_empty() {
            return Status::Failed;
        }
        Status::of_all(self.features.iter().map(FeatureReport::status))
    }
}

/// The commit checked out in `repository`, or `None` when it is not a git repository (or git
/// is missing or hangs: the report must not wait on it).
pub(crate) fn git_commit(repository: &Path) -> Option<String> {
    let args: Vec<std::ffi::OsString> = vec![
        "-C".into(),
        repository.as_os_str().to_owned(),
        "rev-parse".into(),
        "HEAD".into(),
    ];
    let cmd = crate::tools::Command::new("git", args).timeout(Duration::from_secs(5));
    let out = crate::tools::run(&cmd).ok()?;
    let commit = out.stdout.trim();
    (out.success() && commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| commit.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_fails_when_one_fails_and_passes_only_when_all_pass() {
        use Status::*;
        assert_eq!(Status::of_all([Passed, Failed, Skipped]), Failed);
        assert_eq!(Status::of_all([Passed, Passed]), Passed);
        assert_eq!(Status::of_all([Passed, Skipped]), Skipped);
        assert_eq!(Status::of_all([]), Skipped);
    }

    #[test]
    fn a_directory_that_is_no_repository_has_no_commit() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(git_commit(dir.path()), None);
        assert_eq!(git_commit(Path::new("/nonexistent/x")), None);
    }
}

//! The outcomes of every scenario of a run, handed over by each scenario's world when it
//! ends and read once by the report writers.

use std::sync::Mutex;

use crate::finding::Finding;
use crate::outcome::{CaseStatus, Outcome, ToolRun};

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
}

/// A scenario that did not apply to the homelab, for the JUnit report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotApplicableScenario {
    /// The feature file, as cucumber names it.
    pub feature: String,
    pub line: usize,
    /// `not applicable: <reason>`.
    pub message: String,
}

/// Every scenario's outcomes, in the order the scenarios finished.
#[derive(Debug, Default)]
pub struct RunOutcomes(Mutex<Vec<ScenarioOutcomes>>);

impl RunOutcomes {
    pub fn add(&self, scenario: ScenarioOutcomes) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(scenario);
    }

    pub fn all(&self) -> Vec<ScenarioOutcomes> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The scenarios that did not apply to the homelab, with their reasons.
    pub fn not_applicable(&self) -> Vec<NotApplicableScenario> {
        self.all()
            .into_iter()
            .filter_map(|s| {
                Some(NotApplicableScenario {
                    message: s.not_applicable?,
                    feature: s.feature,
                    line: s.line,
                })
            })
            .collect()
    }

    /// Every note the run's checks and tool runs made, each once (shared runs are returned
    /// by several scenarios).
    pub fn notes(&self) -> Vec<Finding> {
        let mut notes: Vec<Finding> = Vec::new();
        for outcome in self.all().into_iter().flat_map(|s| s.outcomes) {
            let found: Vec<Finding> = match outcome {
                Outcome::Findings(checked) => checked.findings,
                Outcome::ToolRun(run) => run
                    .cases
                    .into_iter()
                    .filter_map(|c| match c.status {
                        CaseStatus::Note(f) => Some(f),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for note in found.into_iter().filter(Finding::is_note) {
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
        }
        notes
    }

    /// Every finding of the run, failures and notes, each once (shared runs are returned by
    /// several scenarios): static checks' findings and the failed or unjudged cases of tool
    /// runs. A run on a broken copy is left out: its failures are what its scenario expected,
    /// not findings about the homelab.
    pub fn findings(&self) -> Vec<Finding> {
        let mut findings: Vec<Finding> = Vec::new();
        let from_status = |status: CaseStatus| match status {
            CaseStatus::Failed(f) | CaseStatus::Note(f) => Some(f),
            CaseStatus::Passed | CaseStatus::Skipped => None,
        };
        for outcome in self.all().into_iter().flat_map(|s| s.outcomes) {
            let found: Vec<Finding> = match outcome {
                Outcome::Findings(checked) if checked.broken_copy.is_none() => checked.findings,
                Outcome::ToolRun(run) if run.broken_copy.is_none() => run
                    .cases
                    .into_iter()
                    .filter_map(|c| from_status(c.status))
                    .collect(),
                Outcome::TerraformRuns(runs) => runs
                    .runs
                    .into_iter()
                    .filter_map(|r| from_status(r.status))
                    .collect(),
                _ => Vec::new(),
            };
            for finding in found {
                if !findings.contains(&finding) {
                    findings.push(finding);
                }
            }
        }
        findings
    }

    /// Every tool run of the run, each once.
    pub fn tool_runs(&self) -> Vec<ToolRun> {
        let runs = self
            .all()
            .into_iter()
            .flat_map(|s| s.outcomes)
            .filter_map(|o| match o {
                Outcome::ToolRun(run) => Some(run),
                Outcome::Findings(checked) => checked.notes_run(),
                _ => None,
            })
            .collect();
        super::junit::distinct(runs)
    }
}

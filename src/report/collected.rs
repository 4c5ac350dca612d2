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

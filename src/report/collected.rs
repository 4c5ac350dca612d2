//! The outcomes of every scenario of a run, handed over by each scenario's world when it
//! ends and read once by the report writers.

use std::sync::Mutex;
use std::time::Duration;

use crate::finding::Finding;
pub use crate::outcome::ScenarioOutcomes;
use crate::outcome::{CaseStatus, CheckedFindings, Outcome, ToolCase, ToolRun};

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

    /// Every note the run's checks and tool runs made about the homelab, each once (shared
    /// runs are returned by several scenarios). The notes of a scenario that ran on a changed
    /// copy are left out, even a copy that grew validly: they are about the copy, not the
    /// homelab under test.
    pub fn notes(&self) -> Vec<Finding> {
        let mut notes: Vec<Finding> = Vec::new();
        let on_the_checkout = self.all().into_iter().filter(|s| s.copy_change.is_none());
        for outcome in on_the_checkout.flat_map(|s| s.outcomes) {
            let found: Vec<Finding> = match outcome {
                Outcome::Findings(checked) if checked.broken_copy.is_none() => checked.findings,
                Outcome::ToolRun(run) if run.broken_copy.is_none() => run
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
            .flat_map(|s| tool_runs_of(s.outcomes))
            .collect();
        super::junit::distinct(runs)
    }
}

/// The tool runs a scenario's outcomes put in `junit.xml`: its tool runs, and for each static
/// check its notes and its suppressed findings (a failure fails its scenario's own case).
pub fn tool_runs_of(outcomes: Vec<Outcome>) -> Vec<ToolRun> {
    let mut runs = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::ToolRun(run) => runs.push(run),
            Outcome::Findings(checked) => {
                runs.extend(checked.notes_run());
                runs.extend(suppressed_run(&checked));
            }
            _ => {}
        }
    }
    runs
}

/// The findings of a static check that a suppression accepted, one case each (`None`
/// without any): reported as skipped, "suppressed: <reason>".
fn suppressed_run(checked: &CheckedFindings) -> Option<ToolRun> {
    let cases: Vec<ToolCase> = checked
        .findings
        .iter()
        .filter(|f| f.is_suppressed())
        .map(|f| ToolCase {
            name: match &f.subject {
                Some(subject) => format!("{subject} [{}]", f.id),
                None => format!("{} [{}]", f.file, f.id),
            },
            classname: checked.check.clone(),
            time: Duration::ZERO,
            status: CaseStatus::Failed(f.clone()),
        })
        .collect();
    (!cases.is_empty()).then(|| ToolRun {
        suite: format!("suppressed: {}", checked.check),
        cases,
        broken_copy: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FindingId;
    use crate::outcome::BrokenCopy;

    fn scenario(outcomes: Vec<Outcome>) -> ScenarioOutcomes {
        ScenarioOutcomes {
            feature: "f.feature".into(),
            scenario: "s".into(),
            line: 1,
            outcomes,
            not_applicable: None,
            copy_change: None,
        }
    }

    fn run(finding: &Finding, broken_copy: Option<BrokenCopy>) -> Outcome {
        Outcome::ToolRun(ToolRun {
            suite: "bats: t.bats".into(),
            cases: vec![ToolCase {
                name: "t".into(),
                classname: "t.bats".into(),
                time: Duration::ZERO,
                status: CaseStatus::Failed(finding.clone()),
            }],
            broken_copy,
        })
    }

    fn checked(findings: Vec<Finding>, broken_copy: Option<BrokenCopy>) -> Outcome {
        Outcome::Findings(CheckedFindings {
            check: "c".into(),
            findings,
            broken_copy,
        })
    }

    #[test]
    fn findings_are_each_once_and_a_broken_copys_are_left_out() {
        let broken = || {
            Some(BrokenCopy {
                change: "the test removed".into(),
                expected: None,
            })
        };
        let failed = Finding::new(FindingId::new("bats/test-failed"), "t.bats", "failed");
        let note = Finding::new(FindingId::new("catalog/unchecked"), "r.yml", "n").note();
        let expected = Finding::new(FindingId::new("promql/series"), "r.yml", "on a copy");
        let outcomes = RunOutcomes::default();
        outcomes.add(scenario(vec![
            run(&failed, None),
            checked(vec![note.clone()], None),
        ]));
        // A second scenario sharing the run, and two on broken copies.
        outcomes.add(scenario(vec![
            run(&failed, None),
            run(&expected, broken()),
            checked(vec![expected.clone()], broken()),
        ]));
        assert_eq!(outcomes.findings(), vec![failed, note]);
    }

    #[test]
    fn notes_are_the_homelabs_and_a_changed_copys_are_left_out() {
        let changed = Some(BrokenCopy {
            change: "a module deploys two exporter containers without catalogs".into(),
            expected: None,
        });
        let about_homelab = Finding::new(FindingId::new("catalog/unchecked"), "r.yml", "h").note();
        let about_copy =
            Finding::new(FindingId::new("catalog/unchecked"), "/tmp/c/r.yml", "c").note();
        let outcomes = RunOutcomes::default();
        outcomes.add(scenario(vec![
            checked(vec![about_homelab.clone()], None),
            checked(vec![about_copy], changed),
        ]));
        assert_eq!(outcomes.notes(), vec![about_homelab]);
    }
}

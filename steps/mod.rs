//! Step definitions: each parses its sentence, calls the `homelab_spec` library, and asserts.
//! The `World` holds one scenario's state, one field per concern.

use homelab_spec::finding::Finding;
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::outcome::{Outcome, Outcomes};
use homelab_spec::spec_root::SpecRoot;
use homelab_spec::suppression::{Suppressions, failures_in};

pub mod alerts;
pub mod bash_coverage;
pub mod bats;
pub mod layout;
pub mod retry;
pub mod suppressions;
pub mod terraform;

/// One scenario's state.
#[derive(Debug, Default, cucumber::World)]
pub struct World {
    pub layout: layout::LayoutState,
    pub alerts: alerts::AlertsState,
    pub terraform: terraform::TerraformState,
    pub retry: retry::RetryState,
    pub textfile: alerts::textfile::TextfileState,
    /// What this scenario ran (tool runs, alert timelines, retry waits, module runs),
    /// handed to the report writers when the scenario ends.
    pub outcomes: Outcomes,
    /// Set when the homelab has nothing to play the role a scenario needs: the step that
    /// found out fails, and the runner reports the scenario as skipped with this reason.
    pub not_applicable: Option<NotApplicable>,
    /// Whether the scenario states one of the v1.1 plan's own criteria (tagged `@plan` on
    /// its feature, rule or itself): what it names, the homelab must have.
    pub plan: bool,
}

impl World {
    /// The repository under test (`SPEC_ROOT`), validated before the run started.
    pub fn root(&self) -> SpecRoot {
        SpecRoot::current()
    }

    /// The findings that fail this scenario: the failures among `findings` that no
    /// suppression comment of the scenario's repository accepts (none is accepted in a
    /// `@plan` scenario, which gets a `suppression/plan-criterion` finding instead).
    pub fn failures(&mut self, findings: &[Finding]) -> Result<Vec<Finding>, String> {
        failures_in(&self.layout.root(), self.plan, findings).or_fail()
    }

    /// What the scenario collected so far, as the reports show it: with the suppressions of
    /// its repository applied.
    pub fn reported_outcomes(&self) -> Result<Vec<Outcome>, String> {
        let mut outcomes = self.outcomes.0.clone();
        Suppressions::read(&self.layout.root())
            .or_fail()?
            .apply_to_outcomes(&mut outcomes, self.plan, self.layout.broken_copy());
        Ok(outcomes)
    }

    /// Takes what the scenario collected, as the reports show it (see
    /// [`World::reported_outcomes`]; unmarked, saying why, when the suppressions cannot be read).
    pub fn take_reported_outcomes(&mut self) -> Vec<Outcome> {
        let reported = self.reported_outcomes();
        let taken = self.outcomes.take();
        reported.unwrap_or_else(|e| {
            eprintln!("error: {e}");
            taken
        })
    }

    /// Ends the scenario as not applicable: records why and returns the step's message.
    pub fn skip(&mut self, why: NotApplicable) -> String {
        let message = why.to_string();
        self.not_applicable = Some(why);
        message
    }
}

/// A step's failure message from any error of the library: the error's own sentence.
pub trait OrFail<T> {
    fn or_fail(self) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> OrFail<T> for Result<T, E> {
    fn or_fail(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

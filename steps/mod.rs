//! Step definitions: each parses its sentence, calls the `homelab_spec` library, and asserts.
//! The `World` holds one scenario's state, one field per concern.

use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::outcome::Outcomes;
use homelab_spec::settings::Settings;
use homelab_spec::shard::{self, RunKind};
use homelab_spec::spec_root::SpecRoot;

pub mod alerts;
pub mod bash_coverage;
pub mod bats;
pub mod layout;
pub mod retry;
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

    /// Ends the scenario as not applicable: records why and returns the step's message.
    pub fn skip(&mut self, why: NotApplicable) -> String {
        let message = why.to_string();
        self.not_applicable = Some(why);
        message
    }

    /// This shard's share (`SPEC_SHARD`) of the external runs `items` of `kind`, each named
    /// by its path relative to its repository's root. When every one of them belongs to
    /// another shard, the scenario is skipped as not applicable, saying so.
    pub fn shard_share<T>(
        &mut self,
        kind: RunKind,
        items: Vec<T>,
        path: impl Fn(&T) -> String,
    ) -> Result<Vec<T>, String> {
        shard::share(Settings::get().shard, kind, items, path).map_err(|why| self.skip(why))
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

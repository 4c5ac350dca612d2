//! Step definitions: each parses its sentence, calls the `homelab_spec` library, and asserts.
//! The `World` holds one scenario's state, one field per concern.

use homelab_spec::outcome::Outcomes;
use homelab_spec::spec_root::SpecRoot;

pub mod alerts;
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
}

impl World {
    /// The repository under test (`SPEC_ROOT`), validated before the run started.
    pub fn root(&self) -> SpecRoot {
        SpecRoot::current()
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

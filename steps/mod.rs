//! Step definitions: each parses its sentence, calls the `homelab_spec` library, and asserts.
//! The `World` holds one scenario's state, one field per concern.

use homelab_spec::spec_root::SpecRoot;

pub mod alerts;
pub mod layout;
pub mod retry;
pub mod terraform;

/// One scenario's state.
#[derive(Debug, Default, cucumber::World)]
#[allow(dead_code)] // the story fields are filled in by their issues
pub struct World {
    pub layout: layout::LayoutState,
    pub alerts: alerts::AlertsState,
    pub terraform: terraform::TerraformState,
    pub retry: retry::RetryState,
    pub textfile: alerts::textfile::TextfileState,
    /// What the scenario ran, taken by the runner when it ends (reports).
    pub outcomes: homelab_spec::outcome::Outcomes,
}

impl World {
    /// The repository under test (`SPEC_ROOT`), already validated by the harness.
    pub fn root(&self) -> SpecRoot {
        SpecRoot::from_env().expect("SPEC_ROOT was validated before the run started")
    }
}

//! One run of the suite: its settings and what its scenarios share (Terraform's job slots,
//! installed providers, shared copy and module outcomes; the BATS job pool and file runs).
//! The test runner builds it once from the validated [`Settings`] and every scenario reaches
//! it; the library keeps no other mutable state of a run.

use std::sync::Arc;

use crate::settings::{Settings, SettingsError};
use crate::shell::bats::BatsRuns;
use crate::terraform::RunnerContext;

/// See the module documentation.
#[derive(Debug)]
pub struct Suite {
    pub settings: Settings,
    pub terraform: Arc<RunnerContext>,
    pub bats: BatsRuns,
}

impl Suite {
    pub fn new(settings: Settings) -> Suite {
        // BATS files are mostly waiting on the processes they start, as terraform test is:
        // the same count as Terraform's, in a pool of their own.
        let bats = BatsRuns::new(settings.tf_jobs);
        Suite {
            terraform: RunnerContext::new(&settings),
            bats,
            settings,
        }
    }

    /// The suite run the environment describes (`SPEC_*`), for benches and unit tests; the
    /// test runner reads the settings itself, to report a bad value and exit.
    pub fn from_env() -> Result<Suite, SettingsError> {
        Settings::from_env().map(Suite::new)
    }
}

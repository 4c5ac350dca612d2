//! One run of the suite: its settings and what its scenarios share (the tools it found;
//! Terraform's job slots, installed providers, shared copy and module outcomes; the BATS job
//! pool and file runs; the promtool unit-test runs; the external runs this shard made).
//! The test runner builds it once from the validated [`Settings`] and every scenario reaches
//! it; the library keeps no other mutable state of a run.

use std::sync::Arc;

use crate::alerts::unit_tests::UnitTestRuns;
use crate::settings::{Settings, SettingsError};
use crate::shard::ShardRuns;
use crate::shell::bats::BatsRuns;
use crate::terraform::RunnerContext;
use crate::tools::Tools;

/// See the module documentation.
#[derive(Debug)]
pub struct Suite {
    pub settings: Settings,
    pub tools: Tools,
    pub terraform: Arc<RunnerContext>,
    pub bats: BatsRuns,
    pub unit_tests: UnitTestRuns,
    pub shard_runs: ShardRuns,
}

impl Suite {
    pub fn new(settings: Settings) -> Suite {
        let tools = Tools::new();
        // BATS files are mostly waiting on the processes they start, as terraform test is:
        // the same count as Terraform's, in a pool of their own.
        let bats = BatsRuns::new(settings.tf_jobs, tools.clone());
        Suite {
            terraform: RunnerContext::new(&settings, tools.clone()),
            bats,
            unit_tests: UnitTestRuns::new(tools.clone()),
            shard_runs: ShardRuns::new(settings.shard),
            tools,
            settings,
        }
    }

    /// The suite run the environment describes (`SPEC_*`), for benches and unit tests; the
    /// test runner reads the settings itself, to report a bad value and exit.
    pub fn from_env() -> Result<Suite, SettingsError> {
        Settings::from_env().map(Suite::new)
    }
}
